"""``quantpro watch``: the scanner that runs all day (docs/design.md §14).

A cycle at each multiple of ``every`` (UTC) plus ``delay``: download → snapshot → scan → feed →
history → changes → alerts → status. One watcher per data directory (:mod:`.watch_lock`); SIGTERM
and SIGINT finish the current write and stop (:mod:`.watch_signals`); the status file says what is
going on (:mod:`.watch_status`). A phase that fails is recorded and the loop goes on; only invalid
settings at start and a key the API refuses under ``--derivatives coinalyze`` stop it (exit 2). A
cycle that overruns its slot skips to the next free one with a warning, never two cycles at once;
a machine that slept past several slots runs one cycle when it wakes and logs the slots missed.
Every wait goes through the injected clock, so tests run hundreds of cycles in seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from typing import Literal

from quantpro.clock import Clock, format_duration, utc_text
from quantpro.errors import AuthenticationError, ConfigError
from quantpro.feed import Signal
from quantpro.feed.changes import change_counts
from quantpro.models import TIMEFRAME_MS
from quantpro.runs.history import open_history, record_feed
from quantpro.runs.scan import Scan, ScanOutcome, ScanRequest
from quantpro.runs.schedule import MIN_EVERY_S, missed_slots, next_slot
from quantpro.runs.watch_lock import WatchLock
from quantpro.runs.watch_phases import AlertRequest, PhaseReport, Phases, WatchRequest
from quantpro.runs.watch_scope import scope_loaded
from quantpro.runs.watch_signals import StopGate, Stopped
from quantpro.runs.watch_status import PhaseState, WatchStatus
from quantpro.secrets import redact
from quantpro.settings import Settings
from quantpro.sources.base import SourceStats
from quantpro.store.history import HistoryStore
from quantpro.store.markets import LoadResult
from quantpro.strategies import get_strategies

__all__ = ["SNAPSHOT_SKIPPED", "Watcher", "run_watch", "validate_request"]

log = logging.getLogger(__name__)

#: Why the snapshot phase is skipped when no snapshot is wired in.
SNAPSHOT_SKIPPED = "no snapshot under this --derivatives mode"
#: The longest single wait: the wall clock is looked at again after it (a suspended machine's
#: monotonic sleep does not advance, so one long sleep would wake late).
WAIT_STEP_S = 10.0


class _StopLoop(Exception):
    def __init__(self, exit_code: int, reason: str) -> None:
        super().__init__(reason)
        self.exit_code = exit_code


def validate_request(request: WatchRequest) -> None:
    """Bad options are a ConfigError (exit 2) before anything runs."""
    if not request.every_s >= MIN_EVERY_S:
        raise ConfigError(f"--every must be at least {format_duration(MIN_EVERY_S)}")
    if not 0 <= request.delay_s < request.every_s:
        raise ConfigError("--delay must be at least 0 and shorter than --every")
    if request.cycles is not None and request.cycles < 1:
        raise ConfigError("--cycles must be at least 1")
    if request.top is not None and request.symbols:
        raise ConfigError("give --top or --symbols, not both")
    if not request.download and not request.data_dir.is_dir():
        raise ConfigError(f"data directory {request.data_dir} does not exist (and --no-download is given)")
    for option, timeframe in (("--ltf", request.ltf), ("--htf", request.htf)):
        if timeframe not in TIMEFRAME_MS:
            raise ConfigError(f"{option}: unknown timeframe {timeframe!r}; valid: {', '.join(TIMEFRAME_MS)}")
    get_strategies(request.strategy)  # an unknown strategy lists the valid ones


class Watcher:
    """One watcher: construct, then :meth:`run` (returns the exit code)."""

    def __init__(self, settings: Settings, request: WatchRequest, phases: Phases, clock: Clock) -> None:
        self.settings, self.request, self.phases, self.clock = settings, request, phases, clock
        self.gate = StopGate()
        self.status = WatchStatus(request.data_dir, int(clock.now() * 1000), request.every_s, request.delay_s)
        self.cycles_run = 0
        #: Under ``--top``: each venue's markets as its last successful download chose them.
        self.chosen: dict[str, tuple[str, ...]] = {}
        #: Called after every cycle (tests sample memory and open files here).
        self.after_cycle: Callable[[int], None] | None = None

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> int:
        validate_request(self.request)
        self.request.data_dir.mkdir(parents=True, exist_ok=True)
        with WatchLock(self.request.data_dir):
            self.gate.install()
            try:
                return self._loop()
            except Stopped as stop:
                return self._stopped(stop.exit_code, f"stopped by {stop}")
            except _StopLoop as stop:
                return self._stopped(stop.exit_code, str(stop))
            finally:
                self.gate.restore()

    def _loop(self) -> int:
        every, delay = self.request.every_s, self.request.delay_s
        slot = next_slot(self.clock.now(), every, delay)
        log.info(
            "watching %s every %s (+%s): first cycle at %s",
            self.request.data_dir,
            format_duration(every),
            format_duration(delay),
            utc_text(slot * 1000),
        )
        while True:
            self._set_next(slot, state="waiting")
            self._wait_until(slot)
            slot = self._after_wake(slot)
            self.cycles_run += 1
            self.run_cycle(self.cycles_run, slot)
            if self.after_cycle is not None:
                self.after_cycle(self.cycles_run)
            if self.request.cycles is not None and self.cycles_run >= self.request.cycles:
                return self._stopped(0, f"{self.cycles_run} cycle(s) done")
            slot = self._next_after(slot)

    def _wait_until(self, slot: float) -> None:
        while (remaining := slot - self.clock.now()) > 0:
            self.clock.sleep(min(remaining, WAIT_STEP_S))

    def _after_wake(self, slot: float) -> float:
        """The slot to run now: a wake-up past later slots (the machine asleep) runs the latest one."""
        missed = missed_slots(slot, self.clock.now(), self.request.every_s)
        if missed:
            every = self.request.every_s
            times = [utc_text((slot + i * every) * 1000, seconds=False) for i in range(min(missed, 5))]
            more = f" and {missed - 5} more" if missed > 5 else ""
            self._warn(
                f"woke {format_duration(self.clock.now() - slot)} after the slot of "
                f"{utc_text(slot * 1000)}: {missed} slot(s) missed ({', '.join(times)}{more}); "
                "running one cycle now"
            )
            self.status.slots_missed += missed
            slot += missed * every
        return slot

    def _next_after(self, slot: float) -> float:
        every, now = self.request.every_s, self.clock.now()
        following = slot + every
        if now <= following:
            return following
        upcoming = next_slot(now, every, self.request.delay_s)
        skipped = round((upcoming - following) / every)
        self.status.cycles_skipped += skipped
        self._warn(
            f"cycle {self.cycles_run} took {format_duration(now - slot)}, longer than --every "
            f"{format_duration(every)}: skipping {skipped} slot(s); next cycle at {utc_text(upcoming * 1000)}"
        )
        return upcoming

    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        self.status.last_warning = message

    def _set_next(self, slot: float, *, state: str) -> None:
        self.status.next_cycle_at = int(slot * 1000)
        self.status.state = state
        self._write_status()

    def _write_status(self) -> None:
        with self.gate.critical():
            try:
                self.status.write()
            except OSError as exc:  # a full disk: said in the log, the loop goes on
                log.error("could not write %s: %s", self.status.path, exc.strerror or exc)

    def _stopped(self, exit_code: int, reason: str) -> int:
        log.info("watch stopped after %d cycle(s): %s", self.cycles_run, reason)
        self.status.state, self.status.stop_reason, self.status.next_cycle_at = "stopped", reason, None
        self.gate.settle()  # the final status write is not itself interrupted
        self._write_status()
        return exit_code

    # -- one cycle --------------------------------------------------------------------------------

    def run_cycle(self, cycle: int, slot: float) -> None:
        """Every phase in order; a failure is recorded and the cycle goes on where it can."""
        self.status.new_cycle(cycle, int(slot * 1000))
        log.info("cycle %d (slot %s)", cycle, utc_text(slot * 1000))
        started = self.clock.now()
        history = open_history(self.settings, self.request.data_dir)
        try:
            self._phases(history)
        finally:
            if history is not None:
                history.close()
        states = [s.status for s in self.status.phases.values()]
        self.status.cycle_status = (
            "failed" if "failed" in states else "degraded" if "degraded" in states else "ok"
        )
        took = PhaseReport("ok", f"cycle took {format_duration(self.clock.now() - started)}")
        self._phase("status", lambda: took, critical=True)

    def _phases(self, history: HistoryStore | None) -> None:
        self._phase("download", self._download)
        self._phase("snapshot", self._snapshot)
        cycle = _Cycle(history)
        if not self._phase("scan", lambda: self._scan(cycle)):
            return self._skip_rest("the scan failed")
        if not self._phase("feed", lambda: self._feed(cycle), critical=True):
            return self._skip_rest("the feed was not written")
        self._phase("history", lambda: self._history(cycle), critical=True)
        self._phase("changes", lambda: self._changes(cycle))
        self._phase("alerts", lambda: self._alerts(cycle), critical=True)
        return None

    def _skip_rest(self, reason: str) -> None:
        for name in ("feed", "history", "changes", "alerts"):
            if self.status.phases[name].status == "pending":
                self.status.phases[name] = PhaseState(status="skipped", note=reason)

    def _phase(self, name: str, fn: Callable[[], PhaseReport], *, critical: bool = False) -> bool:
        """Run one phase and record it; True unless it failed. A critical phase is not interrupted by
        a signal: it ends, is recorded in the status file, and then the signal stops the watcher."""
        state = self.status.phases[name]
        state.status, state.start = "running", int(self.clock.now() * 1000)
        self._write_status()
        began = self.clock.now()
        if not critical:
            try:
                report = self._call(name, fn)
            except Stopped:
                state.status, state.error = "failed", "interrupted by a stop signal"
                state.duration_s = round(self.clock.now() - began, 3)
                raise
            self._record(name, state, report, began)
            return report.status != "failed"
        with self.gate.critical():
            report = self._call(name, fn)
            self._record(name, state, report, began)
        return report.status != "failed"

    def _call(self, name: str, fn: Callable[[], PhaseReport]) -> PhaseReport:
        if self.phases.on_phase is not None:
            self.phases.on_phase(name)
        try:
            return fn()
        except AuthenticationError as exc:
            if self.settings.derivatives == "coinalyze":
                raise _StopLoop(2, f"the API refused the key under --derivatives coinalyze: {exc}") from exc
            return PhaseReport("failed", error=str(exc))
        except Exception as exc:  # a failure never stops the loop
            log.debug("phase failed", exc_info=True)
            return PhaseReport("failed", error=str(exc) or type(exc).__name__)

    def _record(self, name: str, state: PhaseState, report: PhaseReport, began: float) -> None:
        state.status, state.note = report.status, report.note
        state.error = redact(report.error) if report.error else None
        state.duration_s = round(self.clock.now() - began, 3)
        if report.channels:
            self.status.alerts = list(report.channels)
        if report.status == "failed":
            log.error("cycle %d: %s failed: %s", self.status.cycle, name, state.error)
        elif report.status == "degraded":
            log.warning("cycle %d: %s degraded: %s", self.status.cycle, name, state.error or state.note)
        self._write_status()

    # -- the phases -------------------------------------------------------------------------------

    def _download(self) -> PhaseReport:
        if self.phases.download is None:
            return PhaseReport("skipped", "--no-download")
        report = self.phases.download(self.request, self.settings, self.clock)
        self.chosen.update(report.chosen or {})
        return report

    def _snapshot(self) -> PhaseReport:
        if self.phases.snapshot is None:
            return PhaseReport("skipped", SNAPSHOT_SKIPPED)
        venues = list(self.request.exchanges)  # Venue is a StrEnum: names and enum values alike
        outcome = self.phases.snapshot(
            self.settings, self.request.data_dir, clock=self.clock, exchanges=venues
        )
        status = str(getattr(outcome, "status", "ok"))
        judged: Literal["ok", "degraded", "failed"] = "failed" if status == "failed" else "ok"
        if status in ("degraded", "partial"):
            judged = "degraded"
        return PhaseReport(judged, str(outcome)[:300])

    def _scan(self, cycle: _Cycle) -> PhaseReport:
        factory = self.phases.source
        if factory is None:
            raise ConfigError("no derivatives source configured")
        request = self.request
        scan = Scan(self.settings, ScanRequest(request.data_dir, request.strategy, None, request.ltf,
                                               request.htf), self.clock)  # fmt: skip
        scan.history, scan.record_history, scan.origin = cycle.history, False, "watch"
        loaded = scope_loaded(scan.load(), exchanges=request.exchanges, symbols=request.symbols,
                              top=request.top, chosen=self.chosen)  # fmt: skip
        with closing(factory(self.settings, request.data_dir, self.clock)) as source:
            derivatives = scan.fetch(loaded, source, None)
        signals = scan.analyse(loaded.markets, derivatives.data)
        self._note_scan(signals)
        cycle.scan, cycle.loaded, cycle.stats, cycle.signals = scan, loaded, derivatives.stats, signals
        stats = derivatives.stats
        note = f"{len(loaded.markets)} markets, {len(signals)} signals, {stats.units_spent} units"
        if stats.degraded_markets:
            return PhaseReport("degraded", note, f"{stats.degraded_markets} markets without derivatives data")
        return PhaseReport("ok", note)

    def _note_scan(self, signals: list[Signal]) -> None:
        """Tier A for the §11 planner from this scan; a failure is a warning (the scan stands)."""
        if self.phases.note_scan is None:
            return
        try:
            hot = self.phases.note_scan(self.settings, self.request.data_dir, signals, clock=self.clock)
        except Exception as exc:
            self._warn(f"cycle {self.status.cycle}: tier A not noted for the planner: {redact(str(exc))}")
        else:
            log.info("cycle %d: %d Coinalyze symbol(s) tier A for the planner", self.status.cycle, hot)

    def _feed(self, cycle: _Cycle) -> PhaseReport:
        assert cycle.scan is not None and cycle.loaded is not None and cycle.stats is not None
        outcome = cycle.outcome = cycle.scan.publish(cycle.loaded, cycle.stats, cycle.signals)
        note = f"{len(outcome.signals)} signals, run {outcome.run.status}"
        if outcome.run.status != "ok":
            return PhaseReport("degraded", note, f"run status {outcome.run.status}")
        return PhaseReport("ok", note)

    def _history(self, cycle: _Cycle) -> PhaseReport:
        assert cycle.scan is not None and cycle.outcome is not None
        names = [s.name for s in cycle.scan.strategies]
        cycle.run_id = record_feed(cycle.history, self.request.data_dir, cycle.outcome.feed, strategies=names,
                                   origin="watch", history_days=self.settings.history_days)  # fmt: skip
        if cycle.run_id is None:
            return PhaseReport("failed", error="the run could not be recorded in the history store")
        return PhaseReport("ok", f"run {cycle.run_id}")

    def _changes(self, cycle: _Cycle) -> PhaseReport:
        assert cycle.outcome is not None
        changes = cycle.outcome.changes
        tally = ", ".join(f"{n} {k}" for k, n in change_counts(changes).items())
        log.info("cycle %d changes: %s", self.status.cycle, tally)
        for change in changes[:10]:
            row = change.current
            log.info("  %s %s %s %s %s %.1f", change.kind, change.exchange, change.symbol, change.strategy,
                     row.action, row.score)  # fmt: skip
        return PhaseReport("ok", tally)

    def _alerts(self, cycle: _Cycle) -> PhaseReport:
        if self.phases.alerts is None:
            return PhaseReport("skipped", "no alert URLs (QUANTPRO_ALERT_URLS)")
        assert cycle.outcome is not None
        request = AlertRequest(cycle.history, self.request.data_dir, cycle.run_id, cycle.outcome.signals,
                               int(self.clock.now() * 1000))  # fmt: skip
        return self.phases.alerts(request)


@dataclass
class _Cycle:
    """What one cycle's phases hand each other."""

    history: HistoryStore | None
    scan: Scan | None = None
    loaded: LoadResult | None = None
    stats: SourceStats | None = None
    signals: list[Signal] = field(default_factory=list)
    outcome: ScanOutcome | None = None
    run_id: int | None = None


def run_watch(settings: Settings, request: WatchRequest, phases: Phases, clock: Clock) -> int:
    """Watch until ``--cycles`` are done or a signal stops it; the exit code."""
    return Watcher(settings, request, phases, clock).run()
