"""The registry of secrets and the one redaction function everything QuantPro writes passes through.

The API key, alert URLs and a serve token are registered once, where they are read; log handlers,
error messages, the feed and the caches replace every registered secret with ``***``. Redaction is a
second line of defence: no code should put a secret in a message in the first place.
"""

from __future__ import annotations

import json
import threading

__all__ = ["MASK", "redact", "redact_json_bytes", "register_secret", "registered"]

MASK = "***"
#: Secrets shorter than this are not registered: replacing "a" everywhere would garble every message.
MIN_SECRET_LENGTH = 4

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(secret: str | None) -> None:
    """From now on, :func:`redact` replaces ``secret`` (and its surrounding whitespace-free form)."""
    if secret is None:
        return
    for form in {secret, secret.strip()}:
        if len(form) >= MIN_SECRET_LENGTH:
            with _lock:
                _secrets.add(form)


def registered() -> bool:
    """Whether any secret is registered (a cheap test before redacting hot paths)."""
    return bool(_secrets)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``; longest first, so none leaks in part."""
    if not _secrets:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def redact_json_bytes(data: bytes) -> bytes:
    """Serialised JSON with every registered secret, raw or as JSON escapes it, replaced by ``***``.

    The masks land inside JSON strings, so the document still parses (issue 16 §5: an answer echoing
    the key must not carry it into the feed or a cache)."""
    if not _secrets:
        return data
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        for form in dict.fromkeys((json.dumps(secret, ensure_ascii=False)[1:-1], secret)):
            data = data.replace(form.encode("utf-8"), MASK.encode())
    return data


def url_credentials(url: str) -> list[str]:
    """The userinfo of ``url`` (``user:password``) and its password, to register as secrets."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = []
    if "@" in parts.netloc:
        found.append(parts.netloc.rsplit("@", 1)[0])
    if parts.password:
        found.append(parts.password)
    return found
