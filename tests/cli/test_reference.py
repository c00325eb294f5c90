"""Help and the README (docs/design.md §16): every command and option has help text, help is not cut
at 80 columns, the README's command reference is each command's ``--help`` as printed (generated:
``scripts/gen-cli-reference``), and its Configuration table covers every setting."""

from __future__ import annotations

import re
from typing import Any

import pytest

from quantpro.cli import main
from quantpro.cli.introspect import build_command, iter_commands, summary_of
from quantpro.cli.reference import END, help_text, reference_block, replace_block
from quantpro.settings import Settings, env_name

from .conftest import streams

README = __import__("pathlib").Path(__file__).resolve().parents[2] / "README.md"
ROOT = build_command()
COMMANDS = list(iter_commands(ROOT))
IDS = [" ".join(path) for path, _ in COMMANDS]


def _help(path: tuple[str, ...], columns: int, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    with streams() as (out, _err):
        assert main([*path[1:], "--help"]) == 0
    return out.getvalue()


def test_the_readme_command_reference_is_up_to_date() -> None:
    readme = README.read_text(encoding="utf-8")
    assert END in readme
    assert replace_block(readme, reference_block()) == readme, (
        "README.md's command reference is out of date: run scripts/gen-cli-reference"
    )


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_the_readme_shows_help_as_the_command_prints_it(
    path: tuple[str, ...], command: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = _help(path, 200, monkeypatch)
    assert printed == help_text(path, ROOT)
    readme = README.read_text(encoding="utf-8")
    assert f"### `{' '.join(path)}`\n\n```text\n{printed.rstrip()}\n```" in readme


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_every_command_and_option_has_help_text(path: tuple[str, ...], command: Any) -> None:
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    for param in command.params:
        if param.param_type_name == "option" and "--help" not in param.opts:
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]} has no help text"
        if param.param_type_name == "argument":
            assert (getattr(param, "help", None) or "").strip(), f"{' '.join(path)} {param.name} has no help"


@pytest.mark.parametrize(
    ("path", "command"), [(p, c) for p, c in COMMANDS if getattr(c, "commands", None)], ids=str
)
def test_help_is_not_cut_at_80_columns(
    path: tuple[str, ...], command: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _help(path, 80, monkeypatch)
    listing = text.split("Commands:", 1)[1]
    assert "..." not in listing and "…" not in listing
    flat = " ".join(text.split())
    for name, sub in command.commands.items():
        assert f"{name} {summary_of(sub.help)}" in flat, name
    assert max(len(line) for line in text.splitlines()) <= 80


def _configuration_rows() -> list[str]:
    readme = README.read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def test_the_configuration_table_covers_every_setting() -> None:
    rows = _configuration_rows()
    variables = [re.match(r"\| `([^`]+)`", row)[1] for row in rows]  # type: ignore[index]
    expected = [env_name(field) for field in Settings.model_fields]
    assert sorted(variables) == sorted(expected), set(variables) ^ set(expected)
    for field in Settings.model_fields:
        row = rows[variables.index(env_name(field))]
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 4 and all(cells), row
        if field not in ("exchange_urls", "api_key", "alert_urls", "serve_token"):
            assert cells[1] == f"`{field}`", row  # its quantpro.toml name
