"""Which alerts go where, once each (docs/design.md §14).

For every channel: the signals of this run that are actionable, at or above
``QUANTPRO_ALERT_MIN_SCORE``, and were not actionable on that side in the run the channel last
received (its *cursor*; for a channel seen for the first time, the run before this one) — new
signals and flips. Each is sent once: a row in ``alerts_sent`` per (exchange, symbol, strategy,
side, calculated_at, channel), written right after the message is delivered, so a restart never
re-sends. A channel that fails keeps its cursor: the next cycle compares against the same older run
and sends again whatever is still actionable. More than :data:`DIGEST_OVER` at once go as one digest.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from quantpro.alerts.channels import Channel, Sender, apprise_send, parse_channels
from quantpro.alerts.message import DIGEST_OVER, digest_message, signal_message, test_message
from quantpro.feed.types import Signal
from quantpro.store.history import AlertKey, HistoryStore

__all__ = ["ChannelResult", "Dispatcher"]

log = logging.getLogger(__name__)

ChannelState = Literal["ok", "idle", "failing", "invalid"]


@dataclass(frozen=True, slots=True)
class ChannelResult:
    """One channel after one cycle (what the status file and ``alerts test`` show)."""

    channel: str
    state: ChannelState
    sent: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"channel": self.channel, "state": self.state, "sent": self.sent, "error": self.error}


def _key(signal: Signal) -> AlertKey:
    return AlertKey(
        signal["exchange"],
        signal["symbol"],
        signal["strategy_name"],
        signal["action"],
        signal["calculated_at"],
    )


class Dispatcher:
    """Sends this run's new signals to every channel; construct once per watcher."""

    def __init__(self, urls: Sequence[str], min_score: float, *, send: Sender = apprise_send) -> None:
        self.channels: list[Channel] = parse_channels(urls)
        self.min_score = min_score
        self.send = send

    def dispatch(
        self, history: HistoryStore, data_dir: str, run_id: int, signals: Sequence[Signal], now_ms: int
    ) -> list[ChannelResult]:
        eligible = [
            s for s in signals if s["action"] in ("LONG", "SHORT") and float(s["score"]) >= self.min_score
        ]
        return [self._channel(ch, history, data_dir, run_id, eligible, now_ms) for ch in self.channels]

    def _channel(
        self,
        channel: Channel,
        history: HistoryStore,
        data_dir: str,
        run_id: int,
        eligible: Sequence[Signal],
        now_ms: int,
    ) -> ChannelResult:
        if not channel.valid:
            return ChannelResult(
                channel.name, "invalid", error=f"{channel.described} is not a valid Apprise URL"
            )
        cursor = history.alert_cursor(data_dir, channel.name)  # 0: held before the first run
        baseline = (
            history.run(cursor) if cursor is not None else history.latest_run(data_dir, before_id=run_id)
        )
        before: set[tuple[str, str, str, str]] = set()
        if baseline is not None and baseline.id is not None:
            before = {(r.exchange, r.symbol, r.strategy, r.action) for r in history.signals_of(baseline.id)}
        since = baseline.time_ms if baseline is not None else None
        due = [
            s
            for s in eligible
            if (s["exchange"], s["symbol"], s["strategy_name"], s["action"]) not in before
            and not history.was_sent(_key(s), channel.name, since_ms=since)
        ]
        error = self._deliver(channel, history, due, now_ms)
        if error is not None:
            if cursor is None:  # hold the baseline, so the next cycle sees these signals as new again
                history.set_alert_cursor(
                    data_dir, channel.name, baseline.id or 0 if baseline is not None else 0
                )
            log.warning(
                "%s: %d alert(s) not delivered (%s); retried next cycle", channel.described, len(due), error
            )
            return ChannelResult(channel.name, "failing", error=error)
        history.set_alert_cursor(data_dir, channel.name, run_id)
        if due:
            log.info("%s: %d alert(s) delivered", channel.described, len(due))
        return ChannelResult(channel.name, "ok" if due else "idle", sent=len(due))

    def _deliver(
        self, channel: Channel, history: HistoryStore, due: Sequence[Signal], now_ms: int
    ) -> str | None:
        if len(due) > DIGEST_OVER:
            title, body = digest_message(due, now_ms)
            error = self.send(channel.url, title, body)
            if error is None:
                history.mark_sent([_key(s) for s in due], channel.name, now_ms)
            return error
        for signal in due:
            title, body = signal_message(signal, now_ms)
            error = self.send(channel.url, title, body)
            if error is not None:
                return error
            history.mark_sent([_key(signal)], channel.name, now_ms)
        return None

    def test(self, now_ms: int) -> list[ChannelResult]:
        """One test message to every channel (``quantpro alerts test``)."""
        results = []
        title, body = test_message(now_ms)
        for channel in self.channels:
            if not channel.valid:
                results.append(ChannelResult(channel.name, "invalid", error="not a valid Apprise URL"))
                continue
            error = self.send(channel.url, title, body)
            state: ChannelState = "failing" if error else "ok"
            results.append(ChannelResult(channel.name, state, sent=0 if error else 1, error=error))
        return results
