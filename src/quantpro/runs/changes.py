"""What changed between two runs (docs/design.md §14): new, gone, flipped, score up, score down.

Pure functions on the actionable signals of two runs (:class:`~quantpro.store.history.SignalRow`):

- ``new`` — a (market, strategy) actionable now (LONG or SHORT) that was not actionable before;
- ``gone`` — actionable before, not now (WAIT, or the market left the directory);
- ``flipped`` — LONG before and SHORT now, or the reverse;
- ``score_up`` / ``score_down`` — the same side in both runs, its score moved by at least
  :data:`SCORE_STEP` points.

Only the strategies both runs ran are compared (a scan with ``--strategy breakout`` after one with
``all`` does not make every other strategy "gone"). With no previous run, every actionable signal is
``new``: nothing says it was actionable before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from quantpro.feed.types import Changes, Signal
from quantpro.store.history import SignalRow

__all__ = [
    "KINDS",
    "SCORE_STEP",
    "Change",
    "ChangeKind",
    "change_counts",
    "count_changes",
    "diff_runs",
    "signal_rows",
]

ChangeKind = Literal["new", "gone", "flipped", "score_up", "score_down"]
KINDS: tuple[ChangeKind, ...] = ("new", "gone", "flipped", "score_up", "score_down")

#: A score move at least this large (points of the 0–100 score) is a change.
SCORE_STEP = 10.0

_ACTIONABLE = ("LONG", "SHORT")


@dataclass(frozen=True, slots=True)
class Change:
    """One change of one (exchange, symbol, strategy)."""

    kind: ChangeKind
    exchange: str
    symbol: str
    strategy: str
    before: SignalRow | None
    after: SignalRow | None

    @property
    def score_delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after.score - self.before.score, 2)

    @property
    def current(self) -> SignalRow:
        """The newest state of the signal (``after``, or ``before`` for a ``gone``)."""
        row = self.after or self.before
        assert row is not None
        return row


def signal_rows(signals: Iterable[Signal]) -> list[SignalRow]:
    """The actionable signals of a feed as history rows."""
    return [
        SignalRow(
            exchange=s["exchange"],
            symbol=s["symbol"],
            strategy=s["strategy_name"],
            action=s["action"],
            score=float(s["score"]),
            entry=s["entry"],
            stop=s["stop_loss"],
            target=s["take_profit"],
            rr=s["rr"],
            calculated_at=int(s["calculated_at"]),
        )
        for s in signals
        if s["action"] in _ACTIONABLE
    ]


def diff_runs(
    previous: Sequence[SignalRow] | None,
    current: Sequence[SignalRow],
    *,
    strategies: Iterable[str] | None = None,
) -> list[Change]:
    """Every change from ``previous`` (``None``: no previous run) to ``current``, sorted by kind,
    then exchange, symbol, strategy. ``strategies``: only these are compared (default: all)."""
    wanted = set(strategies) if strategies is not None else None
    before = {r.key: r for r in previous or () if r.action in _ACTIONABLE}
    after = {r.key: r for r in current if r.action in _ACTIONABLE}
    if wanted is not None:
        before = {k: r for k, r in before.items() if k[2] in wanted}
        after = {k: r for k, r in after.items() if k[2] in wanted}
    changes = [_change(before.get(key), after.get(key)) for key in before.keys() | after.keys()]
    found = [c for c in changes if c is not None]
    return sorted(found, key=lambda c: (KINDS.index(c.kind), c.exchange, c.symbol, c.strategy))


def _change(old: SignalRow | None, new: SignalRow | None) -> Change | None:
    row = new or old
    assert row is not None
    kind: ChangeKind | None
    if old is None:
        kind = "new"
    elif new is None:
        kind = "gone"
    elif old.action != new.action:
        kind = "flipped"
    elif new.score - old.score >= SCORE_STEP:
        kind = "score_up"
    elif old.score - new.score >= SCORE_STEP:
        kind = "score_down"
    else:
        kind = None
    if kind is None:
        return None
    return Change(kind, row.exchange, row.symbol, row.strategy, old, new)


def count_changes(changes: Iterable[Change]) -> Changes:
    """The feed's ``run.changes`` block: how many of each kind."""
    counts: Changes = {"new": 0, "gone": 0, "flipped": 0, "score_up": 0, "score_down": 0}
    for change in changes:
        counts[change.kind] += 1
    return counts


def change_counts(changes: Iterable[Change]) -> dict[str, int]:
    """:func:`count_changes` as a plain dict (the ``RunSummary`` field)."""
    counts: dict[str, int] = dict.fromkeys(KINDS, 0)
    for change in changes:
        counts[change.kind] += 1
    return counts
