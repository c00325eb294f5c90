"""One module per command. Importing this package imports every module in it, and each registers
its command(s) on :data:`quantpro.cli.app.app`: a new command is a new module, nothing else to edit."""

from __future__ import annotations

import importlib
import pkgutil

__all__: list[str] = []

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
    __all__.append(_module.name)
