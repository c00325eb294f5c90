"""The registered commands as one tree, built once and finished the same way for every command.

Other modules register commands on :data:`quantpro.cli.app.app`; nothing here lists them. The tree
is what ``quantpro`` runs (:func:`build_command`), what the README's command reference is generated
from (:mod:`quantpro.cli.reference`) and what the tests walk to try every command with wrong
arguments. Finishing a tree (docs/design.md §16):

- every command's whole first sentence is its summary in a command list (never ``Load every…``);
- every number option refuses ``nan`` and ``inf`` with a usage error (exit 2), not a traceback later.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import typer
import typer.main

from quantpro.cli import commands  # noqa: F401  (registers every command on the app)
from quantpro.cli.app import app

__all__ = ["build_command", "iter_commands", "leaf_commands", "summary_of"]

Command = Any  # typer's vendored click ``Command``; typer does not export the type


def summary_of(help_text: str | None) -> str:
    """The first paragraph of a command's help, on one line: what a command list shows."""
    if not help_text:
        return ""
    paragraph = help_text.strip().split("\n\n", 1)[0]
    return " ".join(paragraph.split())


def _refuse_non_finite(previous: Callable[..., Any] | None) -> Callable[..., Any]:
    def callback(ctx: Any, param: Any, value: Any) -> Any:
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if isinstance(item, float) and not math.isfinite(item):
                raise typer.BadParameter(f"{item} is not a finite number")
        return previous(ctx, param, value) if previous is not None else value

    return callback


def _is_float(param: Any) -> bool:
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    return annotation is float or "float" in str(annotation)


def _finish(command: Command) -> None:
    for param in getattr(command, "params", []):
        if _is_float(param):
            param.callback = _refuse_non_finite(param.callback)
    if not getattr(command, "short_help", None):
        command.short_help = summary_of(getattr(command, "help", None))


def iter_commands(
    root: Command, path: tuple[str, ...] = ("quantpro",)
) -> Iterator[tuple[tuple[str, ...], Command]]:
    """``(path, command)`` for the root and every command under it, in registration order."""
    yield path, root
    for name, sub in getattr(root, "commands", {}).items():
        if not getattr(sub, "hidden", False):
            yield from iter_commands(sub, (*path, name))


def leaf_commands(root: Command) -> list[tuple[tuple[str, ...], Command]]:
    """The commands that run something (not groups such as ``symbols``)."""
    return [(path, cmd) for path, cmd in iter_commands(root) if not getattr(cmd, "commands", None)]


def build_command() -> Command:
    """The app as a finished command tree."""
    root = typer.main.get_command(app)
    for _path, command in iter_commands(root):
        _finish(command)
    return root
