"""Checking one source, end to end: fetch feed -> parse -> filter -> fetch page -> extract -> store.

Miniflux's ``handler`` in shape. The per-source guard here is the one place that catches every
:class:`IngestError`, so one broken source never stops the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from random import Random

from ingest.alerts import AlertSettings, Sender
from ingest.alerts.enqueue import Alerter
from ingest.bounded import run_bounded
from ingest.config import Config
from ingest.dedup import DedupSettings
from ingest.dedup.corpus import Decision, prepare_article, save_prepared
from ingest.errors import (
    ExtractionError,
    FailureKind,
    FeedParseError,
    FetchError,
    StoreError,
)
from ingest.extract.article import choose_text, extract_page
from ingest.feeds.parse import FeedEntry, parse_feed
from ingest.fetch.client import Fetcher
from ingest.fetch.settings import ACCEPT_FEED, ACCEPT_HTML
from ingest.figures import FigureSettings
from ingest.findings import FindingSettings
from ingest.models import CheckOutcome, ExtractedArticle, SourceState, SourceStatus
from ingest.ops.metrics import NULL_METRICS, Metrics
from ingest.schedule.updates import failure_update, schedule_after_success, shown_error
from ingest.store import EntryRecord, RevisitDue, ScheduleUpdate
from ingest.store.interfaces import StoreBackend
from ingest.topic.filter import TopicFilter

log = logging.getLogger("ingest.pipeline")

# How many times a page that failed (and had no feed text to fall back on) is tried again on
# later polls while its entry is still in the feed.
MAX_ENTRY_ATTEMPTS = 3
# Entries of one source in flight at once. Politeness is the per-host limiter's job (it holds
# each host to per_host_concurrency and per_host_min_delay); this only bounds the tasks.
ENTRY_CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a check needs, built once at start-up and passed in."""

    config: Config
    store: StoreBackend
    fetcher: Fetcher
    topic: TopicFilter
    dedup: DedupSettings
    figures: FigureSettings
    findings: FindingSettings
    alerts: AlertSettings
    senders: Mapping[str, Sender]
    clock: Callable[[], datetime]
    rng: Random
    metrics: Metrics = NULL_METRICS

    @property
    def alerter(self) -> Alerter:
        """Enqueues the alerts of the findings an article raises (in its unit of work)."""
        return Alerter(self.store, self.alerts)


@dataclass(frozen=True, slots=True)
class EntryResult:
    status: str  # skipped | rejected | stored | failed
    decision: Decision | None = None
    reason: str | None = None


def entry_fingerprint(entry: FeedEntry) -> str:
    """Changes when the feed's version of the entry changes (a hint the article was edited)."""
    parts = (entry.title, entry.summary, entry.content, entry.updated and entry.updated.isoformat())
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()[:32]


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _feed_text(entry: FeedEntry) -> str:
    return entry.content or entry.summary or ""


async def fetch_article(
    services: Services, source: SourceState, entry: FeedEntry
) -> ExtractedArticle:
    """Fetch and extract the entry's page, falling back to the feed's text."""
    settings = services.config.extract
    page: ExtractedArticle | None = None
    error: str | None = None
    assert entry.link is not None
    started = time.perf_counter()
    try:
        response = await services.fetcher.fetch(entry.link, accept=ACCEPT_HTML)
        services.metrics.fetch_finished("article", time.perf_counter() - started)
        if response.body:
            page = await asyncio.to_thread(extract_page, response.body, url=response.final_url)
    except (FetchError, ExtractionError) as exc:
        error = f"page not used: {exc}"
        log.info("article fetch failed", extra={"source": source.name, "url": entry.link})
    return choose_text(
        page,
        url=entry.link,
        feed_text=_feed_text(entry),
        feed_title=entry.title,
        feed_published=entry.published,
        settings=settings,
        page_error=error,
    )


