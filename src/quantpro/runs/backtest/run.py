"""``quantpro backtest`` as a use case: every market replayed over all cores, then summarised.

Each market is one job (:func:`~quantpro.runs.backtest.engine.replay_market`): its files are read and
its indicators computed once inside the worker, so only small results cross the process boundary.
``workers=1`` runs in this process (tests, small runs).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantpro.clock import Clock, SystemClock
from quantpro.errors import ConfigError, NoMarketsError
from quantpro.models import TIMEFRAME_MS
from quantpro.runs.asof import DerivativesAt, NoDerivativesAt
from quantpro.runs.backtest.engine import MarketJob, MarketOutcome, replay_market
from quantpro.runs.backtest.summary import summarise
from quantpro.settings import Settings
from quantpro.store.markets import discover_markets
from quantpro.store.markets_file import tick_sizes
from quantpro.strategies import PlanRules, get_strategies

__all__ = ["BacktestRequest", "BacktestResult", "parse_duration", "run_backtest"]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def parse_duration(text: str) -> int:
    """``15m``, ``4h``, ``3d`` (or a timeframe name) as milliseconds; ConfigError otherwise."""
    raw = text.strip().lower()
    units = {"m": 60_000, "h": 3_600_000, "d": 86_400_000}
    if raw[-1:] in units and raw[:-1].isdigit() and int(raw[:-1]) > 0:
        return int(raw[:-1]) * units[raw[-1]]
    if raw in TIMEFRAME_MS:
        return TIMEFRAME_MS[raw]
    raise ConfigError(f"duration {text!r} is not like 15m, 4h or 3d")


@dataclass(frozen=True)
class BacktestRequest:
    """What one backtest was asked to do, resolved at the edge (the flags of §13)."""

    data_dir: Path
    strategy: str = "all"
    from_ms: int | None = None
    to_ms: int | None = None
    every_ms: int | None = None  # None: each LTF close
    horizon_ms: int = 72 * 3_600_000
    fee_pct: float | None = None  # None: QUANTPRO_FEE_PCT
    min_score: float = 70.0
    workers: int | None = None  # None: every core
    ltf: str = "15m"
    htf: str = "4h"
    seed: int = 0

    def params(self, fee_pct: float, workers: int) -> dict[str, Any]:
        """Every flag's value, as the JSON report's ``params``."""
        return {
            "data_dir": str(self.data_dir),
            "strategy": self.strategy,
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
            "every_ms": self.every_ms or TIMEFRAME_MS[self.ltf],
            "horizon_ms": self.horizon_ms,
            "fee_pct": fee_pct,
            "min_score": self.min_score,
            "workers": workers,
            "ltf": self.ltf,
            "htf": self.htf,
            "seed": self.seed,
        }


@dataclass
class BacktestResult:
    """The outcome: the parameters, the per-market outcomes and the summary built from them."""

    params: dict[str, Any]
    outcomes: list[MarketOutcome]
    summary: dict[str, Any]
    duration_s: float
    trades: list[Any] = field(default_factory=list)


def _jobs(settings: Settings, request: BacktestRequest, derivatives: DerivativesAt) -> list[MarketJob]:
    strategies = tuple(get_strategies(request.strategy))  # an unknown name is a usage error first
    if not request.data_dir.is_dir():
        raise ConfigError(f"data directory {request.data_dir} does not exist or is not a directory")
    files, _skipped = discover_markets(request.data_dir, ltf=request.ltf, htf=request.htf)
    if not files:
        raise NoMarketsError(f"no market in {request.data_dir}; nothing to backtest")
    fee = settings.fee_pct if request.fee_pct is None else request.fee_pct
    rules = PlanRules.from_settings(settings, tick_sizes(request.data_dir))
    every = request.every_ms or TIMEFRAME_MS[request.ltf]
    return [
        MarketJob(
            files=f,
            from_ms=request.from_ms,
            to_ms=request.to_ms,
            every_ms=every,
            strategies=strategies,
            rules=rules,
            derivatives=derivatives,
            ltf=request.ltf,
            htf=request.htf,
            min_score=request.min_score,
            horizon_ms=request.horizon_ms,
            fee_pct=fee,
            seed=request.seed,
        )
        for f in files
    ]


def _replay(jobs: list[MarketJob], workers: int, progress: Progress | None) -> list[MarketOutcome]:
    results: Iterable[MarketOutcome]
    outcomes: list[MarketOutcome] = []
    if workers <= 1:
        results = map(replay_market, jobs)
        for outcome in results:
            outcomes.append(outcome)
            if progress:
                progress(len(outcomes), len(jobs))
        return outcomes
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for outcome in pool.map(replay_market, jobs, chunksize=4):
            outcomes.append(outcome)
            if progress:
                progress(len(outcomes), len(jobs))
    return outcomes


def run_backtest(
    settings: Settings,
    request: BacktestRequest,
    *,
    derivatives: DerivativesAt | None = None,
    progress: Progress | None = None,
    clock: Clock | None = None,
) -> BacktestResult:
    """Replay every market of ``request.data_dir`` and summarise. Raises ConfigError (bad flags or
    directory) and NoMarketsError (no market to replay)."""
    clock = clock or SystemClock()
    started = clock.now()
    if request.from_ms is not None and request.to_ms is not None and request.from_ms >= request.to_ms:
        raise ConfigError("--from must be before --to")
    derivatives = derivatives or NoDerivativesAt()
    jobs = _jobs(settings, request, derivatives)
    workers = max(1, request.workers or os.cpu_count() or 1)
    log.info("Backtesting %d markets on %d worker(s)", len(jobs), workers)
    outcomes = _replay(jobs, min(workers, len(jobs)), progress)
    params = request.params(jobs[0].fee_pct, workers)
    summary = summarise(outcomes, params, seed=request.seed)
    trades = sorted(
        (t for o in outcomes for t in o.trades), key=lambda t: (t.cut_ms, t.exchange, t.symbol, t.strategy)
    )
    return BacktestResult(params, outcomes, summary, clock.now() - started, trades)
