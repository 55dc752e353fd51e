"""What ``/healthz`` says: pure judgement over a snapshot of the daemon and the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ingest.models import to_iso

# A tick may be skipped (the previous one still running) or late (a long backlog pass); three
# missed intervals plus a minute is "the scheduler stopped", not "the scheduler is busy".
MISSED_TICKS = 3
TICK_GRACE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class HealthInputs:
    """Everything the verdict depends on, gathered by the server at request time."""

    now: datetime
    started_at: datetime  # when the ops server (and so the daemon) started
    tick_seconds: float
    last_tick: datetime | None
    tick_running: bool
    last_success: datetime | None  # the later of the daemon's memory and the store's
    enabled_sources: int
    db_error: str | None  # None: the database took a write lock
    max_poll_age: float  # seconds; 0 = report the age only


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    checks: dict[str, dict[str, Any]]

    @property
    def status_code(self) -> int:
        return 200 if self.ok else 503

    def as_json(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "failing", "checks": self.checks}


def assess(i: HealthInputs) -> Health:
    """The verdict: healthy when the database is writable, the scheduler ticks and (when asked)
    some source was polled successfully recently enough."""
    checks: dict[str, dict[str, Any]] = {"alive": {"ok": True}}
    checks["database"] = {"ok": i.db_error is None, "error": i.db_error}

    allowed = timedelta(seconds=i.tick_seconds * MISSED_TICKS) + TICK_GRACE
    reference = i.last_tick or i.started_at
    overdue = i.now - reference > allowed
    checks["scheduler"] = {
        "ok": i.tick_running or not overdue,
        "last_tick": to_iso(i.last_tick),
        "running": i.tick_running,
        "tick_seconds": i.tick_seconds,
    }

    age = (i.now - i.last_success).total_seconds() if i.last_success else None
    poll_ok = True
    if i.max_poll_age > 0 and i.enabled_sources > 0:
        # Before the first success, the daemon's own start time is the reference, so a fresh
        # container is not unhealthy for the whole of its first poll.
        since = age if age is not None else (i.now - i.started_at).total_seconds()
        poll_ok = since <= i.max_poll_age
    checks["last_poll"] = {
        "ok": poll_ok,
        "last_success": to_iso(i.last_success),
        "age_seconds": round(age, 1) if age is not None else None,
        "max_age_seconds": i.max_poll_age or None,
        "enabled_sources": i.enabled_sources,
    }
    return Health(ok=all(c["ok"] for c in checks.values()), checks=checks)


def latest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two optional moments."""
    return max((t for t in (a, b) if t is not None), default=None)
