"""Schedule arithmetic: when to check a source next. Pure functions, no I/O.

Every function takes ``now`` (and a random source where jitter is involved) as an argument, so the
scheduler, the tests and a fake clock all get the same answers. Durations are ``timedelta``; points
in time are timezone-aware UTC ``datetime``.

The response headers that feed :func:`next_check` (Cache-Control ``max-age``, ``Expires``,
``Retry-After``) are read by :mod:`ingest.fetch.headers`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median
from typing import Protocol

from ingest.errors import ConfigError
from ingest.settings_schema import Duration, Integer, InvalidSetting, setting

__all__ = [
    "RandomSource",
    "ScheduleConfig",
    "adaptive_interval",
    "failure_backoff",
    "next_check",
]


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    """The ``[schedule]`` table: how often sources are checked, and the limits of one check."""

    tick_seconds: float = setting(30.0, Duration(minimum=1, maximum=3600), key="tick")
    default_interval: float = setting(1800.0, Duration())
    min_interval: float = setting(300.0, Duration())
    max_interval: float = setting(86400.0, Duration())
    max_entries_per_poll: int = setting(200, Integer(minimum=1, maximum=100_000))
    max_parallel_sources: int = setting(8, Integer(minimum=1, maximum=1000))
    adaptive: bool = True
    # Stored pages are fetched again every `revisit_every` while younger than `revisit_within`,
    # so in-place corrections are seen even when the feed does not change. 0 turns it off.
    revisit_within: float = setting(172800.0, Duration(zero_is_off=True))
    revisit_every: float = setting(21600.0, Duration(zero_is_off=True))
    # One check of one source (feed and pages) stops after this long; the entries it did not
    # reach wait for the next check. The source lease is derived from it (see daemon.py).
    check_budget: float = setting(600.0, Duration(minimum=10, maximum=6 * 3600))
    # SIGTERM/SIGINT: checks and deliveries in flight get this long to finish, then are cut.
    stop_grace: float = setting(20.0, Duration(minimum=1, maximum=3600))

    def __post_init__(self) -> None:
        if self.min_interval > self.max_interval:
            raise InvalidSetting("must not exceed max_interval", "min_interval")


# How many of the most recent entries describe a source's current posting rate. Older history
# would make a feed that changed its rhythm (a blog turned news desk) adapt too slowly.
_RATE_WINDOW = 20

# Fraction of the backoff delay that jitter may take away. Jitter spreads the retries of sources
# that failed together (one CDN outage) so they do not all return in the same tick.
_JITTER = 0.25


class RandomSource(Protocol):
    """What jitter needs from a random generator; ``random.Random`` satisfies it."""

    def random(self) -> float: ...


def _check_bounds(lo: timedelta, hi: timedelta, *, what: str) -> None:
    if lo < timedelta(0):
        raise ConfigError(f"{what}: minimum interval {lo} is negative")
    if lo > hi:
        raise ConfigError(f"{what}: minimum interval {lo} exceeds maximum interval {hi}")


def _clamp(value: timedelta, lo: timedelta, hi: timedelta) -> timedelta:
    return min(max(value, lo), hi)


def next_check(
    now: datetime,
    *,
    interval: timedelta,
    feed_ttl: timedelta | None = None,
    max_age: timedelta | None = None,
    expires: datetime | None = None,
    retry_after: timedelta | None = None,
    min_interval: timedelta,
    max_interval: timedelta,
) -> datetime:
    """Return ``now + clamp(max(interval, ttl, max-age, Expires, Retry-After), min, max)``.

    Every hint the source gives only ever lengthens the wait (we poll no more often than the
    publisher asks), and the clamp keeps a hostile hint (``Retry-After: 10 years``) from silently
    dropping a source: it is retried at ``max_interval`` at the latest.
    """
    _check_bounds(min_interval, max_interval, what="next_check")
    candidates = [interval]
    if feed_ttl is not None:
        candidates.append(feed_ttl)
    if max_age is not None:
        candidates.append(max_age)
    elif expires is not None:
        # RFC 9111 §5.3: with a max-age directive present, Expires MUST be ignored.
        candidates.append(expires - now)
    if retry_after is not None:
        candidates.append(retry_after)
    return now + _clamp(max(candidates), min_interval, max_interval)


def adaptive_interval(
    entry_times: Iterable[datetime],
    *,
    base: timedelta,
    min_interval: timedelta,
    max_interval: timedelta,
    now: datetime | None = None,
) -> timedelta:
    """Return a polling interval that follows the source's observed posting rate.

    The interval is half the median gap between the most recent entries: checking twice per
    typical gap keeps the average delay before we see an entry at a quarter of a gap, without
    polling a weekly blog every few minutes. The median, not the mean, so that one burst (five
    posts in a minute) or one holiday does not swing the rate. With ``now`` given, a source that
    has been silent for longer than its usual gap is checked less often (half the silence), and
    entries dated in the future (bad clocks, bad feeds) are ignored. Fewer than two usable
    entries say nothing about a rate, so ``base`` is used.
    """
    _check_bounds(min_interval, max_interval, what="adaptive_interval")
    times = sorted({t for t in entry_times if now is None or t <= now})[-_RATE_WINDOW:]
    if len(times) < 2:
        return _clamp(base, min_interval, max_interval)
    gap = timedelta(
        seconds=median((later - earlier).total_seconds() for earlier, later in pairwise(times))
    )
    if now is not None:
        gap = max(gap, now - times[-1])
    return _clamp(gap / 2, min_interval, max_interval)


def failure_backoff(
    failures: int,
    *,
    base: timedelta,
    max_interval: timedelta,
    rng: RandomSource,
) -> timedelta:
    """Return the wait after ``failures`` consecutive failures: exponential, jittered, capped.

    The ceiling doubles with each failure (``base``, ``2*base``, ``4*base`` ...) and the delay is
    drawn from the top quarter below it. Once the ceiling reaches ``max_interval`` the delay *is*
    ``max_interval``: a source that keeps failing is never dropped, it is retried at the slowest
    rate (miniflux's weak spot is exactly that it drops such sources after three errors).
    """
    _check_bounds(base, max_interval, what="failure_backoff")
    if failures <= 0:
        return timedelta(0)
    # Beyond 2**60 the ceiling has long passed any max_interval; capping the exponent avoids an
    # OverflowError for a source that has failed for years.
    ceiling_s = base.total_seconds() * 2.0 ** min(failures - 1, 60)
    if ceiling_s >= max_interval.total_seconds():
        return max_interval
    return timedelta(seconds=ceiling_s * (1.0 - _JITTER * rng.random()))
