"""``DATA_DIR/watch_status.json`` (docs/design.md §14): what the watcher is doing, for people and monitors.

Written atomically after every phase, so a reader always sees a whole file: the pid, when the watcher
started, the cycle, each phase of the current (or last) cycle with its start, duration, status and
error, and when the next cycle is due. Times are Unix milliseconds with a UTC text beside them.
Nothing secret is written: errors pass through :func:`quantpro.secrets.redact`, alert channels are
named by scheme and a short hash, never by URL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from quantpro.clock import utc_text
from quantpro.secrets import redact
from quantpro.store.atomic import atomic_write_json
from quantpro.store.layout import WATCH_STATUS

__all__ = ["PHASES", "PhaseState", "PhaseStatus", "WatchStatus"]

PhaseStatus = Literal["pending", "running", "ok", "degraded", "failed", "skipped"]

#: The phases of one cycle, in order.
PHASES = ("download", "snapshot", "scan", "feed", "history", "changes", "alerts", "status")

STATUS_SCHEMA_VERSION = 1


@dataclass
class PhaseState:
    status: PhaseStatus = "pending"
    start: int | None = None  # ms
    duration_s: float | None = None
    error: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "start": self.start,
            "start_utc": utc_text(self.start) if self.start is not None else None,
            "duration_s": self.duration_s,
            "error": redact(self.error) if self.error else None,
            "note": redact(self.note) if self.note else None,
        }


def _ms_text(ms: int | None) -> str | None:
    return utc_text(ms) if ms is not None else None


@dataclass
class WatchStatus:
    """The status file's content; :meth:`write` replaces the file atomically."""

    data_dir: Path
    started: int  # ms
    every_s: float
    delay_s: float
    pid: int = field(default_factory=os.getpid)
    state: str = "starting"  # starting | waiting | running | stopped
    cycle: int = 0
    cycle_slot: int | None = None
    cycle_status: str | None = None
    phases: dict[str, PhaseState] = field(default_factory=dict)
    next_cycle_at: int | None = None
    cycles_skipped: int = 0
    slots_missed: int = 0
    last_warning: str | None = None
    stop_reason: str | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return Path(self.data_dir) / WATCH_STATUS

    def new_cycle(self, cycle: int, slot_ms: int) -> None:
        self.cycle, self.cycle_slot, self.cycle_status = cycle, slot_ms, None
        self.phases = {name: PhaseState() for name in PHASES}
        self.state = "running"

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": STATUS_SCHEMA_VERSION,
            "pid": self.pid,
            "data_dir": str(self.data_dir),
            "started": self.started,
            "started_utc": _ms_text(self.started),
            "every_s": self.every_s,
            "delay_s": self.delay_s,
            "state": self.state,
            "cycle": self.cycle,
            "cycle_slot": self.cycle_slot,
            "cycle_slot_utc": _ms_text(self.cycle_slot),
            "cycle_status": self.cycle_status,
            "phases": {name: state.to_json() for name, state in self.phases.items()},
            "next_cycle_at": self.next_cycle_at,
            "next_cycle_at_utc": _ms_text(self.next_cycle_at),
            "cycles_skipped": self.cycles_skipped,
            "slots_missed": self.slots_missed,
            "last_warning": redact(self.last_warning) if self.last_warning else None,
            "stop_reason": self.stop_reason,
            "alerts": self.alerts,
        }

    def write(self) -> None:
        # Rewritten after every phase: atomic (never torn) but not fsynced — a power cut may bring back
        # the previous status, which the next phase replaces anyway.
        atomic_write_json(self.path, self.to_json(), indent=True, durable=False)
