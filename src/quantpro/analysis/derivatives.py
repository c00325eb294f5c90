"""The derivatives component shared by every strategy: the OI z-score, the neutral rule and small
funding / long-short / liquidation adjustments (docs/design.md §7).

The neutral rule is the point of this module: a market whose data is missing — not on Coinalyze
(status ``neutral``), a failed fetch (``degraded``), too little history — scores exactly what a market
with flat open interest and neutral funding scores. Missing data never costs a market anything, and
never earns it anything either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from quantpro.models import MarketData, OIPoint, neutral_market_data

Side = Literal["LONG", "SHORT"]

OI_BUCKET_S = 900  # 15-minute buckets
OI_LOOKBACK_S = 24 * 3600  # only buckets of the last 24 h count
OI_WINDOW = 30  # the last 30 closed values, the current one included
OI_MIN_BUCKETS = 14  # fewer closed buckets → the z-score is not valid
Z_THRESHOLD = 1.5  # only clearly rising open interest earns points
OI_NEUTRAL_SCORE = 10.0
OI_MAX_BONUS = 20.0  # so oi_score is within 10–30

# Funding, in percent per period as the API gives it (0.01 = 0.01 %, the usual baseline).
FUNDING_CROWDED = 0.05  # |funding| at or beyond this: one side is paying heavily
FUNDING_AGAINST = -3.0  # the crowded side (longs when funding is high)
FUNDING_WITH = 2.0  # the side that gets paid
# Long/short account ratio; 1.0 is neutral.
LS_CROWDED_LONG = 2.0
LS_CROWDED_SHORT = 0.5
LS_AGAINST = -2.0
LS_WITH = 1.0
# 24 h liquidations in USD: a one-sided flush (≥ 3 : 1) of one side favours the other side's move.
LIQ_MIN_TOTAL_USD = 10_000.0
LIQ_IMBALANCE = 0.5  # (shorts − longs) / total
LIQ_POINTS = 1.0


@dataclass(frozen=True)
class DerivativesComponent:
    """One market's derivatives reading. ``oi_score`` is always within 10–30.

    ``adjustment(side)`` is the sum of the funding, long/short and liquidation adjustments for a
    LONG or a SHORT (−6 … +4); a missing value adjusts exactly as a neutral one (0).
    """

    status: str  # resolved | aggregated | neutral
    coinalyze_symbol: str | None
    degraded: bool  # mapped, but a fetch failed: OI treated as missing
    value: float | None  # newest closed OI bucket (``unit``)
    z_score: float | None  # None when not computable (< 2 closed buckets or std = 0)
    z_score_valid: bool
    oi_score: float
    closed_buckets: int  # closed buckets of the last 24 h
    data_age_s: int | None  # scan time − the newest closed bucket's end
    reason: str | None
    funding_rate: float | None  # percent per funding interval
    ls_ratio: float | None
    liquidations_long_usd: float | None
    liquidations_short_usd: float | None
    # where the OI series came from (docs/design.md §11)
    source: str = "coinalyze"  # venue | coinalyze | proxy | none
    market: dict[str, str] | None = None
    proxy_of: str | None = None
    unit: str | None = None  # base | native
    value_usd: float | None = None
    real_buckets: int = 0  # closed buckets that are real observations (the 14 needed count these)
    as_of_ms: int | None = None  # the current bucket's boundary
    funding_interval_h: float | None = None

    @property
    def filled_buckets(self) -> int:
        return self.closed_buckets - self.real_buckets

    @property
    def funding_rate_8h(self) -> float | None:
        """Funding in percent normalised to 8 hours, when the interval is known."""
        if self.funding_rate is None or not self.funding_interval_h:
            return None
        return self.funding_rate * 8.0 / self.funding_interval_h

    def adjustments(self, side: Side) -> dict[str, float]:
        """Each adjustment for ``side``, in score points (0 when the value is missing or neutral)."""
        return {
            "funding": funding_adjustment(self.funding_rate, side),
            "ls_ratio": ls_ratio_adjustment(self.ls_ratio, side),
            "liquidations": liquidation_adjustment(
                self.liquidations_long_usd, self.liquidations_short_usd, side
            ),
        }

    def adjustment(self, side: Side) -> float:
        """The total adjustment for ``side`` added to a strategy's score."""
        return float(sum(self.adjustments(side).values()))

    def points(self, side: Side) -> float:
        """``oi_score`` plus the side's adjustment: what a strategy adds to its score."""
        return self.oi_score + self.adjustment(side)

    def oi_metadata(self) -> dict[str, Any]:
        """The feed's ``oi_metadata`` object (docs/design.md §8): exactly these keys, never NaN."""
        return {
            "status": self.status,
            "coinalyze_symbol": self.coinalyze_symbol,
            "value": self.value,
            "z_score": self.z_score,
            "z_score_valid": self.z_score_valid,
            "oi_score": self.oi_score,
            "data_age_s": self.data_age_s,
            "reason": self.reason,
            "source": self.source,
            "market": self.market,
            "proxy_of": self.proxy_of,
            "unit": self.unit,
            "value_usd": self.value_usd,
            "buckets": self.closed_buckets,
            "buckets_real": self.real_buckets,
            "buckets_filled": self.filled_buckets,
            "as_of": self.as_of_ms,
        }


