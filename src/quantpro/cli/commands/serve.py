"""``quantpro serve``: the feed as a page a trader keeps open (docs/design.md §15)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quantpro.cli.app import EXIT_OK, app, settings_for


@app.command()
def serve(
    data_dir: Annotated[
        Path,
        typer.Argument(
            exists=True, file_okay=False, help="Data directory whose master_feed.json the page shows."
        ),
    ],
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. Any address but 127.0.0.1 needs QUANTPRO_SERVE_TOKEN.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port to listen on.")] = 8000,
) -> int:
    """Serve a read-only dashboard of DATA_DIR: the signals table, charts, the run, live updates.

    Open http://127.0.0.1:8000/ (or the --port given). The page updates itself when a new feed is
    written. From another machine, prefer an SSH tunnel (ssh -L 8000:127.0.0.1:8000 HOST); binding
    another address needs QUANTPRO_SERVE_TOKEN, and the page then asks for it (?token= once, a bearer
    header, then a cookie). Nothing is written; Ctrl-C stops it.
    """
    from quantpro.web.server import serve as run_server

    settings = settings_for()
    run_server(data_dir, settings, host=host, port=port)
    return EXIT_OK