def entry_record(source: SourceState, entry: FeedEntry, fingerprint: str) -> EntryRecord:
    return EntryRecord(
        source_id=source.id,
        entry_key=entry.entry_key,
        guid=entry.guid,
        link=entry.link,
        title=entry.title,
        published=entry.published,
        fingerprint=fingerprint,
        status="stored",
    )


async def guarded_entry(services: Services, source: SourceState, entry: FeedEntry) -> EntryResult:
    """process_entry, with the per-entry guard: a bug met on one entry's page fails that entry
    (retried on later polls, at most MAX_ENTRY_ATTEMPTS times), not the feed's other entries."""
    try:
        return await process_entry(services, source, entry)
    except StoreError:
        raise
    except Exception as exc:  # the per-entry guard
        log.exception(
            "entry failed unexpectedly: %r", exc, extra={"source": source.name, "url": entry.link}
        )
        reason = f"internal error: {exc!r}"[:500]
        record = _as(entry_record(source, entry, entry_fingerprint(entry)), "failed", reason)
        services.store.upsert_entry(record, now=services.clock(), article_id=None)
        return EntryResult("failed", reason=reason)


async def process_entry(services: Services, source: SourceState, entry: FeedEntry) -> EntryResult:
    store, now, t0 = services.store, services.clock(), time.perf_counter()
    fingerprint = entry_fingerprint(entry)
    seen = store.seen_entry(source.id, entry.entry_key)
    if seen is not None:
        if seen.status == "rejected":
            return EntryResult("skipped")  # decided once, never fetched again
        if seen.status == "stored" and seen.fingerprint == fingerprint:
            return EntryResult("skipped")
        if seen.status == "failed" and seen.attempts >= MAX_ENTRY_ATTEMPTS:
            return EntryResult("skipped")
    record = entry_record(source, entry, fingerprint)
    if seen is None and services.config.topic.enabled:
        verdict = services.topic.match_entry(entry.title, entry.summary)
        if not verdict.accepted:
            # The feed's title and summary are checked first so off-topic pages are never fetched.
            reason = f"topic (feed text): {verdict.reason}"
            store.upsert_entry(_as(record, "rejected", reason), now=now, article_id=None)
            services.metrics.entry_rejected("topic")
            return EntryResult("rejected", reason=reason)
    if not entry.link:
        article = _feed_only(entry, source)
    else:
        try:
            article = await fetch_article(services, source, entry)
        except ExtractionError as exc:
            store.upsert_entry(_as(record, "failed", str(exc)), now=now, article_id=None)
            services.metrics.entry_rejected("failed")
            return EntryResult("failed", reason=str(exc))
    if article is None:
        reason = "entry has neither a link nor any text"
        store.upsert_entry(_as(record, "rejected", reason), now=now, article_id=None)
        services.metrics.entry_rejected("empty")
        return EntryResult("rejected", reason=reason)
    if services.config.topic.enabled and (seen is None or seen.status == "failed"):
        verdict = services.topic.match(f"{article.title or ''}\n{article.text}")
        if not verdict.accepted:
            reason = f"topic (article text): {verdict.reason}"
            store.upsert_entry(_as(record, "rejected", reason), now=now, article_id=None)
            services.metrics.entry_rejected("topic")
            return EntryResult("rejected", reason=reason)
    decision = await store_article(services, article, entry=record, source_id=source.id,
                                   guid=entry.guid, now=now)  # fmt: skip
    services.metrics.article_stored(decision.kind.value)
    stored = store.seen_entry(source.id, entry.entry_key)
    log.info(
        "article %s", decision.kind.value,
        extra={"stage": "corpus", "source": source.name, "url": article.url,
               "article_id": stored.article_id if stored else None,
               "decision": decision.kind.value, "reason": decision.reason,
               "duration_ms": int((time.perf_counter() - t0) * 1000)},
    )  # fmt: skip
    return EntryResult("stored", decision=decision)


