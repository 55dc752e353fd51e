"""When to send: the first attempt (now, or the next digest slot), and after a failure the next
attempt (exponential backoff with jitter, Retry-After honoured) or none (past the horizon: dead).
Pure functions of their arguments; the random source is passed in so tests can fix it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Literal

from ingest.alerts.settings import AlertSettings, RetryPolicy

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Status = Literal["sent", "pending", "dead", "disabled"]


def next_digest_time(now: datetime, settings: AlertSettings) -> datetime:
    """The first digest slot strictly after ``now``.

    ``digest_every`` slots are aligned on the epoch (every 15 minutes means :00, :15, :30, :45
    UTC), so every alert raised in one window gets the same slot and a burst becomes one message,
    whatever the process restarts in between.
    """
    now = now.astimezone(UTC)
    if settings.digest_at is not None:
        slot = now.replace(
            hour=settings.digest_at.hour, minute=settings.digest_at.minute, second=0, microsecond=0
        )
        return slot if slot > now else slot + timedelta(days=1)
    every = settings.digest_every or 3600.0
    elapsed = (now - _EPOCH).total_seconds()
    return _EPOCH + timedelta(seconds=(math.floor(elapsed / every) + 1) * every)


def first_attempt(now: datetime, settings: AlertSettings) -> datetime:
    """When a new alert is first due: at once, or at the next digest slot."""
    return next_digest_time(now, settings) if settings.mode == "digest" else now


def backoff_delay(attempts: int, retry: RetryPolicy, rng: Random) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: base * 2^(n-1), capped, with
    jitter so that many alerts failing together do not retry in lockstep."""
    exponent = min(max(attempts - 1, 0), 40)
    delay = min(retry.base_delay * 2.0**exponent, retry.max_delay)
    return delay * (1.0 - retry.jitter * rng.random())


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to record after an attempt."""

    status: Status
    next_attempt: datetime | None = None


def outcome_after(
    *,
    ok: bool,
    gone: bool,
    retry_after: float | None,
    attempts: int,
    horizon_from: datetime,
    now: datetime,
    retry: RetryPolicy,
    rng: Random,
) -> Outcome:
    """The delivery's state after its ``attempts``-th attempt ended as described.

    A failure before the horizon is retried; the last retry is placed at the horizon itself, so
    a receiver that comes back within the horizon always gets the alert. Retry-After wins over
    the backoff when it asks for longer (RFC 9110 §10.2.3), even past the horizon.
    """
    if ok:
        return Outcome("sent")
    if gone:
        return Outcome("disabled")
    deadline = horizon_from + timedelta(seconds=retry.horizon)
    if now >= deadline:
        return Outcome("dead")
    at = min(now + timedelta(seconds=backoff_delay(attempts, retry, rng)), deadline)
    if retry_after is not None:
        at = max(at, now + timedelta(seconds=retry_after))
    return Outcome("pending", at)
