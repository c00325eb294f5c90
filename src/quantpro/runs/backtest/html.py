"""The backtest as a self-contained HTML page (docs/design.md §13): inline SVG drawn here, no script,
no font, no request to anywhere — it opens from a file on a machine without internet."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np

from quantpro.clock import utc_text
from quantpro.runs.backtest.stats import BUCKETS

__all__ = ["render_html"]

W, H, PAD = 640, 260, 40
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _esc(value: object) -> str:
    return html.escape(str(value))


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _frame(body: list[str], title: str, y_low: float, y_high: float) -> str:
    """An SVG with axes, a zero line when in range, and the y labels."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
        f'role="img" aria-label="{_esc(title)}">',
        f'<text x="{PAD}" y="16" font-size="13" font-family="sans-serif">{_esc(title)}</text>',
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 10}" y2="{H - PAD}" stroke="#888"/>',
        f'<line x1="{PAD}" y1="28" x2="{PAD}" y2="{H - PAD}" stroke="#888"/>',
    ]
    for value in (y_low, y_high):
        out.append(
            f'<text x="2" y="{_y(value, y_low, y_high) + 4:.1f}" font-size="10" '
            f'font-family="sans-serif">{value:.1f}</text>'
        )
    if y_low < 0 < y_high:
        y0 = _y(0.0, y_low, y_high)
        out.append(
            f'<line x1="{PAD}" y1="{y0:.1f}" x2="{W - 10}" y2="{y0:.1f}" stroke="#bbb" stroke-dasharray="4"/>'
        )
    return "\n".join(out + body + ["</svg>"])


def _y(value: float, low: float, high: float) -> float:
    span = (high - low) or 1.0
    return (H - PAD) - (value - low) / span * (H - PAD - 28)


def _legend(names: Sequence[str]) -> list[str]:
    return [
        f'<text x="{W - 150}" y="{30 + 14 * i}" font-size="11" font-family="sans-serif" '
        f'fill="{COLOURS[i % len(COLOURS)]}">{_esc(name)}</text>'
        for i, name in enumerate(names)
    ]


def equity_svg(trades: Sequence[dict[str, Any]]) -> str:
    """Cumulative R per strategy, trades in the order they closed."""
    names = sorted({t["strategy"] for t in trades})
    curves = {}
    for name in names:
        rs = [t["r"] for t in sorted(trades, key=lambda t: t["exit_ms"]) if t["strategy"] == name]
        curves[name] = np.concatenate([[0.0], np.cumsum(rs)])
    values = np.concatenate(list(curves.values())) if curves else np.zeros(1)
    low, high = float(min(values.min(), 0.0)), float(max(values.max(), 0.0)) or 1.0
    body = []
    for i, name in enumerate(names):
        curve = curves[name]
        step = (W - 10 - PAD) / max(len(curve) - 1, 1)
        points = " ".join(f"{PAD + j * step:.1f},{_y(float(v), low, high):.1f}" for j, v in enumerate(curve))
        body.append(
            f'<polyline fill="none" stroke="{COLOURS[i % len(COLOURS)]}"'
            f' stroke-width="1.5" points="{points}"/>'
        )
    return _frame(body + _legend(names), "Equity curves: cumulative R (after fees), by trade", low, high)


def histogram_svg(trades: Sequence[dict[str, Any]]) -> str:
    """How the R of all trades is spread (0.25 R bins, −3 … +5 R; beyond goes to the edge bins)."""
    edges = np.arange(-3.0, 5.0001, 0.25)
    rs = np.clip([t["r"] for t in trades], -2.999, 4.999) if trades else np.zeros(0)
    counts, _ = np.histogram(rs, bins=edges)
    top = float(max(counts.max() if counts.size else 0, 1))
    bar = (W - 10 - PAD) / len(counts)
    body = []
    for i, count in enumerate(counts):
        y = _y(float(count), 0.0, top)
        colour = "#2ca02c" if edges[i] >= 0 else "#d62728"
        body.append(
            f'<rect x="{PAD + i * bar:.1f}" y="{y:.1f}" width="{bar - 1:.1f}"'
            f' height="{H - PAD - y:.1f}" fill="{colour}"/>'
        )
    for value in (-3, -1, 0, 1, 2, 3, 5):
        x = PAD + (value + 3) / 8 * (W - 10 - PAD)
        body.append(
            f'<text x="{x:.1f}" y="{H - PAD + 14}" font-size="10" font-family="sans-serif">{value}R</text>'
        )
    return _frame(body, "R histogram (all trades)", 0.0, top)


