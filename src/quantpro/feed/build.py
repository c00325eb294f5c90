"""Building the feed, ``master_feed.json`` (docs/design.md §8): one signal per (market, strategy), a
``run`` block and a versioned envelope.

The shape is a contract other programs read. It is typed once (:mod:`quantpro.feed.types`), checked
before every write (:mod:`quantpro.feed.io`) and described by the JSON Schema, whose per-strategy parts
are generated from the strategy registry (:mod:`quantpro.feed.schema`). Values that cannot be computed
are ``null``: :func:`sanitize` turns NaN/Infinity into ``None`` and numpy scalars into Python ones.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from quantpro.analysis.derivatives import DerivativesComponent
from quantpro.analysis.features import SharedContext
from quantpro.feed.types import (
    ExternalPart,
    FeedDocument,
    OIMetadataPart,
    Provenance,
    ProvenanceMap,
    RunBlock,
    RunStatus,
    SetupPart,
    Signal,
    SkippedFilePart,
    keys_of,
)
from quantpro.jsonsafe import jsonable
from quantpro.models import FieldSource, Setup, SourceName, StrategyResult
from quantpro.strategies import STRATEGIES, validate_result
from quantpro.symbols import parse_local_symbol

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
#: The taker fee per side, in percent, when the caller does not say (``QUANTPRO_FEE_PCT``).
DEFAULT_FEE_PCT = 0.05

#: The registry's strategy names and the ``meta.strategy_type`` each carries (docs/design.md §7).
STRATEGY_TYPES: dict[str, str] = {name: cls.strategy_type for name, cls in STRATEGIES.items()}

#: Every key of a signal and of its parts, in the order they are written (docs/design.md §8).
SIGNAL_KEYS: tuple[str, ...] = keys_of(Signal)
OI_METADATA_KEYS: tuple[str, ...] = keys_of(OIMetadataPart)
RUN_KEYS: tuple[str, ...] = keys_of(RunBlock)
FEED_KEYS: tuple[str, ...] = keys_of(FeedDocument)


def _zero_changes() -> dict[str, int]:
    return {"new": 0, "gone": 0, "flipped": 0, "score_up": 0, "score_down": 0}


def default_derivatives_block(mode: str) -> dict[str, Any]:
    """``run.derivatives`` before any source filled it: the mode, nothing per venue, Coinalyze idle."""
    return {
        "mode": mode,
        "venues": {},
        "coinalyze": {
            "status": "skipped",
            "budget": None,
            "planned": 0,
            "spent": 0,
            "short_by": 0,
            "oldest_age_s": {},
            "error": None,
        },
        "store": {"buckets_written": 0, "buckets_repaired": 0, "warming_up_markets": 0},
    }


def _zero_oi_counts() -> dict[str, int]:
    return {"resolved": 0, "aggregated": 0, "neutral": 0}


@dataclass
class RunSummary:
    """The feed's ``run`` block: how the scan went and what it cost (docs/design.md §5, §8)."""

    status: RunStatus = "ok"
    markets: int = 0
    stale_markets: int = 0
    skipped_files: list[SkippedFilePart] = field(default_factory=list)
    oi_status: dict[str, int] = field(default_factory=_zero_oi_counts)
    degraded_markets: int = 0  # mapped to a Coinalyze symbol, but their data could not be fetched
    units_spent: int = 0
    units_minimum: int = 0
    requests: int = 0
    http_429: int = 0
    retries: int = 0
    duration_s: float = 0.0
    derivatives: dict[str, Any] = field(default_factory=lambda: default_derivatives_block("coinalyze"))
    changes: dict[str, int] = field(default_factory=_zero_changes)

    def to_dict(self) -> RunBlock:
        """The ``run`` block as written, every key present, ``oi_status`` with all three statuses."""
        block = asdict(self)
        block["oi_status"] = {**_zero_oi_counts(), **self.oi_status}
        block["skipped_files"] = [{"file": s["file"], "reason": s["reason"]} for s in self.skipped_files]
        return cast(RunBlock, jsonable(block))


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


#: Kept under its old name: the feed's converter is the shared one.
sanitize = jsonable


# -- signals ----------------------------------------------------------------------------------------


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _external(context: SharedContext) -> ExternalPart:
    data = context.external_data
    derivatives = context.derivatives
    liquidations = data.get("liquidations")
    return {
        "funding_rate": _finite(data.get("funding_rate")),
        "ls_ratio": _finite(data.get("ls_ratio")),
        "liquidations": (
            None
            if liquidations is None
            else {"longs": _finite(liquidations["longs"]), "shorts": _finite(liquidations["shorts"])}
        ),
        "funding_interval_h": derivatives.funding_interval_h,
        "funding_rate_8h": _finite(derivatives.funding_rate_8h),
        "provenance": _provenance(context),
    }


def _age_s(as_of_ms: int | None, scan_ms: int) -> float | None:
    return None if as_of_ms is None else round(max(0.0, (scan_ms - as_of_ms) / 1000.0), 3)


def _entry(given: FieldSource, scan_ms: int) -> Provenance:
    as_of = given.get("as_of")
    source = given.get("source", "none")
    return {
        "source": source,
        "venue": given.get("venue"),
        "coinalyze_symbol": given.get("coinalyze_symbol"),
        "as_of": as_of,
        "age_s": None if source == "none" else _age_s(as_of, scan_ms),
        "reason": given.get("reason") if source == "none" else None,
    }


