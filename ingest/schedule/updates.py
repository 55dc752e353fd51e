"""A source's new schedule after a check: pure decisions the pipeline hands to the store.

:func:`schedule_after_success` says when a source that answered is due again (its own interval
or the adaptive one, the feed's TTL, the response's caching headers); :func:`failure_update`
what a failed check means (backoff, Retry-After, a 410 Gone disabling it). The store only writes
the :class:`ScheduleUpdate` it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.errors import FailureKind, FetchError, IngestError
from ingest.feeds.parse import ParsedFeed
from ingest.fetch.settings import FetchResponse
from ingest.models import SourceState, SourceStatus
from ingest.schedule.policy import (
    RandomSource,
    ScheduleConfig,
    adaptive_interval,
    failure_backoff,
    next_check,
)
from ingest.secrets import Redactor


@dataclass(frozen=True, slots=True)
class ScheduleUpdate:
    """The new schedule state of a source after a check."""

    status: SourceStatus
    next_check: datetime
    failures: int
    last_error: str | None = None
    last_error_kind: str | None = None
    last_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    adaptive_interval: float | None = None
    new_url: str | None = None  # a permanent redirect moved the feed
    success: bool = False
    disable: bool = False


def shown_error(error: object) -> str:
    """An error as stored and shown: credentials in URLs (user:pass@, ?token=) masked.

    Stored errors end up in `ingest sources`, `/metrics`-adjacent tools and Datasette, which are
    not the place for a feed's access token.
    """
    return Redactor().redact(str(error))


def schedule_after_success(
    cfg: ScheduleConfig,
    source: SourceState,
    response: FetchResponse,
    feed: ParsedFeed | None,
    *,
    now: datetime,
    entry_times: Sequence[datetime],
) -> tuple[datetime, float | None]:
    """When the source is due again, and its adaptive interval (None when not adaptive).

    ``entry_times``: publication times of its latest entries, newest first (the adaptive
    interval is half their median gap).
    """
    base = source.interval or cfg.default_interval
    adaptive: float | None = None
    if cfg.adaptive and source.interval is None:
        adaptive = adaptive_interval(
            list(entry_times),
            base=timedelta(seconds=base),
            min_interval=timedelta(seconds=cfg.min_interval),
            max_interval=timedelta(seconds=cfg.max_interval),
            now=now,
        ).total_seconds()
        base = adaptive
    ttl = feed.ttl if feed is not None else None
    when = next_check(
        now,
        interval=timedelta(seconds=base),
        feed_ttl=timedelta(seconds=ttl) if ttl else None,
        max_age=(
            timedelta(seconds=response.cache_control_max_age)
            if response.cache_control_max_age is not None
            else None
        ),
        expires=response.expires,
        retry_after=None,
        min_interval=timedelta(seconds=cfg.min_interval),
        max_interval=timedelta(seconds=cfg.max_interval),
    )
    return when, adaptive


def failure_update(
    cfg: ScheduleConfig, source: SourceState, exc: Exception, *, now: datetime, rng: RandomSource
) -> ScheduleUpdate:
    """The schedule after a failed check: ``failing`` with exponential backoff (at least the
    server's Retry-After, at most ``max_interval``), or ``disabled`` for 410 Gone."""
    failures = source.failures + 1
    if isinstance(exc, FetchError):
        kind = exc.kind.value
    elif isinstance(exc, IngestError):
        kind = FailureKind.PARSE.value
    else:
        kind = FailureKind.INTERNAL.value
    status_code = exc.status if isinstance(exc, FetchError) else None
    if isinstance(exc, FetchError) and exc.kind is FailureKind.GONE:
        return ScheduleUpdate(
            status=SourceStatus.DISABLED,
            next_check=now,
            failures=failures,
            last_error=shown_error(f"disabled: the server answered 410 Gone for {exc.url}"),
            last_error_kind=kind,
            last_status=status_code,
            disable=True,
        )
    wait = failure_backoff(
        failures,
        base=timedelta(seconds=cfg.min_interval),
        max_interval=timedelta(seconds=cfg.max_interval),
        rng=rng,
    )
    if isinstance(exc, FetchError) and exc.retry_after is not None:
        wait = min(
            max(wait, timedelta(seconds=exc.retry_after)), timedelta(seconds=cfg.max_interval)
        )
    return ScheduleUpdate(
        status=SourceStatus.FAILING,
        next_check=now + wait,
        failures=failures,
        last_error=shown_error(exc),
        last_error_kind=kind,
        last_status=status_code,
    )
