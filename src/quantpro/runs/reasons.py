"""Reasons counted by kind: one line per kind of skip or WAIT, not one per file (docs/design.md §16).

Two reasons are of one kind when they differ only in file names, numbers and quoted values:
``only 30 usable closed candles (need 50)`` and ``only 12 usable closed candles (need 50)`` are one
kind; ``4h file without its 1h pair`` is another. A kind is shown by its first reason, marked when
the others differ from it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ReasonGroup", "group_reasons", "log_skipped", "reason_kind"]

log = logging.getLogger("quantpro.runs.scan")  # the scan's own lines: tagged [SCAN]

_FILE = re.compile(r"\S+\.json\b")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", re.IGNORECASE)


def reason_kind(reason: str) -> str:
    """``reason`` with file names, quoted values and numbers replaced by placeholders."""
    kind = _FILE.sub("FILE", reason)
    kind = _QUOTED.sub("VALUE", kind)
    return _NUMBER.sub("N", kind)


@dataclass(frozen=True, slots=True)
class ReasonGroup:
    """One kind of reason: how many, the first reason seen, whether the others differ, its members
    (``(item, reason)`` in the order seen)."""

    count: int
    reason: str
    varies: bool
    members: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        """The first reason, with ``(and similar)`` when the group's reasons are not all the same."""
        return f"{self.reason} (and similar)" if self.varies else self.reason


def group_reasons(pairs: Iterable[tuple[str, str]]) -> list[ReasonGroup]:
    """``(item, reason)`` pairs (a file and why it was skipped) grouped by kind, the largest first
    (ties in order of first appearance)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for item, reason in pairs:
        groups.setdefault(reason_kind(reason), []).append((item, reason))
    result = [
        ReasonGroup(
            count=len(members),
            reason=members[0][1],
            varies=any(reason != members[0][1] for _, reason in members),
            members=tuple(members),
        )
        for members in groups.values()
    ]
    result.sort(key=lambda group: -group.count)  # stable: ties keep their first-seen order
    return result


def log_skipped(skipped: Iterable[tuple[str, str]], logger: logging.Logger | None = None) -> None:
    """One warning per kind of skip reason with its count and an example file; each file at debug."""
    logger = logger or log
    for group in group_reasons(skipped):
        for item, reason in group.members:
            logger.debug("skipped %s: %s", item, reason)
        example = group.members[0][0]
        if group.count == 1:
            logger.warning("skipped 1 file: %s (%s)", group.text, example)
        else:
            logger.warning(
                "skipped %d files: %s (e.g. %s; each file at -v)", group.count, group.text, example
            )
