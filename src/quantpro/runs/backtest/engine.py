"""The walk-forward replay of one market (docs/design.md §13): cuts, signals, trades, the baseline.

At each cut T the market is cut to what a scan at T would load (:class:`MarketSeries`), each strategy
runs through the one wrapper (:func:`~quantpro.strategies.run_strategy`) under the scan's plan rules,
and a plan becomes a trade when no trade of that (market, strategy) is open. Two books are kept: the
``actionable`` one (plans scoring at least ``min_score``: what the flags asked for) and the ``all``
one (every plan, whatever its score), from which the score buckets are judged, so the threshold
itself is tested.
"""

from __future__ import annotations

import logging
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from quantpro.candles import MIN_CANDLES
from quantpro.errors import DataFileError
from quantpro.models import MarketKey, StrategyResult
from quantpro.runs.asof import DerivativesAt, derivatives_kind
from quantpro.runs.backtest.execution import Plan, Trade, simulate
from quantpro.runs.backtest.views import MarketSeries
from quantpro.store.markets import MarketFiles, load_market
from quantpro.strategies import PlanRules, Strategy, run_strategy

__all__ = [
    "BASELINE_DRAWS",
    "MarketJob",
    "MarketOutcome",
    "random_timing_r",
    "replay_market",
    "results_at",
]

log = logging.getLogger(__name__)

BASELINE_DRAWS = 10  # random-time entries per trade
_FAR_FUTURE_MS = 2**62  # load every candle; each cut decides what is closed


@dataclass(frozen=True)
class MarketJob:
    """Everything one worker needs to replay one market (picklable)."""

    files: MarketFiles
    from_ms: int | None  # the first cut at or after this (None: the market's first usable cut)
    to_ms: int | None  # the last cut at or before this (None: the market's newest candle)
    every_ms: int  # cuts at every multiple of this (UTC-aligned): each LTF close by default
    strategies: tuple[Strategy, ...]
    rules: PlanRules
    derivatives: DerivativesAt
    ltf: str
    htf: str
    min_score: float
    horizon_ms: int
    fee_pct: float
    seed: int


