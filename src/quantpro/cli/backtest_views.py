"""The backtest's stdout table: the headline per strategy, then the score buckets (docs/design.md §13)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from quantpro.clock import utc_text

__all__ = ["backtest_tables"]

_COLUMNS = (
    "trades",
    "win %",
    "avg win R",
    "avg loss R",
    "exp. R",
    "95 % CI (days)",
    "PF",
    "SQN",
    "max DD R",
    "T/S/O",
    "hold h",
)


def _num(value: Any, digits: int = 2, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _cells(s: dict[str, Any]) -> list[str]:
    ci = s.get("ci95")
    exits = s.get("exits", {})
    win = s.get("win_rate")
    return [
        str(s.get("trades", 0)),
        "-" if win is None else f"{100 * win:.0f}%",
        _num(s.get("avg_win_r")),
        _num(s.get("avg_loss_r")),
        _num(s.get("expectancy_r"), 3, signed=True),
        "-" if not ci else f"[{ci[0]:+.2f}, {ci[1]:+.2f}]",
        _num(s.get("profit_factor")),
        _num(s.get("sqn")),
        _num(s.get("max_drawdown_r"), 1),
        f"{exits.get('target', 0)}/{exits.get('stop', 0)}/{exits.get('open', 0)}",
        _num(s.get("median_hold_h"), 1),
    ]


def _table(title: str, label: str, rows: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(label)
    for name in _COLUMNS:
        table.add_column(name, justify="right")
    for name, stats in rows.items():
        table.add_row(name, *_cells(stats))
    return table


def backtest_tables(document: dict[str, Any]) -> list[Table | str]:
    """What ``quantpro backtest`` prints: a line of facts, the headline, the buckets, the correlations."""
    s, p = document["summary"], document["params"]
    period = s["period"]
    span = (
        "no cut"
        if period["from"] is None
        else (f"{utc_text(period['from'], seconds=False)} → {utc_text(period['to'], seconds=False)}")
    )
    facts = (
        f"{s['universe']['replayed']}/{s['universe']['markets']} markets, {span}, "
        f"{s['cuts']['market_cuts']} market-cuts, {s['independent_days']['period']} days; "
        f"fill next open, horizon {p['horizon_ms'] / 3_600_000:g} h, fee {p['fee_pct']} %/side"
    )
    headline = _table(
        f"Trades scoring ≥ {p['min_score']:g}", "strategy", {"all": s["overall"], **s["by_strategy"]}
    )
    buckets = {
        f"{name} {bucket}": stats
        for name, groups in s["by_bucket"].items()
        for bucket, stats in groups.items()
    }
    bucket_table = _table("Every plan by score bucket", "strategy score", buckets)
    lines = []
    for name, rank in s["rank_correlation"].items():
        base = s["baseline"].get(name, {})
        lines.append(
            f"{name}: Spearman(score, R) {_num(rank.get('all_plans'), 2, True)}; edge over random timing "
            f"{_num(base.get('edge_r'), 3, True)} R {base.get('ci95') or ''}"
        )
    quoted = ", ".join(f"{name} {_num(value, 3, True)}" for name, value in s["quoted_entry"].items())
    lines.append(
        f"Expectancy from the quoted entry (the signal's own price) instead of the next open: {quoted}"
    )
    excluded = s["exclusions"]
    lines.append(
        f"Excluded: {excluded['plans_not_filled'] or 'no plan'} not filled; "
        f"{excluded['open_at_data_end']} trades closed open at the data's end; "
        f"{excluded['markets_skipped']} markets without a usable cut; "
        f"derivatives at the cuts: {s['derivatives']}"
    )
    return [facts, headline, bucket_table, *lines]
