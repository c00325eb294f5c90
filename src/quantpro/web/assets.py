"""The page's own files, read once from the package into memory (docs/design.md §15).

A request names an asset; it is looked up in this table and never joined to a path, so nothing a
browser sends can reach the file system. Every asset ships in the package (the chart library too):
the page works with no internet.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

__all__ = ["Asset", "load_assets"]

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".LICENSE": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str


def _walk(folder: Traversable, prefix: str, found: dict[str, Asset]) -> None:
    for entry in folder.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            _walk(entry, f"{name}/", found)
            continue
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        media = _TYPES.get(suffix)
        if media is not None:
            found[name] = Asset(entry.read_bytes(), media)


def load_assets() -> dict[str, Asset]:
    """``{"app.js": Asset, "vendor/…": Asset, …}``: every file of ``quantpro/web/static`` we serve."""
    found: dict[str, Asset] = {}
    _walk(resources.files("quantpro.web") / "static", "", found)
    return found
