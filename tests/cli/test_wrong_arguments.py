"""No traceback for any wrong argument (docs/design.md §2, §16): every registered command — found by
walking the app, so commands added later are tried too — is run with a table of wrong arguments;
each must exit 2 with one line on stderr that names the offending value or option.

Wrong values are chosen by what a parameter is (its type, its path rules, its choices) and, for
strings, by its name (an exchange, a strategy, a timeframe, a duration). Every other required
argument gets a harmless valid value, so the wrong one is what is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quantpro.cli import main
from quantpro.cli.introspect import build_command, leaf_commands
from quantpro.simulator import RunningSimulator, SimulatorConfig, start_simulator

ROOT = build_command()
LEAVES = leaf_commands(ROOT)

#: String parameters recognised by name, with a value no command may accept.
BY_NAME: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"exchange|venue"), "NOPE-EXCHANGE"),
    (re.compile(r"strateg"), "nope-strategy"),
    (re.compile(r"^(ltf|htf|timeframe|tf)$"), "7x"),
    (re.compile(r"every|interval|since|duration|as_of|lag|period|until|from_|to$"), "10 fortnights"),
]


@dataclass(frozen=True)
class Case:
    path: tuple[str, ...]
    argv: tuple[str, ...]
    names: tuple[str, ...]  # the message must name one of these (the value, the option, the command)

    @property
    def id(self) -> str:
        return " ".join(self.argv)


def _desc(param: Any) -> Any:
    return param.type_descriptor


def _kind(param: Any) -> str:
    annotation = str(_desc(param).annotation)
    if _desc(param).is_choice:
        return "choice"
    if "bool" in annotation:
        return "bool"
    if "Path" in annotation:
        return "path"
    if "int" in annotation:
        return "int"
    if "float" in annotation:
        return "float"
    return "str"


def _valid(param: Any, places: dict[str, Path]) -> str:
    kind = _kind(param)
    if kind == "path":
        return str(places["dir"])
    if kind == "choice":
        return str(_desc(param).choices[0])
    if kind in ("int", "float"):
        return "1"
    return {"symbol": "BTCUSDT", "exchange": "BINANCE"}.get(param.name, "x")


def _wrong(param: Any, places: dict[str, Path]) -> list[str]:
    kind, info = _kind(param), _desc(param).parameter_info
    if kind == "int":
        return ["abc", "1.5"]
    if kind == "float":
        return ["abc", "nan", "inf"]
    if kind == "choice":
        return ["no-such-choice"]
    if kind == "path":
        wrong = []
        if not info.file_okay:
            wrong.append(str(places["file"]))  # a file where a directory is wanted
        if not info.dir_okay:
            wrong.append(str(places["dir"]))  # a directory where a file is wanted
        if info.exists:
            wrong.append(str(places["missing"]))
        return wrong
    if kind == "str":
        return [value for pattern, value in BY_NAME if pattern.search(param.name)][:1]
    return []


def _cases(places: dict[str, Path]) -> list[Case]:
    cases: list[Case] = []
    for path, command in LEAVES:
        params = [p for p in command.params if p.name != "help"]
        positional = [p for p in params if p.param_type_name == "argument"]
        for param in params:
            for value in _wrong(param, places):
                args = [
                    value if p is param else _valid(p, places) for p in positional if p.required or p is param
                ]
                option: list[str] = []
                if param.param_type_name == "option":
                    option = [param.opts[0], value]
                argv = (*path[1:], *args, *option)
                hint = param.opts[0] if param.param_type_name == "option" else param.name
                cases.append(Case(path, argv, (value, hint, param.name)))
        required = [_valid(p, places) for p in positional if p.required]
        cases.append(Case(path, (*path[1:], *required, "--no-such-option"), ("--no-such-option",)))
        typo = path[-1][:-2] + path[-1][-1] + path[-1][-2]
        cases.append(Case(path, (*path[1:-1], typo), (typo,)))
    return cases


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("wrong-arguments")
    (base / "a-file.txt").write_text("not a directory\n")
    (base / "an-empty-dir").mkdir()
    return {"file": base / "a-file.txt", "dir": base / "an-empty-dir", "missing": base / "missing" / "deeper"}


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """Anything that gets past its arguments meets a working API, so only the arguments can fail."""
    with start_simulator(SimulatorConfig(calls=400, period=10.0)) as server:
        yield server


def _all_cases() -> list[Case]:
    stand_in = {"file": Path("/f"), "dir": Path("/d"), "missing": Path("/m")}
    return _cases(stand_in)


def test_the_table_covers_every_command_and_kind() -> None:
    cases = _all_cases()
    assert {c.path for c in cases} == {path for path, _ in LEAVES}
    joined = " ".join(" ".join(c.argv) for c in cases)
    for wanted in (
        "abc",
        "nan",
        "inf",
        "/f",
        "/m",
        "NOPE-EXCHANGE",
        "nope-strategy",
        "7x",
        "scna",
        "refrehs",
    ):
        assert wanted in joined, wanted


@pytest.mark.timeout(60)
@pytest.mark.parametrize("index", range(len(_all_cases())), ids=[c.id for c in _all_cases()])
def test_a_wrong_argument_is_exit_2_and_one_line(
    index: int,
    places: dict[str, Path],
    sim: RunningSimulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COINALYZE_API_KEY", "wrong-arguments-key")
    monkeypatch.setenv("COINALYZE_BASE_URL", sim.base_url)
    case = _cases(places)[index]
    code = main(["-q", *case.argv])
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert code == 2, (case.argv, captured.err)
    assert "Traceback" not in captured.err and len(lines) == 1, (case.argv, captured.err)
    assert any(name in lines[0] for name in case.names), (case.argv, lines[0])
    assert captured.out == ""
