"""Running the dashboard on uvicorn: check the address against the token rule first, then serve."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

from quantpro.errors import ConfigError
from quantpro.settings import Settings
from quantpro.web.app import create_app
from quantpro.web.security import check_bind

__all__ = ["serve"]

log = logging.getLogger(__name__)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; ConfigError (exit 2) naming the address when it cannot be had
    (in use, not an address of this machine) — rather than uvicorn's own exit deep in its start-up."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        hint = "; choose another with --port" if exc.errno in (98, 48) else ""
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from exc
    return sock


def serve(data_dir: Path, settings: Settings, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``data_dir`` until interrupted. ConfigError (exit 2) for a non-loopback address without
    ``QUANTPRO_SERVE_TOKEN``, or a data directory that does not exist."""
    import uvicorn

    token = settings.serve_token.get_secret_value() if settings.serve_token else None
    check_bind(host, token)
    if not Path(data_dir).is_dir():
        raise ConfigError(f"data directory not found: {data_dir}")
    sock = bind(host, port)
    app = create_app(Path(data_dir), settings, host=host)
    shown = f"[{host}]" if ":" in host else host
    log.info("Serving %s on http://%s:%d/%s", data_dir, shown, port, " (token required)" if token else "")
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
        server_header=False,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
