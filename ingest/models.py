"""Records that cross stage boundaries and come out of the store.

Each stage has its own input/output types in its module (``FeedEntry`` in ``feeds``,
``FetchResponse`` in ``http``, ``Figure`` in ``figures``); the ones here are the store's view of
things, shared by the pipeline, the scheduler and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with seconds, or None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SourceStatus(StrEnum):
    NEW = "new"  # never checked
    OK = "ok"
    FAILING = "failing"  # last check failed; retried with backoff up to the max interval
    DISABLED = "disabled"  # 410 Gone or switched off by the operator; reason in last_error


@dataclass(frozen=True, slots=True)
class SourceState:
    """A source and its schedule, as the database holds it."""

    id: int
    name: str
    url: str
    tags: tuple[str, ...]
    interval: float | None
    enabled: bool
    status: SourceStatus
    last_checked: datetime | None
    last_success: datetime | None
    next_check: datetime | None
    failures: int
    last_error: str | None
    last_error_kind: str | None
    last_status: int | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    adaptive_interval: float | None
    entries: int = 0
    site_url: str | None = None  # OPML htmlUrl of an imported feed
    # `user:password` for the feed's host, kept apart from `url` (which is stored, logged and
    # shown); only `fetch_url` carries it, and only to the host it was given for.
    userinfo: str | None = field(default=None, repr=False)

    @property
    def fetch_url(self) -> str:
        """The URL to request: ``url`` with the source's credentials, if it has any."""
        from ingest.urls import with_userinfo

        return with_userinfo(self.url, self.userinfo)


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What one check of a source did; written to the fetch log and the source row."""

    source_id: int
    started_at: datetime
    duration_ms: int
    outcome: str  # ok | not_modified | unchanged | error | disabled
    http_status: int | None = None
    error_kind: str | None = None
    error: str | None = None
    new_entries: int = 0
    new_articles: int = 0
    rejected: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """An article's text and metadata as extraction produced it, before storage."""

    url: str
    canonical_url: str
    title: str | None
    author: str | None
    published: datetime | None
    language: str | None
    text: str
    extraction: str  # "page" or "feed"
    raw_html: bytes | None = None
    note: str | None = None  # why the feed text was used, when it was
    # Where ``published`` came from: feed, page, import, text (a dateline) or fetched (the
    # fetch time, when nothing else gave a date). None until the corpus stage settles it.
    published_source: str | None = None

    def __post_init__(self) -> None:
        # Every path to the store (page, feed text, import, revisit) builds one of these, so
        # this is where stored text fields are bounded and stripped of control characters,
        # before dedup and figures see the text (their offsets stay valid).
        from ingest.fields import MAX_AUTHOR_CHARS, MAX_TITLE_CHARS, clean_line, clean_text

        object.__setattr__(self, "title", clean_line(self.title, MAX_TITLE_CHARS))
        object.__setattr__(self, "author", clean_line(self.author, MAX_AUTHOR_CHARS))
        object.__setattr__(self, "text", clean_text(self.text))


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """One URL seen, as ``ingest articles`` lists it."""

    id: int
    url: str
    canonical_url: str
    title: str | None
    published: datetime | None
    source: str | None
    fetched_at: datetime
    text_length: int
    extraction: str
    duplicate_of: int | None
    revision: int
    appearances: int
    text: str | None = None
    language: str | None = None
    author: str | None = None
    guid: str | None = None
    extraction_note: str | None = None
    published_source: str | None = None  # feed, page, import, text, fetched or imported


class DecisionKind(StrEnum):
    """What an incoming article is, relative to the corpus (decided by :mod:`ingest.dedup`;
    here because the findings stage reads it too)."""

    NEW = "new"
    DUPLICATE = "duplicate"
    REVISION = "revision"
    UNCHANGED = "unchanged"