def buckets_svg(by_bucket: dict[str, dict[str, Any]]) -> str:
    """Expectancy by score bucket per strategy, with its 95 % day-clustered interval as a whisker."""
    names = sorted(by_bucket)
    values = [
        v
        for groups in by_bucket.values()
        for stats in groups.values()
        for v in [stats.get("expectancy_r"), *(stats.get("ci95") or [])]
        if v is not None
    ]
    low, high = min([*values, 0.0, -1.0]), max([*values, 0.0, 1.0])
    slot = (W - 10 - PAD) / len(BUCKETS)
    width = slot / (len(names) + 1)
    body = []
    for b, (bucket, _, _) in enumerate(BUCKETS):
        body.append(
            f'<text x="{PAD + b * slot + 4:.1f}" y="{H - PAD + 14}" font-size="10"'
            f' font-family="sans-serif">{_esc(bucket)}</text>'
        )
        for i, name in enumerate(names):
            stats = by_bucket[name].get(bucket)
            if not stats or stats.get("expectancy_r") is None:
                continue
            x = PAD + b * slot + (i + 0.5) * width
            y0, y = _y(0.0, low, high), _y(stats["expectancy_r"], low, high)
            colour = COLOURS[i % len(COLOURS)]
            body.append(
                f'<rect x="{x:.1f}" y="{min(y, y0):.1f}" width="{width - 2:.1f}"'
                f' height="{abs(y0 - y):.1f}" fill="{colour}"/>'
            )
            if stats.get("ci95"):
                lo, hi = stats["ci95"]
                cx = x + (width - 2) / 2
                body.append(
                    f'<line x1="{cx:.1f}" y1="{_y(lo, low, high):.1f}" x2="{cx:.1f}"'
                    f' y2="{_y(hi, low, high):.1f}" stroke="#333"/>'
                )
    return _frame(
        body + _legend(names), "Expectancy (R) by score bucket, with 95 % day-clustered interval", low, high
    )


def _table(rows: dict[str, dict[str, Any]], label: str) -> str:
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            label,
            "trades",
            "win %",
            "avg win R",
            "avg loss R",
            "expectancy R",
            "95 % CI",
            "PF",
            "SQN",
            "max DD R",
            "target/stop/open",
            "median hold h",
        )
    )
    body = []
    for name, s in rows.items():
        ci = s.get("ci95")
        win = None if s.get("win_rate") is None else 100 * s["win_rate"]
        exits = s.get("exits", {})
        cells = [
            name,
            s["trades"],
            _fmt(win, 1),
            _fmt(s.get("avg_win_r")),
            _fmt(s.get("avg_loss_r")),
            _fmt(s.get("expectancy_r"), 3),
            "–" if not ci else f"[{ci[0]:+.3f}, {ci[1]:+.3f}]",
            _fmt(s.get("profit_factor")),
            _fmt(s.get("sqn")),
            _fmt(s.get("max_drawdown_r"), 1),
            f"{exits.get('target', 0)}/{exits.get('stop', 0)}/{exits.get('open', 0)}",
            _fmt(s.get("median_hold_h"), 1),
        ]
        body.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def render_html(document: dict[str, Any]) -> str:
    """The whole page for a JSON report (``report_document``)."""
    s, p, trades = document["summary"], document["params"], document["trades"]
    period = s["period"]
    span = (
        "–"
        if period["from"] is None
        else f"{utc_text(period['from'], seconds=False)} → {utc_text(period['to'], seconds=False)}"
    )
    facts = (
        f"{s['universe']['replayed']} of {s['universe']['markets']} markets · {span} · "
        f"{s['cuts']['market_cuts']} market-cuts at {s['cuts']['cut_times']} moments · "
        f"{s['independent_days']['period']} days ({s['independent_days']['with_trades']} with trades) · "
        f"horizon {p['horizon_ms'] / 3_600_000:g} h · fee {p['fee_pct']}"
        f" % per side · min score {p['min_score']}"
    )
    bucket_rows = {
        f"{name} {bucket}": stats
        for name, groups in s["by_bucket"].items()
        for bucket, stats in groups.items()
    }
    rank = ", ".join(f"{name}: {_fmt(v.get('all_plans'), 3)}" for name, v in s["rank_correlation"].items())
    base = "".join(
        f"<li>{_esc(name)}: baseline {_fmt(b.get('baseline_expectancy_r'), 3)} R,"
        f" edge {_fmt(b.get('edge_r'), 3)} R "
        f"95 % CI {_esc(b.get('ci95'))}</li>"
        for name, b in s["baseline"].items()
    )
    excl = _esc(s["exclusions"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>QuantPro backtest</title>
<style>body{{font-family:sans-serif;margin:24px;max-width:1100px}}
table{{border-collapse:collapse;margin:8px 0 18px}}
td,th{{border:1px solid #ccc;padding:3px 6px;font-size:12px;text-align:right}}th{{background:#f3f3f3}}
td:first-child{{text-align:left}}svg{{margin:6px 12px 6px 0;border:1px solid #eee}}</style></head><body>
<h1>Backtest: did the signals work?</h1>
<p>{_esc(facts)}</p>
<p>Fill at the next {_esc(p["ltf"])} open; first touch; both in one candle → stop; open at the
horizon → closed at that
close. Intervals: cluster bootstrap by UTC day (2,000 draws, seed {p["seed"]}).</p>
<h2>Actionable trades (score ≥ {p["min_score"]}) by strategy</h2>
{_table({"all": s["overall"], **s["by_strategy"]}, "strategy")}
{equity_svg(trades)}
{histogram_svg(trades)}
<h2>Every plan by score bucket (below the threshold too)</h2>
{buckets_svg(s["by_bucket"])}
{_table(bucket_rows, "strategy · bucket")}
<p>Rank correlation of score with R (Spearman, every plan): {_esc(rank)}</p>
<h2>Edge over random timing</h2><ul>{base}</ul>
<h2>By side</h2>{_table(s["by_side"], "strategy · side")}
<h2>By exchange</h2>{_table(s["by_exchange"], "exchange")}
<h2>Distances (percent from the quoted entry)</h2><pre>{_esc(s["distances"])}</pre>
<h2>Derivatives at the cuts</h2><p>{_esc(s["derivatives"])}</p>
<h2>Exclusions</h2><p>{excl}</p>
<p>Quoted-entry expectancy (R from the signal's own entry): {_esc(s["quoted_entry"])}</p>
</body></html>
"""
