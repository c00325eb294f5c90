"""``/api/status``: the watcher's status file and the settings, with every secret reduced to "set or not".

The API key, the alert URLs and the serve token never leave the process: their values are replaced
before anything is serialised, credentials inside a URL are masked, and the whole answer passes
through :func:`quantpro.secrets.redact` as a second line of defence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from quantpro.settings import Settings
from quantpro.store.atomic import read_json
from quantpro.store.layout import WATCH_STATUS

__all__ = ["SECRET_FIELDS", "masked_settings", "watch_status"]

SECRET_FIELDS = frozenset({"api_key", "alert_urls", "serve_token"})


def _mask_url(url: str) -> str:
    """``https://user:pass@host/v1`` → ``https://***@host/v1``; a URL without credentials is unchanged."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def _shown(field: str, value: Any) -> Any:
    if isinstance(value, SecretStr) or field in SECRET_FIELDS:
        secret = value.get_secret_value() if isinstance(value, SecretStr) else value
        return "*** (set)" if secret is not None and str(secret).strip() else "(not set)"
    if field == "base_url" and isinstance(value, str):
        return _mask_url(value)
    if isinstance(value, dict):
        return {str(k): _mask_url(str(v)) for k, v in sorted(value.items())}
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return value


def masked_settings(settings: Settings) -> dict[str, Any]:
    """Every setting by name; secrets only say whether they are set."""
    return {field: _shown(field, getattr(settings, field)) for field in Settings.model_fields}


def watch_status(data_dir: Path) -> Any | None:
    """``DATA_DIR/watch_status.json`` as written by ``quantpro watch``, or ``None`` (absent, corrupt)."""
    return read_json(Path(data_dir) / WATCH_STATUS, what="watch status")
