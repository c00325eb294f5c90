"""The words of an alert (docs/design.md §14): one signal, or a digest when there are many.

Everything a trader needs to act or to ignore: venue, symbol, strategy, side, score, the plan (entry,
stop, target, reward ÷ risk), how fresh the data is (the candle's close, the open interest's age) and
the strategy's track record when the backtest left one.
"""

from __future__ import annotations

from collections.abc import Sequence

from quantpro.clock import format_duration, utc_text
from quantpro.feed.types import Signal
from quantpro.models import TIMEFRAME_MS

__all__ = ["DIGEST_OVER", "digest_message", "signal_message", "test_message"]

#: More new signals than this in one cycle are sent as one digest.
DIGEST_OVER = 5


def _price(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.8g}"


def _freshness(signal: Signal, now_ms: int) -> str:
    step = TIMEFRAME_MS.get(signal["meta"]["ltfInterval"], 0)
    closed = signal["calculated_at"] + step
    parts = [f"{signal['meta']['ltfInterval']} candle closed {utc_text(closed, seconds=False)}"]
    parts[0] += f" ({format_duration(max(0, now_ms - closed) / 1000)} ago)"
    age = signal["oi_metadata"].get("data_age_s")
    if age is not None:
        parts.append(f"open interest {format_duration(float(age))} old")
    return "; ".join(parts)


def _track(signal: Signal) -> str | None:
    record = signal.get("track_record")
    if not record or not record.get("trades"):
        return None
    win = record.get("win_rate")
    expectancy = record.get("expectancy_r")
    text = f"track record: {record['trades']} trades"
    if win is not None:
        text += f", {win * 100 if win <= 1 else win:.0f}% won"
    if expectancy is not None:
        text += f", {expectancy:+.2f} R per trade"
    return text


def _headline(signal: Signal) -> str:
    return (
        f"{signal['action']} {signal['exchange']} {signal['symbol']} · {signal['strategy_name']} · "
        f"score {signal['score']:.0f}"
    )


def signal_message(signal: Signal, now_ms: int) -> tuple[str, str]:
    """(title, body) for one new signal."""
    rr = signal["rr"]
    lines = [
        f"{signal['exchange']} {signal['symbol']} — {signal['strategy_name']}, {signal['action']}, "
        f"score {signal['score']:.1f}",
        f"entry {_price(signal['entry'])} · stop {_price(signal['stop_loss'])} · "
        f"target {_price(signal['take_profit'])} · rr {'n/a' if rr is None else f'{rr:.2f}'}",
        f"data: {_freshness(signal, now_ms)}",
    ]
    track = _track(signal)
    if track:
        lines.append(track)
    return f"QuantPro: {_headline(signal)}", "\n".join(lines)


def digest_message(signals: Sequence[Signal], now_ms: int) -> tuple[str, str]:
    """(title, body) for many new signals in one cycle: one line each, best first."""
    ordered = sorted(signals, key=lambda s: -float(s["score"]))
    lines = []
    for s in ordered:
        rr = s["rr"]
        lines.append(
            f"{_headline(s)} · entry {_price(s['entry'])} stop {_price(s['stop_loss'])} "
            f"target {_price(s['take_profit'])} rr {'n/a' if rr is None else f'{rr:.2f}'}"
        )
    lines.append(f"data: {_freshness(ordered[0], now_ms)}")
    return f"QuantPro: {len(signals)} new signals", "\n".join(lines)


def test_message(now_ms: int) -> tuple[str, str]:
    return "QuantPro: test alert", f"This channel receives QuantPro's alerts. Sent {utc_text(now_ms)}."