@dataclass
class MarketOutcome:
    """What one market's replay produced."""

    key: MarketKey
    cuts: int = 0  # cuts at which the market was analysed
    signals: Counter[str] = field(default_factory=Counter)  # "strategy action" → count
    derivatives: Counter[str] = field(default_factory=Counter)  # kind → cuts
    trades: list[Trade] = field(default_factory=list)  # the actionable book
    all_trades: list[Trade] = field(default_factory=list)  # every plan, any score
    baseline_r: list[float] = field(default_factory=list)  # per actionable trade: mean R of random draws
    exclusions: Counter[str] = field(default_factory=Counter)  # reason → count
    skipped: str | None = None  # why the market was not replayed at all
    end_ms: int | None = None  # the market's last moment (its newest candle's open, or --to)
    cut_times: list[int] = field(default_factory=list)  # the cuts at which it was analysed

    @property
    def first_cut_ms(self) -> int | None:
        return self.cut_times[0] if self.cut_times else None

    @property
    def last_cut_ms(self) -> int | None:
        return self.cut_times[-1] if self.cut_times else None

    @property
    def days(self) -> set[int]:
        """The UTC days (Unix ms // 1 day) its cuts fall on."""
        return {t // 86_400_000 for t in self.cut_times}


def results_at(
    series: MarketSeries,
    at_ms: int,
    strategies: Sequence[Strategy],
    rules: PlanRules,
    derivatives: DerivativesAt,
) -> list[tuple[Strategy, StrategyResult]] | None:
    """Each strategy's validated result at ``at_ms`` — what ``scan --as-of`` says there — or None when
    a scan then would not load the market."""
    external = derivatives.at([series.key], at_ms)[series.key]
    context = series.context_at(at_ms, external)
    if context is None:
        return None
    return [(strategy, run_strategy(strategy, context, rules)) for strategy in strategies]


def _plan(series: MarketSeries, strategy: Strategy, result: StrategyResult, at_ms: int) -> Plan | None:
    plan = result.plan
    if plan is None:
        return None
    return Plan(
        exchange=series.key.exchange,
        symbol=series.key.symbol,
        strategy=strategy.name,
        side=plan.side,
        score=result.score,
        cut_ms=at_ms,
        quoted_entry=plan.entry,
        stop=plan.sl,
        target=plan.tp,
        components=tuple(sorted(result.score_composition.items())),
    )


class _Book:
    """One trade at a time per strategy: a plan while a trade is open is not a new trade."""

    def __init__(self, job: MarketJob, series: MarketSeries, end_ms: int, exclusions: Counter[str]) -> None:
        self.job, self.series, self.end_ms, self.exclusions = job, series, end_ms, exclusions
        self.busy_until: dict[str, int] = {}
        self.trades: list[Trade] = []

    def offer(self, plan: Plan) -> Trade | None:
        if plan.cut_ms < self.busy_until.get(plan.strategy, 0):
            return None
        job = self.job
        made = simulate(
            self.series.ltf_all, plan, horizon_ms=job.horizon_ms, fee_pct=job.fee_pct, end_ms=self.end_ms
        )
        if isinstance(made, str):
            self.exclusions[made] += 1
            return None
        self.busy_until[plan.strategy] = made.exit_ms
        self.trades.append(made)
        return made


def replay_market(job: MarketJob) -> MarketOutcome:
    """Replay one market over every cut; a file that cannot be loaded is skipped with its reason."""
    outcome = MarketOutcome(job.files.key)
    try:
        market = load_market(job.files, now_ms=_FAR_FUTURE_MS, ltf=job.ltf, htf=job.htf)
    except DataFileError as exc:
        outcome.skipped = f"{exc.file}: {exc.reason}"
        return outcome
    series = MarketSeries(market.key, market.ltf_all, market.htf_all, job.htf)
    end_ms = market_end_ms(series, job.to_ms)
    outcome.end_ms = end_ms
    actionable = _Book(job, series, end_ms, outcome.exclusions)
    every = _Book(job, series, end_ms, Counter())
    valid_cuts = outcome.cut_times
    for at_ms in market_cuts(series, job.from_ms, end_ms, job.every_ms):
        external = job.derivatives.at([series.key], at_ms)[series.key]
        context = series.context_at(at_ms, external)
        if context is None:
            continue
        outcome.cuts += 1
        outcome.derivatives[derivatives_kind(external)] += 1
        valid_cuts.append(at_ms)
        for strategy in job.strategies:
            result = run_strategy(strategy, context, job.rules)
            outcome.signals[f"{strategy.name} {result.action.value}"] += 1
            plan = _plan(series, strategy, result, at_ms)
            if plan is None:
                continue
            every.offer(plan)
            if result.score >= job.min_score:  # below 70 only when --min-score asks for it
                actionable.offer(plan)
    outcome.trades, outcome.all_trades = actionable.trades, every.trades
    outcome.baseline_r = random_timing_r(job, series, end_ms, outcome.trades, valid_cuts)
    return outcome


def market_end_ms(series: MarketSeries, to_ms: int | None) -> int:
    """The market's last moment: its newest candle's open (that candle may be forming and is never
    used), or ``to_ms`` when earlier."""
    newest = int(series.ltf_all.time[-1])
    return newest if to_ms is None else min(newest, to_ms)


def market_cuts(series: MarketSeries, from_ms: int | None, end_ms: int, every_ms: int) -> range:
    """The cuts of one market: UTC multiples of ``every_ms`` from its first usable one to ``end_ms``."""
    times = series.ltf_all.time
    first_usable = int(times[min(MIN_CANDLES, len(times)) - 1]) + series.ltf_all.interval_ms
    start = max(first_usable, from_ms or 0)
    start = -(-start // every_ms) * every_ms
    return range(start, end_ms + 1, every_ms)


def random_timing_r(
    job: MarketJob, series: MarketSeries, end_ms: int, trades: list[Trade], cuts: list[int]
) -> list[float]:
    """Per trade, the mean R of the same side and the same stop/target distances (as fractions of the
    quoted entry) entered at ``BASELINE_DRAWS`` random cuts of the same market (seeded per market)."""
    if not trades or not cuts:
        return []
    key = f"{series.key.exchange}:{series.key.symbol}".encode()
    rng = np.random.default_rng([job.seed, zlib.crc32(key)])
    ltf = series.ltf_all
    out: list[float] = []
    for trade in trades:
        stop_frac = abs(trade.quoted_entry - trade.stop) / trade.quoted_entry
        target_frac = abs(trade.target - trade.quoted_entry) / trade.quoted_entry
        s = 1.0 if trade.side == "LONG" else -1.0
        rs: list[float] = []
        for index in rng.integers(0, len(cuts), size=BASELINE_DRAWS):
            at_ms = cuts[int(index)]
            price = float(ltf.close[series.ltf_rows(at_ms) - 1])
            plan = Plan(
                trade.exchange,
                trade.symbol,
                trade.strategy,
                "LONG" if s > 0 else "SHORT",
                trade.score,
                at_ms,
                price,
                price * (1 - s * stop_frac),
                price * (1 + s * target_frac),
            )
            made = simulate(ltf, plan, horizon_ms=job.horizon_ms, fee_pct=job.fee_pct, end_ms=end_ms)
            if not isinstance(made, str):
                rs.append(made.r)
        out.append(float(np.mean(rs)) if rs else float("nan"))
    return out