def derivatives_component(data: MarketData | None, scan_time_ms: int) -> DerivativesComponent:
    """Read a market's external data into its derivatives component (the neutral rule applied)."""
    data = data if data is not None else neutral_market_data("no external data")
    status = str(data.get("oi_status") or "neutral")
    meta = data.get("oi_metadata") or {}
    degraded = bool(meta.get("degraded", False))
    scan_s = scan_time_ms // 1000
    history = [] if status == "neutral" or degraded else data.get("oi_history")
    buckets = closed_buckets(history, scan_s)
    filled = {int(p["timestamp"]) for p in history or [] if p.get("filled")}
    real = sum(1 for start, _ in buckets if start not in filled)
    values = np.array([value for _, value in buckets], dtype=np.float64)
    z = oi_z_score(values)
    current = bool(meta.get("current_observed", True))  # §11: the current bucket must be real
    valid = z is not None and real >= OI_MIN_BUCKETS and z > Z_THRESHOLD and current
    liq: dict[str, Any] = dict(data.get("liquidations") or {})
    source = _oi_source(data, status, degraded)
    return DerivativesComponent(
        status=status,
        coinalyze_symbol=data.get("coinalyze_symbol"),
        degraded=degraded,
        value=float(values[-1]) if len(values) else None,
        z_score=_round(z),
        z_score_valid=valid,
        oi_score=oi_score(z) if valid else OI_NEUTRAL_SCORE,
        closed_buckets=len(values),
        data_age_s=scan_s - (buckets[-1][0] + OI_BUCKET_S) if buckets else None,
        reason=_missing_reason(status, degraded, len(values), meta.get("reason")),
        funding_rate=_finite(data.get("funding_rate")),
        ls_ratio=_finite(data.get("ls_ratio")),
        liquidations_long_usd=_finite(liq.get("longs")),
        liquidations_short_usd=_finite(liq.get("shorts")),
        source=source,
        market=data.get("oi_market"),
        proxy_of=data.get("proxy_of"),
        unit=None if source == "none" else data.get("oi_unit", "native"),
        value_usd=_finite(data.get("oi_value_usd")),
        real_buckets=real,
        as_of_ms=(buckets[-1][0] + OI_BUCKET_S) * 1000 if buckets else None,
        funding_interval_h=_finite(data.get("funding_interval_h")),
    )


def _oi_source(data: MarketData, status: str, degraded: bool) -> str:
    """Where the OI came from: the source's word, else Coinalyze's own (resolved) or a proxy."""
    if status == "neutral" or degraded:
        return "none"
    given = data.get("oi_source")
    if given is not None:
        return str(given)
    return "coinalyze" if status == "resolved" else "proxy"


