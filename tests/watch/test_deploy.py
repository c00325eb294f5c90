"""The deploy/ files (§14) call ``quantpro watch`` with options that exist, and the README shows them."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from quantpro.cli.introspect import build_command

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def _watch_args(name: str) -> list[str]:
    text = (DEPLOY / name).read_text()
    if name == "Dockerfile":
        line = next(ln for ln in text.splitlines() if ln.startswith("CMD "))
        import json

        return list(json.loads(line[4:]))
    line = next(ln for ln in text.splitlines() if " watch " in ln and not ln.lstrip().startswith("#"))
    words = shlex.split(line.replace('"$HOME', '"/home/u').replace(">/dev/null 2>&1", ""))
    return words[words.index("watch") :]


@pytest.mark.parametrize("name", ["quantpro-watch.service", "quantpro.cron", "Dockerfile"])
def test_each_deploy_file_runs_watch_with_real_options(name: str) -> None:
    args = _watch_args(name)
    assert args[0] == "watch"
    group = build_command()
    with group.make_context("quantpro", list(args)) as ctx:
        command = group.get_command(ctx, "watch")  # type: ignore[attr-defined]
        assert command is not None
        command.make_context("watch", args[1:])  # raises on an unknown option


def test_the_readme_documents_each_deploy_file() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Running all day: quantpro watch", 1)[1].split("\n## ", 1)[0]
    for name in ("deploy/quantpro-watch.service", "deploy/quantpro.cron", "deploy/Dockerfile"):
        assert name in section
    for word in ("watch_status.json", "quantpro changes", "QUANTPRO_ALERT_URLS", "tgram://", "discord://",
                 "json://", "quantpro alerts test"):  # fmt: skip
        assert word in section
