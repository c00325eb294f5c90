"""The feed's shape as types: one TypedDict per part of a signal, the ``run`` block and the envelope.

These are what :func:`quantpro.feed.build.build_signal` returns and what the CLI, the dashboard and
the history read; the key tuples that ``write_feed`` checks are derived from them, so the types, the
invariants and the JSON Schema cannot drift apart silently (the contract tests compare all three).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

__all__ = [
    "Changes",
    "ExternalPart",
    "FeedDocument",
    "LiquidationsPart",
    "MarketRef",
    "MetaPart",
    "OIMetadataPart",
    "ObservabilityPart",
    "Provenance",
    "ProvenanceMap",
    "RunBlock",
    "RunStatus",
    "SetupPart",
    "Signal",
    "SkippedFilePart",
    "SourceName",
    "TrackRecord",
]

RunStatus = Literal["ok", "degraded", "failed", "stale"]
Side = Literal["LONG", "SHORT"]
SourceName = Literal["venue", "coinalyze", "proxy", "none"]


class SetupPart(TypedDict):
    side: Side
    entry: float
    tp: float
    sl: float
    rr: float  # reward ÷ risk
    rr_net: float  # reward ÷ risk after the fee on both sides (docs/design.md §12)


class MetaPart(TypedDict):
    htfInterval: str
    ltfInterval: str
    strategy_type: str
    htf_resampled: bool
    stale: bool


class MarketRef(TypedDict):
    venue: str
    venue_id: str


class OIMetadataPart(TypedDict):
    status: Literal["resolved", "aggregated", "neutral"]  # own data / a proxy / none
    coinalyze_symbol: str | None
    value: float | None  # newest closed OI bucket (``unit``)
    z_score: float | None
    z_score_valid: bool
    oi_score: float
    data_age_s: int | None  # scan time − the newest closed OI bucket's end
    reason: str | None
    source: SourceName  # where the OI series came from (§11)
    market: MarketRef | None  # the series used (a proxy's own market when ``proxy``)
    proxy_of: str | None  # for a proxy: what it stands in for
    unit: Literal["base", "native"] | None  # base units from a venue; the API's native unit from Coinalyze
    value_usd: float | None
    buckets: int  # closed buckets of the last 24 h used for the z-score
    buckets_real: int  # of which real observations
    buckets_filled: int  # of which interpolated for the computation only
    as_of: int | None  # ms of the current bucket's boundary


class Provenance(TypedDict):
    """Where one derivatives field came from and how old it is; ``source: none`` carries the reason."""

    source: SourceName
    venue: str | None
    coinalyze_symbol: str | None
    as_of: int | None  # ms
    age_s: float | None
    reason: str | None


class ProvenanceMap(TypedDict):
    open_interest: Provenance
    funding_rate: Provenance
    ls_ratio: Provenance
    liquidations: Provenance


class LiquidationsPart(TypedDict):
    longs: float | None
    shorts: float | None


class ExternalPart(TypedDict):
    funding_rate: float | None  # percent per funding interval (0.01 = 0.01 %)
    ls_ratio: float | None
    liquidations: LiquidationsPart | None
    funding_interval_h: float | None
    funding_rate_8h: float | None  # percent, normalised to 8 hours
    provenance: ProvenanceMap


class TrackRecord(TypedDict):
    """The backtest's figures for a signal's strategy and score bucket (docs/design.md §13)."""

    trades: int
    win_rate: float | None
    expectancy_r: float | None
    ci95: list[float] | None
    period: dict[str, int | None]  # {"from": ms, "to": ms}


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
    track_record: TrackRecord | None


class SkippedFilePart(TypedDict):
    file: str  # the file name, as found in DATA_DIR
    reason: str


class Changes(TypedDict):
    """Counts of what changed against the previous run (docs/design.md §14)."""

    new: int
    gone: int
    flipped: int
    score_up: int
    score_down: int


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
    derivatives: dict[str, Any]  # mode, per venue, coinalyze, store (docs/design.md §11)
    changes: Changes


class FeedDocument(TypedDict):
    schema_version: int
    last_updated: int
    run: RunBlock
    signals: list[Signal]


def keys_of(part: type) -> tuple[str, ...]:
    """A TypedDict's keys in declaration order (what the feed writes, in that order)."""
    return tuple(part.__annotations__)
