"""Schedule arithmetic and the freshness header parsers (pure; hypothesis where it pays)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ingest.errors import ConfigError
from ingest.schedule.policy import adaptive_interval, failure_backoff, next_check

NOW = datetime(2025, 4, 2, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=5)
MAX = timedelta(hours=24)

durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650))
maybe_durations = st.none() | durations
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)


class FixedRandom:
    """A random source that always returns the same value in [0, 1)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


unit = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


# -- next_check ---------------------------------------------------------------------------------


@given(
    interval=durations,
    ttl=maybe_durations,
    max_age=maybe_durations,
    expires=st.none() | instants,
    retry_after=maybe_durations,
)
def test_next_check_stays_within_bounds(
    interval: timedelta,
    ttl: timedelta | None,
    max_age: timedelta | None,
    expires: datetime | None,
    retry_after: timedelta | None,
) -> None:
    """Whatever the hints, the next check lies between now+min and now+max."""
    when = next_check(
        NOW,
        interval=interval,
        feed_ttl=ttl,
        max_age=max_age,
        expires=expires,
        retry_after=retry_after,
        min_interval=MIN,
        max_interval=MAX,
    )
    assert NOW + MIN <= when <= NOW + MAX


@given(interval=durations, hint=durations, which=st.sampled_from(["feed_ttl", "max_age"]))
def test_a_hint_never_makes_the_check_earlier(
    interval: timedelta, hint: timedelta, which: str
) -> None:
    """Adding a TTL or max-age can only postpone the next check (we never poll more eagerly)."""
    base = next_check(NOW, interval=interval, min_interval=MIN, max_interval=MAX)
    hinted = next_check(
        NOW,
        interval=interval,
        feed_ttl=hint if which == "feed_ttl" else None,
        max_age=hint if which == "max_age" else None,
        min_interval=MIN,
        max_interval=MAX,
    )
    assert hinted >= base


def test_next_check_takes_the_largest_hint() -> None:
    """interval 15 min, TTL 1 h, Retry-After 2 h: the check is in 2 h."""
    when = next_check(
        NOW,
        interval=timedelta(minutes=15),
        feed_ttl=timedelta(hours=1),
        retry_after=timedelta(hours=2),
        min_interval=MIN,
        max_interval=MAX,
    )
    assert when == NOW + timedelta(hours=2)


def test_max_age_overrides_expires() -> None:
    """RFC 9111 §5.3: with max-age present, a later Expires is ignored."""
    when = next_check(
        NOW,
        interval=timedelta(minutes=10),
        max_age=timedelta(minutes=30),
        expires=NOW + timedelta(hours=5),
        min_interval=MIN,
        max_interval=MAX,
    )
    assert when == NOW + timedelta(minutes=30)


def test_expires_in_the_future_postpones() -> None:
    """Without max-age, Expires 3 h away puts the check 3 h away."""
    when = next_check(
        NOW,
        interval=timedelta(minutes=10),
        expires=NOW + timedelta(hours=3),
        min_interval=MIN,
        max_interval=MAX,
    )
    assert when == NOW + timedelta(hours=3)


def test_hostile_retry_after_is_capped_at_max() -> None:
    """Retry-After of ten years still brings the source back within max_interval."""
    when = next_check(
        NOW,
        interval=timedelta(minutes=10),
        retry_after=timedelta(days=3650),
        min_interval=MIN,
        max_interval=MAX,
    )
    assert when == NOW + MAX


def test_tiny_interval_is_raised_to_min() -> None:
    """A 1 s interval from config is polled no more often than min_interval."""
    when = next_check(NOW, interval=timedelta(seconds=1), min_interval=MIN, max_interval=MAX)
    assert when == NOW + MIN


def test_inverted_bounds_are_a_config_error() -> None:
    """min above max is refused rather than silently swapped."""
    with pytest.raises(ConfigError):
        next_check(NOW, interval=MIN, min_interval=MAX, max_interval=MIN)


# -- adaptive_interval --------------------------------------------------------------------------


def hourly(n: int, *, end: datetime = NOW, step: timedelta = timedelta(hours=1)) -> list[datetime]:
    """``n`` entry times, ``step`` apart, the last at ``end``."""
    return [end - step * i for i in range(n)]


def test_regular_hourly_feed_is_polled_every_half_hour() -> None:
    """Entries once an hour give an interval of half an hour."""
    interval = adaptive_interval(
        hourly(10), base=timedelta(hours=2), min_interval=MIN, max_interval=MAX
    )
    assert interval == timedelta(minutes=30)


def test_too_few_entries_fall_back_to_base() -> None:
    """With 0 or 1 entries (or duplicates of one time) there is no rate: base is used."""
    base = timedelta(hours=2)
    for times in ([], [NOW], [NOW, NOW]):
        assert adaptive_interval(times, base=base, min_interval=MIN, max_interval=MAX) == base


