"""One module per command; importing them registers the commands on :data:`quantpro.cli.app.app`."""

from __future__ import annotations

from quantpro.cli.commands import demo, download, resolve, scan, simulate, symbols

__all__ = ["demo", "download", "resolve", "scan", "simulate", "symbols"]