def _coinalyze_entry(context: SharedContext, field: str, present: bool) -> FieldSource:
    """Provenance of a field a Coinalyze-shaped source gave without saying: its own symbol or a proxy."""
    data = context.external_data
    meta = data.get("oi_metadata") or {}
    status = data.get("oi_status") or "neutral"
    if status == "neutral" or meta.get("degraded") or not present:
        return {
            "source": "none",
            "reason": meta.get("reason") or f"no {field.replace('_', ' ')} from Coinalyze",
        }
    return {
        "source": "coinalyze" if status == "resolved" else "proxy",
        "coinalyze_symbol": data.get("coinalyze_symbol"),
        "as_of": meta.get("fetched_at"),
    }


def _oi_entry(derivatives: DerivativesComponent) -> FieldSource:
    if derivatives.source == "none" or derivatives.value is None:
        return {"source": "none", "reason": derivatives.reason or "no open interest"}
    return {
        "source": cast(SourceName, derivatives.source),
        "venue": (derivatives.market or {}).get("venue"),
        "coinalyze_symbol": derivatives.coinalyze_symbol,
        "as_of": derivatives.as_of_ms,
    }


def _provenance(context: SharedContext) -> ProvenanceMap:
    """Per derivatives field: where it came from and how old it is (docs/design.md §11)."""
    data, derivatives, scan_ms = context.external_data, context.derivatives, context.scan_time_ms
    given = data.get("provenance") or {}
    oi = given.get("open_interest") or _oi_entry(derivatives)
    fields = {"funding_rate": "funding_rate", "ls_ratio": "ls_ratio", "liquidations": "liquidations"}
    entries = {
        name: given.get(name) or _coinalyze_entry(context, name, data.get(key) is not None)
        for name, key in fields.items()
    }
    return {
        "open_interest": _entry(oi, scan_ms),
        "funding_rate": _entry(entries["funding_rate"], scan_ms),
        "ls_ratio": _entry(entries["ls_ratio"], scan_ms),
        "liquidations": _entry(entries["liquidations"], scan_ms),
    }


def rr_net(setup: Setup, fee_pct: float) -> float:
    """Reward ÷ risk after paying ``fee_pct`` percent of the entry on each side (docs/design.md §12)."""
    fees = 2.0 * fee_pct / 100.0 * setup.entry
    risk, reward = abs(setup.entry - setup.sl) + fees, abs(setup.tp - setup.entry) - fees
    return round(reward / risk, 4) if risk > 0 else 0.0


def _setup(result: StrategyResult, fee_pct: float) -> SetupPart | None:
    setup = result.setup
    if setup is None:
        return None
    return {
        "side": setup.side,
        "entry": setup.entry,
        "tp": setup.tp,
        "sl": setup.sl,
        "rr": setup.rr,
        "rr_net": rr_net(setup, fee_pct),
    }


def build_signal(
    *,
    strategy_name: str,
    strategy_type: str,
    result: StrategyResult,
    context: SharedContext,
    ltf_interval: str,
    htf_interval: str,
    fee_pct: float = DEFAULT_FEE_PCT,
) -> Signal:
    """One feed signal with every field of docs/design.md §8, for ``result`` on ``context``'s market.

    A result that came through :func:`quantpro.strategies.run_strategy` was validated there; any other
    is validated here, by the same one function (:func:`quantpro.strategies.validate_result`), which
    raises :class:`~quantpro.errors.StrategyError` when it is not writable. ``price`` and
    ``calculated_at`` come from the last *closed* LTF candle in the context.
    """
    candles = context.ltf.candles
    if len(candles) == 0:
        raise ValueError(f"{context.exchange} {context.symbol}: no closed LTF candle to price the signal")
    checked = result if result.json_ready else validate_result(result)
    setup = _setup(checked, fee_pct)
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
        "score": checked.score,
        "total_score": checked.score,
        "bias": checked.bias.value,
        "action": checked.action.value,
        "setup": setup,
        "entry": setup["entry"] if setup else None,
        "stop_loss": setup["sl"] if setup else None,
        "take_profit": setup["tp"] if setup else None,
        "rr": setup["rr"] if setup else None,
        "details": checked.details,
        "htf": checked.htf,
        "ltf": checked.ltf,
        "meta": {
            "htfInterval": htf_interval,
            "ltfInterval": ltf_interval,
            "strategy_type": strategy_type,
            "htf_resampled": bool(context.htf_resampled),
            "stale": bool(context.stale),
        },
        "oi_metadata": cast(OIMetadataPart, jsonable({key: oi[key] for key in OI_METADATA_KEYS})),
        "external": _external(context),
        "observability": {
            "score_composition": checked.score_composition,
            "rsi_visuals": checked.rsi_visuals,
        },
        "calculated_at": int(candles.time[-1]),
        "track_record": None,  # filled from backtest.json by the scan (docs/design.md §13)
    }


def _sort_key(signal: Mapping[str, Any]) -> tuple[float, str, str, str]:
    score = signal.get("score")
    return (
        -(float(score) if score is not None else -math.inf),
        str(signal.get("exchange", "")),
        str(signal.get("symbol", "")),
        str(signal.get("strategy_name", "")),
    )


def sort_signals(signals: Iterable[Signal]) -> list[Signal]:
    """Signals by score (descending; a missing score last), then exchange, symbol and strategy name."""
    return sorted(signals, key=_sort_key)


# -- the feed ---------------------------------------------------------------------------------------


def build_feed(signals: Iterable[Signal], run: RunSummary, *, last_updated_ms: int) -> FeedDocument:
    """The whole feed: the versioned envelope, the ``run`` block and the sorted signals, JSON-ready."""
    return {
        "schema_version": SCHEMA_VERSION,
        "last_updated": int(last_updated_ms),
        "run": run.to_dict(),
        "signals": sort_signals(signals),  # JSON-ready from build_signal
    }