async def store_article(
    services: Services,
    article: ExtractedArticle,
    *,
    entry: EntryRecord | None,
    source_id: int | None,
    guid: str | None,
    now: datetime,
) -> Decision:
    """Prepare in a worker thread (tokens, signature, figures: CPU), then write on the loop.

    A page with a hundred figures must not hold the event loop: fetches running beside it
    would see their timers fire late and fail as timeouts.
    """
    ready = await asyncio.to_thread(
        prepare_article, article, source_id=source_id, guid=guid, settings=services.dedup,
        figure_settings=services.figures, fetched=now,
    )  # fmt: skip
    return save_prepared(
        services.store, ready, entry=entry, source_id=source_id, now=now,
        settings=services.dedup, figure_settings=services.figures,
        finding_settings=services.findings, metrics=services.metrics, alerts=services.alerter,
    )  # fmt: skip


def _as(record: EntryRecord, status: str, reason: str) -> EntryRecord:
    return replace(record, status=status, reason=reason)


def _feed_only(entry: FeedEntry, source: SourceState) -> ExtractedArticle | None:
    text = _feed_text(entry).strip()
    if not text:
        return None
    from ingest.urls import canonicalise_url

    key_url = f"urn:ingest:{source.id}:{entry.entry_key}"
    return ExtractedArticle(
        url=key_url,
        canonical_url=canonicalise_url(key_url),
        title=entry.title,
        author=entry.author,
        published=entry.published,
        language=None,
        text=text,
        extraction="feed",
        note="entry has no link",
    )


def _log_check(source: SourceState, result: CheckOutcome) -> None:
    log.info(
        "source checked: %s", result.outcome,
        extra={"stage": "poll", "source": source.name, "url": source.url,
               "outcome": result.outcome, "http_status": result.http_status,
               "new_articles": result.new_articles, "duration_ms": result.duration_ms},
    )  # fmt: skip


