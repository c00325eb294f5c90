"""What changed between two runs (docs/design.md §14): new, gone, flipped, score up, score down.

Pure functions on the actionable signals of two runs (:class:`~quantpro.store.history.SignalRow`):

- ``new`` — a (market, strategy) actionable now (LONG or SHORT) that was not actionable before;
- ``gone`` — actionable before, not now (WAIT, or the market left the directory);
- ``flipped`` — LONG before and SHORT now, or the reverse;
- ``score_up`` / ``score_down`` — the same side in both runs, its score moved by at least
  :data:`SCORE_STEP` points.

Only the strategies both runs ran are compared (a scan with ``--strategy breakout`` after one with
``all`` does not make every other strategy "gone"). With no previous run, every actionable signal is
``new``: nothing says it was actionable before. The read side (:func:`changes_since`) lives here
too, so ``quantpro changes`` and the dashboard ask the same question of the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from quantpro.feed.types import Changes, Signal
from quantpro.settings import Settings
from quantpro.store.history import HistoryStore, RunRecord, SignalRow

__all__ = [
    "KINDS",
    "SCORE_STEP",
    "Change",
    "ChangeKind",
    "RunChanges",
    "change_counts",
    "changes_since",
    "count_changes",
    "data_dir_key",
    "diff_runs",
    "run_changes_json",
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


def data_dir_key(data_dir: Path) -> str:
    """How a data directory is named in the store (one store may serve several)."""
    return str(Path(data_dir).resolve())


@dataclass(frozen=True, slots=True)
class RunChanges:
    """One recorded run and its changes against the run before it (``quantpro changes``)."""

    run: RunRecord
    previous: RunRecord | None
    changes: list[Change]


def changes_since(settings: Settings, data_dir: Path, since_ms: int | None) -> list[RunChanges] | None:
    """Each run of ``data_dir`` since ``since_ms`` (default: the newest only) with its changes, oldest
    first; ``None`` when no store exists yet. Read-only: nothing is created or migrated."""
    path = settings.store_file(data_dir)
    try:
        history = HistoryStore.open(path, read_only=True)
    except FileNotFoundError:
        return None
    key = data_dir_key(data_dir)
    with history:
        if since_ms is None:
            newest = history.latest_run(key)
            runs = [newest] if newest is not None else []
        else:
            runs = history.runs_since(key, since_ms)
        return [_run_changes(history, key, run) for run in runs]


def _run_changes(history: HistoryStore, key: str, run: RunRecord) -> RunChanges:
    assert run.id is not None
    before = history.latest_run(key, before_id=run.id)
    rows = history.signals_of(before.id) if before is not None and before.id is not None else None
    compared = set(run.strategies) & set(before.strategies) if before is not None else set(run.strategies)
    return RunChanges(run, before, diff_runs(rows, history.signals_of(run.id), strategies=compared))


def run_changes_json(item: RunChanges) -> dict[str, Any]:
    """One run's changes as JSON (``quantpro changes --json``, the dashboard's ``/api/changes``)."""
    run = item.run
    return {
        "run_id": run.id,
        "time": run.time_ms,
        "status": run.status,
        "origin": run.origin,
        "previous_run_id": item.previous.id if item.previous is not None else None,
        "counts": change_counts(item.changes),
        "changes": [
            {
                "kind": c.kind,
                "exchange": c.exchange,
                "symbol": c.symbol,
                "strategy": c.strategy,
                "before": _row_json(c.before),
                "after": _row_json(c.after),
            }
            for c in item.changes
        ],
    }


def _row_json(row: SignalRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    keys = ("action", "score", "entry", "stop", "target", "rr", "calculated_at")
    return {key: getattr(row, key) for key in keys}
