"""Every command and every option is in README.md's command reference (sqlite-utils' test_docs).

typer 0.29 vendors click, so commands are read by their click interface (``commands``, ``params``)
without importing click itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from quantpro.cli.app import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):
            found += _commands(command, path + " ")
        else:
            found.append((path, command))
    return found


def _long_options(command: Any) -> list[str]:
    options: list[str] = []
    for param in command.params:
        if param.param_type_name == "option":
            flags = [f for f in param.opts + param.secondary_opts if f.startswith("--")]
            options += [f for f in flags if f != "--help"]
    return options


ROOT = typer.main.get_command(app)
COMMANDS = _commands(ROOT)


def _reference() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.find("## Command reference")
    assert start >= 0, "README.md has no '## Command reference' section"
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def _row(reference: str, path: str) -> str:
    """The command's part of the reference: its generated ``--help`` block under ``### `quantpro PATH```."""
    heading = f"### `quantpro {path}`"
    if heading not in reference:
        return ""
    return reference.split(heading, 1)[1].split("\n### ", 1)[0]


def test_the_cli_has_the_documented_commands() -> None:
    assert {path for path, _ in COMMANDS} >= {"scan", "demo", "simulate", "resolve", "symbols refresh"}


def test_every_command_and_option_is_in_the_readme() -> None:
    reference = _reference()
    missing = []
    for path, command in COMMANDS:
        row = _row(reference, path)
        if not row:
            missing.append(f"quantpro {path}")
            continue
        missing += [f"quantpro {path} {option}" for option in _long_options(command) if option not in row]
    missing += [f"quantpro {option}" for option in _long_options(ROOT) if option not in reference]
    assert not missing, f"missing from README.md's command reference: {missing}"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_help(path: str, command: Any) -> None:
    assert command.help, f"quantpro {path} has no help text"