async def check_source(services: Services, source: SourceState) -> CheckOutcome:
    """One check of one source. Never raises an IngestError: failures go in the outcome.

    The whole check, feed and pages, gets ``[schedule] check_budget``; the entries it does not
    reach in time are left for the next check (nothing about them is recorded, and the feed's
    validators are not saved, so the next check fetches and walks the feed again).
    """
    started, t0 = services.clock(), time.perf_counter()
    store, cfg = services.store, services.config.schedule
    new_articles = rejected = new_entries = 0
    status_code: int | None = None
    size = 0
    deadline = asyncio.get_running_loop().time() + cfg.check_budget
    if source.userinfo:
        from ingest.secrets import remember_secrets, userinfo_secrets

        remember_secrets(userinfo_secrets(source.userinfo))

    def elapsed_ms() -> int:
        return int((time.perf_counter() - t0) * 1000)

    try:
        try:
            async with asyncio.timeout_at(deadline):
                response = await services.fetcher.fetch(
                    source.fetch_url, etag=source.etag, last_modified=source.last_modified,
                    accept=ACCEPT_FEED,
                )  # fmt: skip
        except TimeoutError as exc:
            raise FetchError(
                f"check budget of {cfg.check_budget:g} s spent fetching the feed",
                url=source.url, kind=FailureKind.TIMEOUT,
            ) from exc  # fmt: skip
        services.metrics.fetch_finished("feed", time.perf_counter() - t0)
        status_code, size = response.status, len(response.body)
        new_url = _bare(response.permanent_redirect)
        if new_url:
            log.warning("feed moved permanently", extra={"source": source.name, "url": new_url})
        digest = body_hash(response.body) if response.body else None
        if response.not_modified or (digest is not None and digest == source.body_hash):
            when, adaptive = schedule_after_success(
                services.config.schedule,
                source,
                response,
                None,
                now=services.clock(),
                entry_times=services.store.entry_times(source.id),
            )
            outcome = "not_modified" if response.not_modified else "unchanged"
            update = ScheduleUpdate(
                status=SourceStatus.OK, next_check=when, failures=0, last_status=status_code,
                etag=response.etag, last_modified=response.last_modified, body_hash=digest,
                adaptive_interval=adaptive, new_url=new_url, success=True,
            )  # fmt: skip
            result = CheckOutcome(
                source.id, started, elapsed_ms(), outcome, status_code, bytes=size
            )
            store.record_check(result, update, url=source.url)
            _log_check(source, result)
            return result
        feed = parse_feed(
            # Without the credentials: relative entry links resolve against this URL, and
            # they are stored and fetched as they come out.
            response.body, url=_bare(response.final_url) or source.url,
            content_type=response.content_type, max_entries=cfg.max_entries_per_poll,
        )  # fmt: skip

        async def entry_worker(entry: FeedEntry) -> EntryResult:
            return await guarded_entry(services, source, entry)

        done = await run_bounded(
            feed.entries, entry_worker, concurrency=ENTRY_CONCURRENCY, deadline=deadline
        )
        for result_entry in done.results:
            if result_entry.status != "skipped":
                new_entries += 1
            if result_entry.status == "stored":
                assert result_entry.decision is not None
                if result_entry.decision.kind in ("new", "duplicate", "revision"):
                    new_articles += 1
            elif result_entry.status == "rejected":
                rejected += 1
        if done.cut:
            result = _budget_spent(services, source, started, elapsed_ms(), status_code, size,
                                   done.unfinished, len(feed.entries), new_url,
                                   new_entries, new_articles, rejected)  # fmt: skip
            _log_check(source, result)
            return result
        when, adaptive = schedule_after_success(
            services.config.schedule,
            source,
            response,
            feed,
            now=services.clock(),
            entry_times=services.store.entry_times(source.id),
        )
        # The validators are saved only now, after every entry is stored: a kill mid-poll
        # leaves the old ETag, so the next poll fetches the feed again and loses nothing.
        update = ScheduleUpdate(
            status=SourceStatus.OK, next_check=when, failures=0, last_status=status_code,
            etag=response.etag, last_modified=response.last_modified, body_hash=digest,
            adaptive_interval=adaptive, new_url=new_url, success=True,
            last_error=f"feed truncated to {cfg.max_entries_per_poll} entries"
            if feed.truncated else (f"tolerated malformed feed: {feed.bozo_reason}"
                                    if feed.bozo else None),
        )  # fmt: skip
        result = CheckOutcome(
            source.id, started, elapsed_ms(), "ok", status_code, new_entries=new_entries,
            new_articles=new_articles, rejected=rejected, bytes=size,
        )  # fmt: skip
        store.record_check(result, update, url=source.url)
        _log_check(source, result)
        return result
    except StoreError:
        raise  # the database itself failed: the caller retries the whole tick later
    except Exception as exc:  # the per-source guard: one source never stops the rest
        update = failure_update(
            services.config.schedule, source, exc, now=services.clock(), rng=services.rng
        )
        if update.disable:
            log.warning(
                "source disabled: 410 Gone", extra={"source": source.name, "url": source.url}
            )
        if isinstance(exc, FetchError | FeedParseError | ExtractionError):
            log.warning(
                "source check failed: %s", exc,
                extra={"stage": "poll", "source": source.name, "url": source.url,
                       "outcome": "error", "error_kind": update.last_error_kind,
                       "duration_ms": elapsed_ms()},
            )  # fmt: skip
        else:
            # Not an error we classify: a bug met on this source's input. Keep the traceback.
            log.exception(
                "source check failed unexpectedly: %r", exc,
                extra={"source": source.name, "url": source.url},
            )  # fmt: skip
        result = CheckOutcome(
            source.id, started, elapsed_ms(),
            "disabled" if update.disable else "error",
            exc.status if isinstance(exc, FetchError) else status_code,
            error_kind=update.last_error_kind, error=shown_error(exc), new_entries=new_entries,
            new_articles=new_articles, rejected=rejected, bytes=size,
        )  # fmt: skip
        store.record_check(result, update, url=source.url)
        return result


