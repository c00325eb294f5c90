"""The feed's shape as types: one TypedDict per part of a signal, the ``run`` block and the envelope.

These are what :func:`quantpro.feed.build.build_signal` returns and what the CLI, the dashboard and
the history read; the key tuples that ``write_feed`` checks are derived from them, so the types, the
invariants and the JSON Schema cannot drift apart silently (the contract tests compare all three).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

__all__ = [
    "ExternalPart",
    "FeedDocument",
    "LiquidationsPart",
    "MetaPart",
    "OIMetadataPart",
    "ObservabilityPart",
    "RunBlock",
    "RunStatus",
    "SetupPart",
    "Signal",
    "SkippedFilePart",
]

RunStatus = Literal["ok", "degraded", "failed"]
Side = Literal["LONG", "SHORT"]


class SetupPart(TypedDict):
    side: Side
    entry: float
    tp: float
    sl: float
    rr: float


class MetaPart(TypedDict):
    htfInterval: str
    ltfInterval: str
    strategy_type: str
    htf_resampled: bool
    stale: bool


class OIMetadataPart(TypedDict):
    status: Literal["resolved", "aggregated", "neutral"]
    coinalyze_symbol: str | None
    value: float | None
    z_score: float | None
    z_score_valid: bool
    oi_score: float
    data_age_s: int | None
    reason: str | None


class LiquidationsPart(TypedDict):
    longs: float | None
    shorts: float | None


class ExternalPart(TypedDict):
    funding_rate: float | None
    ls_ratio: float | None
    liquidations: LiquidationsPart | None


class ObservabilityPart(TypedDict):
    score_composition: dict[str, float]
    rsi_visuals: dict[str, Any]


class Signal(TypedDict):
    """One (market, strategy) signal, every key always present (null when not computable)."""

    strategy_name: str
    strategy: str
    symbol: str
    canonical_symbol: str
    display_symbol: str
    exchange: str
    exchange_tag: str
    source: str
    price: float | None
    score: float
    total_score: float
    bias: Literal["LONG", "SHORT", "NONE"]
    action: Literal["LONG", "SHORT", "WAIT"]
    setup: SetupPart | None
    entry: float | None
    stop_loss: float | None
    take_profit: float | None
    rr: float | None
    details: dict[str, Any]
    htf: dict[str, Any]
    ltf: dict[str, Any]
    meta: MetaPart
    oi_metadata: OIMetadataPart
    external: ExternalPart
    observability: ObservabilityPart
    calculated_at: int


class SkippedFilePart(TypedDict):
    file: str  # the file name, as found in DATA_DIR
    reason: str


class RunBlock(TypedDict):
    status: RunStatus
    markets: int
    stale_markets: int
    skipped_files: list[SkippedFilePart]
    oi_status: dict[str, int]
    degraded_markets: int
    units_spent: int
    units_minimum: int
    requests: int
    http_429: int
    retries: int
    duration_s: float


class FeedDocument(TypedDict):
    schema_version: int
    last_updated: int
    run: RunBlock
    signals: list[Signal]


def keys_of(part: type) -> tuple[str, ...]:
    """A TypedDict's keys in declaration order (what the feed writes, in that order)."""
    return tuple(part.__annotations__)
