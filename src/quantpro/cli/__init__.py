"""The command line: a thin shell. Parse → settings → one library call → render.

Only this package prints, draws progress or imports ``rich``. Logs go to stderr; results to stdout.
"""

from __future__ import annotations

from quantpro.cli.app import app
from quantpro.cli.main import main, run

__all__ = ["app", "main", "run"]
