"""``quantpro show-config``: every setting, its value and where it came from (docs/design.md §3, §16).

Read-only: it writes nothing and creates no directory. Secrets (the API key, alert URLs, the serve
token) are never printed — only whether they are set — and credentials inside a URL are masked.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import typer

from quantpro.cli.app import EXIT_OK, CacheDirOption, app, global_flags, settings_for

if TYPE_CHECKING:
    from quantpro.settings import Settings

#: What a setting left unset means, where "none" would say too little.
_UNSET = {
    "cache_dir": "(the scan's DATA_DIR, else ./data)",
    "store_path": "(<cache dir>/quantpro.sqlite)",
    "coinalyze_budget": "(the quota's 15 minutes' worth)",
    "log_file": "(none)",
}


def mask_url(url: str) -> str:
    """``https://user:pass@host/v1`` → ``https://***@host/v1``; a URL without credentials is unchanged."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def shown_value(settings: Settings, field: str) -> str:
    """A setting's value as text, with secrets reduced to whether they are set."""
    from pydantic import SecretStr

    value: Any = getattr(settings, field)
    if isinstance(value, SecretStr) or field in {"api_key", "alert_urls", "serve_token"}:
        return "*** (set)" if value is not None and value.get_secret_value().strip() else "(not set)"
    if value is None:
        return _UNSET.get(field, "(none)")
    if field == "base_url":
        return mask_url(str(value))
    if isinstance(value, dict):
        return ", ".join(f"{k}={mask_url(v)}" for k, v in sorted(value.items())) or "(none)"
    if isinstance(value, tuple):
        return ",".join(value) or "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def config_rows(settings: Settings, flags: dict[str, Any]) -> list[dict[str, str]]:
    """One row per setting of :class:`~quantpro.settings.Settings`: name, variable, value, source."""
    from quantpro.secrets import redact
    from quantpro.settings import Settings, env_name, setting_sources

    sources = setting_sources(**flags)
    return [
        {
            "setting": field,
            "env": env_name(field),
            "value": redact(shown_value(settings, field)),  # a second line of defence
            "source": sources[field],
        }
        for field in Settings.model_fields
    ]


@app.command("show-config")
def show_config(
    cache_dir: CacheDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per setting.")] = False,
) -> int:
    """Print every setting, its value and where it came from (flag, env, .env, quantpro.toml, default).

    Secrets are masked: the API key, alert URLs and the serve token show only whether they are set.
    """
    import orjson

    flags: dict[str, Any] = {**global_flags(), "cache_dir": cache_dir}
    settings = settings_for(**flags)
    rows = config_rows(settings, flags)
    if as_json:
        print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return EXIT_OK
    _print_table(rows)
    return EXIT_OK


def _print_table(rows: list[dict[str, str]]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True)
    for header in ("setting", "environment variable", "value", "from"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(row["setting"], row["env"], row["value"], row["source"])
    console.print(table)
    console.print(
        f"Precedence: flag > env > .env > quantpro.toml > default (working directory {Path.cwd()})."
    )
