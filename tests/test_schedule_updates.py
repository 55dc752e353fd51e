"""What a check's result means for the schedule (ingest/schedule/updates.py): pure decisions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ingest.errors import FailureKind, FeedParseError, FetchError
from ingest.models import SourceState, SourceStatus
from ingest.schedule.policy import ScheduleConfig
from ingest.schedule.updates import failure_update, shown_error

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
CFG = ScheduleConfig(min_interval=300.0, max_interval=86400.0)


def source(failures: int = 0) -> SourceState:
    return SourceState(
        id=1, name="wire", url="https://wire.example/feed.xml", tags=(), interval=None,
        enabled=True, status=SourceStatus.OK, last_checked=None, last_success=None,
        next_check=None, failures=failures, last_error=None, last_error_kind=None,
        last_status=None, etag=None, last_modified=None, body_hash=None, adaptive_interval=None,
    )  # fmt: skip


def test_gone_disables_the_source() -> None:
    exc = FetchError("gone", url="https://wire.example/feed.xml", kind=FailureKind.GONE, status=410)
    update = failure_update(CFG, source(), exc, now=NOW, rng=random.Random(1))
    assert update.disable and update.status is SourceStatus.DISABLED
    assert update.last_status == 410 and "410 Gone" in (update.last_error or "")


def test_retry_after_is_honoured_up_to_the_maximum() -> None:
    def limited(seconds: float) -> FetchError:
        return FetchError("slow down", url="https://w.example/f", kind=FailureKind.RATE_LIMITED,
                          status=429, retry_after=seconds)  # fmt: skip

    update = failure_update(CFG, source(), limited(7200), now=NOW, rng=random.Random(1))
    assert update.status is SourceStatus.FAILING and update.next_check >= NOW + timedelta(hours=2)
    capped = failure_update(CFG, source(), limited(10**9), now=NOW, rng=random.Random(1))
    assert capped.next_check == NOW + timedelta(seconds=CFG.max_interval)


def test_parse_errors_and_bugs_are_classified() -> None:
    parse = failure_update(
        CFG,
        source(),
        FeedParseError("not a feed", url="https://w.example/f"),
        now=NOW,
        rng=random.Random(),
    )
    bug = failure_update(CFG, source(), ValueError("oops"), now=NOW, rng=random.Random())
    assert (parse.last_error_kind, bug.last_error_kind) == ("parse", "internal")


@given(failures=st.integers(0, 200), seed=st.integers(0, 2**32))
def test_backoff_never_exceeds_the_maximum_and_counts_failures(failures: int, seed: int) -> None:
    exc = FetchError("down", url="https://w.example/f", kind=FailureKind.HTTP_5XX, status=503)
    update = failure_update(CFG, source(failures), exc, now=NOW, rng=random.Random(seed))
    assert update.failures == failures + 1
    assert NOW < update.next_check <= NOW + timedelta(seconds=CFG.max_interval)


def test_shown_errors_mask_credentials() -> None:
    shown = shown_error("fetch failed: https://user:hunter2@wire.example/feed?token=abc123")
    assert "hunter2" not in shown and "abc123" not in shown