def _bare(url: str | None) -> str | None:
    from ingest.urls import split_userinfo

    return None if url is None else split_userinfo(url)[0]


def _budget_spent(
    services: Services,
    source: SourceState,
    started: datetime,
    duration_ms: int,
    status_code: int | None,
    size: int,
    unfinished: int,
    total: int,
    new_url: str | None,
    new_entries: int,
    new_articles: int,
    rejected: int,
) -> CheckOutcome:
    """Record a check that ran out of budget: ok, validators dropped, due again soon."""
    cfg, now = services.config.schedule, services.clock()
    note = (
        f"check budget of {cfg.check_budget:g} s spent: {unfinished} of {total} entries left "
        "for the next check"
    )
    log.warning(note, extra={"stage": "poll", "source": source.name, "url": source.url})
    # No ETag, Last-Modified or body hash saved: the next check must not be told "not
    # modified" for a feed whose entries were not all handled.
    update = ScheduleUpdate(
        status=SourceStatus.OK, next_check=now + timedelta(seconds=cfg.min_interval),
        failures=0, last_status=status_code, new_url=new_url, success=True, last_error=note,
    )  # fmt: skip
    result = CheckOutcome(
        source.id, started, duration_ms, "ok", status_code, new_entries=new_entries,
        new_articles=new_articles, rejected=rejected, bytes=size,
    )  # fmt: skip
    services.store.record_check(result, update, url=source.url)
    return result


async def revisit_article(services: Services, due: RevisitDue) -> Decision | None:
    """Fetch a stored page again; an in-place edit becomes a revision (or nothing changed).

    A page that cannot be fetched or yields too little text now is left as it is: a failed
    fetch or a paywall stub is not an edit.
    """
    store, now = services.store, services.clock()
    try:
        response = await services.fetcher.fetch(due.url, accept=ACCEPT_HTML)
        page = (
            await asyncio.to_thread(extract_page, response.body, url=response.final_url)
            if response.body
            else None
        )
        if page is None or len(page.text) < services.config.extract.min_text_chars:
            return None
        article = replace(page, url=due.url, title=page.title or due.title,
                          published=due.published or page.published)  # fmt: skip
        return await store_article(services, article, entry=None, source_id=due.source_id,
                                   guid=due.guid, now=now)  # fmt: skip
    except StoreError:
        raise
    except (FetchError, ExtractionError) as exc:
        log.info("revisit failed: %s", exc, extra={"url": due.url, "article_id": due.id})
        return None
    except Exception as exc:  # the per-article guard, as for sources
        log.exception("revisit failed unexpectedly: %r", exc,
                      extra={"url": due.url, "article_id": due.id})  # fmt: skip
        return None
    finally:
        # Always marked, after any save: a page that fails (or crashes us) is not retried
        # every tick, and a kill before this line only means one more (unchanged) check.
        store.mark_checked(due.id, now)


async def revisit_due(
    services: Services, *, limit: int, only_due: bool = True, before: datetime | None = None
) -> list[Decision]:
    """Revisit the stored pages that are due (see ``[schedule] revisit_within``).

    With ``only_due=False`` every page still inside ``revisit_within`` is revisited, due or
    not (``ingest poll`` without ``--due``), except those fetched or checked after ``before``
    (the pages this same poll just fetched).
    """
    cfg = services.config.schedule
    if cfg.revisit_within <= 0 or cfg.revisit_every <= 0:
        return []
    now = services.clock()
    every = timedelta(seconds=cfg.revisit_every)
    if not only_due:
        every = max(now - (before or now), timedelta(0))
    due = services.store.articles_to_revisit(
        now, within=timedelta(seconds=cfg.revisit_within), every=every, limit=limit
    )
    gate = asyncio.Semaphore(cfg.max_parallel_sources)

    async def one(item: RevisitDue) -> Decision | None:
        async with gate:
            return await revisit_article(services, item)

    results = await asyncio.gather(*(one(item) for item in due))
    return [d for d in results if d is not None]
