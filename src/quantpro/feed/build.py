"""The feed, ``master_feed.json`` (DESIGN.md §8): one signal per (market, strategy), a ``run`` block,
a versioned envelope, written atomically.

The shape is a contract other programs read, so it is fixed in three places that must agree:
:func:`build_signal` (every field, always present), the packaged JSON Schema
(``quantpro/schemas/master_feed.schema.json``, :func:`load_schema`) and the contract tests. Values
that cannot be computed are ``null``: :func:`sanitize` turns NaN/Infinity into ``None`` and numpy
scalars into Python ones, so the file never holds a token JSON cannot represent.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from quantpro.errors import StrategyError
from quantpro.jsonsafe import jsonable
from quantpro.models import Action, StrategyResult
from quantpro.symbols import parse_local_symbol

if TYPE_CHECKING:
    from quantpro.analysis.features import SharedContext

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

RunStatus = Literal["ok", "degraded", "failed"]

#: The owner's strategy names and the ``meta.strategy_type`` each carries (DESIGN.md §7).
STRATEGY_TYPES: dict[str, str] = {"Legacy": "legacy", "Breakout": "breakout", "BreakoutV2": "breakout_v2"}

#: Every key of a signal, in the order they are written (DESIGN.md §8).
SIGNAL_KEYS: tuple[str, ...] = (
    "strategy_name",
    "strategy",
    "symbol",
    "canonical_symbol",
    "display_symbol",
    "exchange",
    "exchange_tag",
    "source",
    "price",
    "score",
    "total_score",
    "bias",
    "action",
    "setup",
    "entry",
    "stop_loss",
    "take_profit",
    "rr",
    "details",
    "htf",
    "ltf",
    "meta",
    "oi_metadata",
    "external",
    "observability",
    "calculated_at",
)
OI_METADATA_KEYS: tuple[str, ...] = (
    "status",
    "coinalyze_symbol",
    "value",
    "z_score",
    "z_score_valid",
    "oi_score",
    "data_age_s",
    "reason",
)
RUN_KEYS: tuple[str, ...] = (
    "status",
    "markets",
    "stale_markets",
    "skipped_files",
    "oi_status",
    "degraded_markets",
    "units_spent",
    "units_minimum",
    "requests",
    "http_429",
    "retries",
    "duration_s",
)
FEED_KEYS: tuple[str, ...] = ("schema_version", "last_updated", "run", "signals")


class SkippedFile(TypedDict):
    file: str  # the file name, as found in DATA_DIR
    reason: str


def _zero_oi_counts() -> dict[str, int]:
    return {"resolved": 0, "aggregated": 0, "neutral": 0}


@dataclass
class RunSummary:
    """The feed's ``run`` block: how the scan went and what it cost (DESIGN.md §5, §8)."""

    status: RunStatus = "ok"
    markets: int = 0
    stale_markets: int = 0
    skipped_files: list[SkippedFile] = field(default_factory=list)
    oi_status: dict[str, int] = field(default_factory=_zero_oi_counts)
    degraded_markets: int = 0  # mapped to a Coinalyze symbol, but their data could not be fetched
    units_spent: int = 0
    units_minimum: int = 0
    requests: int = 0
    http_429: int = 0
    retries: int = 0
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The ``run`` block as written, every key present, ``oi_status`` with all three statuses."""
        block = asdict(self)
        block["oi_status"] = {**_zero_oi_counts(), **self.oi_status}
        block["skipped_files"] = [{"file": s["file"], "reason": s["reason"]} for s in self.skipped_files]
        return block


def run_status(markets_needing_data: int, degraded: int) -> RunStatus:
    """``failed`` when more than a quarter of the markets that needed derivatives data could not get
    it, ``degraded`` when any could not, ``ok`` otherwise.

    ``markets_needing_data`` counts the *resolved* and *aggregated* markets only: a *neutral* market
    (its coin is not on Coinalyze) has nothing to fetch, so it never lacks data and never degrades a
    run — a scan of only neutral markets is ``ok``. ``degraded`` counts the mapped markets whose fetch
    failed. "More than a quarter" is strict: 1 of 4 is ``degraded``, 2 of 7 is ``failed``.
    """
    if markets_needing_data < 0 or degraded < 0:
        raise ValueError(f"counts must be non-negative, got {markets_needing_data} and {degraded}")
    if degraded == 0:
        return "ok"
    if 4 * degraded > markets_needing_data:
        return "failed"
    return "degraded"


# -- sanitising -------------------------------------------------------------------------------------


#: Kept under its old name: the feed's converter is the shared one.
sanitize = jsonable


# -- signals ----------------------------------------------------------------------------------------


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _checked_setup(strategy_name: str, result: StrategyResult) -> dict[str, Any] | None:
    """The setup as written (``None`` on WAIT); a LONG/SHORT without a sound setup is a StrategyError."""
    action = Action(result.action)
    if action is Action.WAIT:
        return None
    setup = result.setup
    if setup is None:
        raise StrategyError(f"{strategy_name}: action {action.value} without a setup")
    if setup.side != action.value:
        raise StrategyError(f"{strategy_name}: action {action.value} with a {setup.side} setup")
    numbers = {"entry": setup.entry, "tp": setup.tp, "sl": setup.sl, "rr": setup.rr}
    for name, number in numbers.items():
        if not math.isfinite(float(number)) or float(number) < 0 or (name != "rr" and float(number) == 0):
            raise StrategyError(f"{strategy_name}: setup {name} is {number!r}")
    return {"side": setup.side, **{name: float(number) for name, number in numbers.items()}}


def _checked_score(strategy_name: str, score: float) -> float:
    number = float(score)
    if not math.isfinite(number) or not 0.0 <= number <= 100.0:
        raise StrategyError(f"{strategy_name}: score {score!r} is not within 0–100")
    return number


def _external(context: SharedContext) -> dict[str, Any]:
    data = context.external_data
    liquidations = data.get("liquidations")
    return {
        "funding_rate": _finite(data.get("funding_rate")),
        "ls_ratio": _finite(data.get("ls_ratio")),
        "liquidations": (
            None
            if liquidations is None
            else {"longs": _finite(liquidations["longs"]), "shorts": _finite(liquidations["shorts"])}
        ),
    }


def _strategy_parts(strategy_name: str, result: StrategyResult) -> dict[str, Any]:
    """The strategy-provided free-form parts, made JSON-ready; unserialisable content → StrategyError."""
    parts: dict[str, Any] = {
        "details": {**result.details, "reason": result.reason},
        "htf": result.htf,
        "ltf": result.ltf,
        "observability": {
            "score_composition": result.score_composition,
            "rsi_visuals": result.rsi_visuals,
        },
    }
    if result.json_ready:  # converted by the strategy wrapper already
        return parts
    try:
        parts = jsonable(parts)
    except TypeError as exc:
        raise StrategyError(f"{strategy_name}: result is not JSON-able ({exc})") from exc
    return parts


def build_signal(
    *,
    strategy_name: str,
    strategy_type: str,
    result: StrategyResult,
    context: SharedContext,
    ltf_interval: str,
    htf_interval: str,
) -> dict[str, Any]:
    """One feed signal with every field of DESIGN.md §8, for ``result`` on ``context``'s market.

    ``price`` and ``calculated_at`` come from the last *closed* LTF candle in the context (the
    scanner never puts the forming candle there). Raises :class:`StrategyError` when the result is
    not writable: a score outside 0–100 or not finite, a LONG/SHORT without a positive finite setup
    on the same side, or details that JSON cannot hold.
    """
    candles = context.ltf.candles
    if len(candles) == 0:
        raise ValueError(f"{context.exchange} {context.symbol}: no closed LTF candle to price the signal")
    score = _checked_score(strategy_name, result.score)
    setup = _checked_setup(strategy_name, result)
    parts = _strategy_parts(strategy_name, result)
    oi = context.derivatives.oi_metadata()
    return {
        "strategy_name": strategy_name,
        "strategy": strategy_name,
        "symbol": context.symbol,
        "canonical_symbol": parse_local_symbol(context.symbol).coin,
        "display_symbol": context.symbol,
        "exchange": context.exchange,
        "exchange_tag": context.exchange,
        "source": context.exchange,
        "price": _finite(float(candles.close[-1])),
        "score": score,
        "total_score": score,
        "bias": str(sanitize(result.bias)),
        "action": str(sanitize(result.action)),
        "setup": setup,
        "entry": setup["entry"] if setup else None,
        "stop_loss": setup["sl"] if setup else None,
        "take_profit": setup["tp"] if setup else None,
        "rr": setup["rr"] if setup else None,
        "details": parts["details"],
        "htf": parts["htf"],
        "ltf": parts["ltf"],
        "meta": {
            "htfInterval": htf_interval,
            "ltfInterval": ltf_interval,
            "strategy_type": strategy_type,
            "htf_resampled": bool(context.htf_resampled),
            "stale": bool(context.stale),
        },
        "oi_metadata": sanitize({key: oi[key] for key in OI_METADATA_KEYS}),
        "external": _external(context),
        "observability": parts["observability"],
        "calculated_at": int(candles.time[-1]),
    }


def _sort_key(signal: Mapping[str, Any]) -> tuple[float, str, str, str]:
    score = signal.get("score")
    return (
        -(float(score) if score is not None else -math.inf),
        str(signal.get("exchange", "")),
        str(signal.get("symbol", "")),
        str(signal.get("strategy_name", "")),
    )


def sort_signals(signals: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Signals by score (descending; a missing score last), then exchange, symbol and strategy name."""
    return sorted(signals, key=_sort_key)


# -- the feed ---------------------------------------------------------------------------------------


def build_feed(signals: Iterable[dict[str, Any]], run: RunSummary, *, last_updated_ms: int) -> dict[str, Any]:
    """The whole feed: the versioned envelope, the ``run`` block and the sorted signals, JSON-ready."""
    feed = {
        "schema_version": SCHEMA_VERSION,
        "last_updated": int(last_updated_ms),
        "run": jsonable(run.to_dict()),
        "signals": sort_signals(signals),
    }
    # Signals are JSON-ready from build_signal; only the run block needs converting.
    return feed