def closed_buckets(history: list[OIPoint] | None, scan_s: int) -> list[tuple[int, float]]:
    """The closed 15-minute buckets of the last 24 h, oldest first, de-duplicated, finite values.

    A bucket is closed when ``timestamp + 900 ≤ scan time``: the newest, still-forming bucket the API
    returns must not pose as the current value (it is partial, usually lower).
    """
    by_time: dict[int, float] = {}
    for point in history or []:
        start, value = int(point["timestamp"]), _finite(point["value"])
        closed = start + OI_BUCKET_S <= scan_s
        if value is not None and closed and start >= scan_s - OI_LOOKBACK_S:
            by_time[start] = value
    return sorted(by_time.items())


def oi_z_score(values: np.ndarray[Any, np.dtype[np.float64]]) -> float | None:
    """z of the newest value against the last 30 (itself included), population std; None if undefined."""
    window = values[-OI_WINDOW:]
    if len(window) < 2:
        return None
    mean = float(window.mean())
    std = float(window.std())
    if not math.isfinite(std) or std <= 1e-12 * max(1.0, abs(mean)):
        return None
    return (float(window[-1]) - mean) / std


def oi_score(z: float | None) -> float:
    """``10 + min(20, (z − 1.5) × 10)`` for a valid z, else the neutral 10."""
    if z is None or z <= Z_THRESHOLD:
        return OI_NEUTRAL_SCORE
    return round(OI_NEUTRAL_SCORE + min(OI_MAX_BONUS, (z - Z_THRESHOLD) * 10.0), 4)


def funding_adjustment(funding_pct: float | None, side: Side) -> float:
    """Crowded funding costs the side that pays it and helps the side that is paid."""
    if funding_pct is None or abs(funding_pct) < FUNDING_CROWDED:
        return 0.0
    longs_crowded = funding_pct > 0
    return FUNDING_AGAINST if longs_crowded == (side == "LONG") else FUNDING_WITH


def ls_ratio_adjustment(ratio: float | None, side: Side) -> float:
    """A lopsided long/short account ratio costs the crowded side and slightly helps the other."""
    if ratio is None or LS_CROWDED_SHORT < ratio < LS_CROWDED_LONG:
        return 0.0
    longs_crowded = ratio >= LS_CROWDED_LONG
    return LS_AGAINST if longs_crowded == (side == "LONG") else LS_WITH


def liquidation_adjustment(longs_usd: float | None, shorts_usd: float | None, side: Side) -> float:
    """Shorts flushed (≥ 3:1) favour a LONG's move, longs flushed favour a SHORT's; else 0."""
    total = (longs_usd or 0.0) + (shorts_usd or 0.0)
    if total < LIQ_MIN_TOTAL_USD:
        return 0.0
    imbalance = ((shorts_usd or 0.0) - (longs_usd or 0.0)) / total
    if abs(imbalance) < LIQ_IMBALANCE:
        return 0.0
    favours_long = imbalance > 0
    return LIQ_POINTS if favours_long == (side == "LONG") else -LIQ_POINTS


def _missing_reason(status: str, degraded: bool, buckets: int, given: object) -> str | None:
    """Why the OI reading is missing or partial: the batch processor's reason first, else ours."""
    if isinstance(given, str) and given:
        return given
    if status == "neutral":
        return "not listed on Coinalyze"
    if degraded:
        return "derivatives fetch failed"
    if buckets == 0:
        return "no closed open-interest buckets in the last 24 h"
    if buckets < OI_MIN_BUCKETS:
        return f"only {buckets} closed open-interest buckets ({OI_MIN_BUCKETS} needed)"
    return None


def _finite(value: object) -> float | None:
    """A finite float, or None for anything missing, non-numeric, NaN or infinite."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