def test_one_burst_does_not_swing_the_rate() -> None:
    """Five posts in one minute among hourly posts leave the median gap at an hour."""
    times = hourly(12) + [NOW - timedelta(hours=3, seconds=s) for s in (10, 20, 30, 40)]
    interval = adaptive_interval(times, base=timedelta(hours=2), min_interval=MIN, max_interval=MAX)
    assert interval == timedelta(minutes=30)


def test_silence_lengthens_the_interval() -> None:
    """A usually hourly feed, silent for ten hours, is checked every five hours."""
    times = hourly(10, end=NOW - timedelta(hours=10))
    interval = adaptive_interval(
        times, base=timedelta(hours=1), min_interval=MIN, max_interval=MAX, now=NOW
    )
    assert interval == timedelta(hours=5)


def test_future_dated_entries_are_ignored() -> None:
    """Entries dated after now (bad clocks) do not count towards the rate."""
    times = hourly(10) + [NOW + timedelta(minutes=m) for m in (1, 2, 3, 4, 5, 6)]
    interval = adaptive_interval(
        times, base=timedelta(hours=2), min_interval=MIN, max_interval=MAX, now=NOW
    )
    assert interval == timedelta(minutes=30)


@given(
    times=st.lists(instants, max_size=40),
    base=durations,
    with_now=st.booleans(),
)
def test_adaptive_interval_stays_within_bounds(
    times: list[datetime], base: timedelta, with_now: bool
) -> None:
    """Any entry history gives an interval between min and max."""
    interval = adaptive_interval(
        times, base=base, min_interval=MIN, max_interval=MAX, now=NOW if with_now else None
    )
    assert MIN <= interval <= MAX


@given(
    gaps=st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=25),
    factor=st.integers(min_value=1, max_value=50),
)
def test_slower_posting_never_means_more_polling(gaps: list[int], factor: int) -> None:
    """Stretching every gap between entries by a factor never shortens the interval."""

    def times_for(scale: int) -> list[datetime]:
        out, t = [NOW], NOW
        for gap in gaps:
            t -= timedelta(seconds=gap * scale)
            out.append(t)
        return out

    def interval(scale: int) -> timedelta:
        return adaptive_interval(
            times_for(scale), base=timedelta(hours=1), min_interval=MIN, max_interval=MAX
        )

    assert interval(factor) >= interval(1)


# -- failure_backoff ----------------------------------------------------------------------------

BASE = timedelta(minutes=5)


def test_backoff_doubles_without_jitter() -> None:
    """With zero jitter drawn, the delay is base, 2*base, 4*base ..."""
    delays = [
        failure_backoff(n, base=BASE, max_interval=MAX, rng=FixedRandom(0.0)) for n in (1, 2, 3)
    ]
    assert delays == [BASE, 2 * BASE, 4 * BASE]


def test_persistent_failure_reaches_max_and_stays() -> None:
    """A source failing for ever is retried at exactly max_interval, never dropped."""
    rng = random.Random(7)
    # 5 min * 2**9 is the first ceiling past 24 h, reached at the tenth failure.
    for failures in (10, 11, 50, 10_000):
        assert failure_backoff(failures, base=BASE, max_interval=MAX, rng=rng) == MAX


def test_no_failures_means_no_backoff() -> None:
    """Zero consecutive failures add no delay."""
    assert failure_backoff(0, base=BASE, max_interval=MAX, rng=FixedRandom(0.5)) == timedelta(0)


@given(failures=st.integers(min_value=1, max_value=10**6), draw=unit)
def test_backoff_stays_within_bounds(failures: int, draw: float) -> None:
    """The delay is at least 3/4 of base and never above max."""
    delay = failure_backoff(failures, base=BASE, max_interval=MAX, rng=FixedRandom(draw))
    assert BASE * 0.75 <= delay <= MAX


@given(failures=st.integers(min_value=1, max_value=200), first=unit, second=unit)
@example(failures=1, first=0.0, second=0.999)  # the least favourable jitter pair
def test_backoff_never_shrinks_as_failures_grow(failures: int, first: float, second: float) -> None:
    """Whatever jitter is drawn, one more failure never brings the retry sooner."""
    now = failure_backoff(failures, base=BASE, max_interval=MAX, rng=FixedRandom(first))
    after = failure_backoff(failures + 1, base=BASE, max_interval=MAX, rng=FixedRandom(second))
    assert after >= now


def test_jitter_spreads_sources_that_failed_together() -> None:
    """Sources failing at the same moment do not all come back at the same moment."""
    rng = random.Random(1)
    delays = {failure_backoff(3, base=BASE, max_interval=MAX, rng=rng) for _ in range(20)}
    assert len(delays) == 20


# -- header parsers -----------------------------------------------------------------------------
