"""What each stage needs from the store, as small typed interfaces (Protocols).

The stages and the pipeline are written against these, never against a database class: the
SQLite store (:class:`ingest.store.Store`) satisfies all of them (mypy checks it, see
``ingest/store/__init__.py``), and a second backend is another class that does. What each
method must do is stated once, as behaviour, by the contract suite in
``tests/test_store_contract.py``, which every implementation runs.

Every interface takes and returns frozen dataclasses (or plain values); none hands out rows.
The store records and answers: what alerts, when to retry and who corroborates whom are
decided by the stages, which then tell the store what to write.

Writes are atomic one by one; several writes that must land together run in one unit of work
(:meth:`UnitOfWork.unit`), opened by the outermost caller and never across an ``await``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Self

if TYPE_CHECKING:
    from ingest.alerts.timing import Outcome
    from ingest.dedup.settings import DedupSettings
    from ingest.figures import Figure
    from ingest.findings.claims import ClaimKey
    from ingest.findings.compare import KnownClaim, Observation, ValueStatus
    from ingest.findings.model import FigureRef, Finding
    from ingest.models import ArticleRow, CheckOutcome, ExtractedArticle, SourceState
    from ingest.schedule.updates import ScheduleUpdate
    from ingest.store.alerts import AlertRecord, DueItem, NewAlert, NewDelivery
    from ingest.store.articles import EntryRecord, KnownArticle, Revision, RevisitDue, SeenEntry
    from ingest.store.figures import StoredFigure
    from ingest.store.findings import StoredFinding
    from ingest.store.ops import SourceSummary
    from ingest.store.sources import SourceSpec
    from ingest.store.stories import RelatedRow, StorySummary


class UnitOfWork(Protocol):
    """Explicit transactions: ``with store.unit() as tx:`` writes all of it or none of it.

    Nesting raises :class:`ingest.errors.UnitOfWorkError`, as does using the store from another
    asyncio task while a unit is open (a unit held across an ``await``).
    """

    def unit(self) -> AbstractContextManager[Self]: ...

    @property
    def in_unit(self) -> bool: ...

    def require_unit(self, what: str) -> None: ...


class ScheduleStore(UnitOfWork, Protocol):
    """Sources and their schedule: which feeds exist, which are due, what a check found."""

    def sync_sources(self, specs: Iterable[SourceSpec], *, origin: str = "config") -> list[str]: ...

    def add_source(self, spec: SourceSpec) -> bool: ...

    def add_sources(self, specs: Iterable[SourceSpec], *, batch: int = 1000) -> Iterator[bool]: ...

    def list_sources(self) -> list[SourceState]: ...

    def get_source(self, source_id: int) -> SourceState | None: ...

    def claim_due_sources(
        self, now: datetime, *, limit: int, owner: str, lease: timedelta, only_due: bool = True
    ) -> list[SourceState]: ...

    def record_check(self, outcome: CheckOutcome, update: ScheduleUpdate, *, url: str) -> None: ...

    def renew_lease(self, source_id: int, *, owner: str, until: datetime) -> bool: ...

    def release_leases(self, owner: str) -> None: ...

    def lease_owners(self) -> list[str]: ...

    def entry_times(self, source_id: int, limit: int = 50) -> list[datetime]: ...

    def set_source_enabled(self, name: str, enabled: bool) -> bool: ...


class EntryStore(UnitOfWork, Protocol):
    """Feed entries: what was seen in which feed, and what became of it."""

    def seen_entry(self, source_id: int, entry_key: str) -> SeenEntry | None: ...

    def upsert_entry(self, entry: EntryRecord, *, now: datetime, article_id: int | None) -> int: ...


class CorpusStore(EntryStore, Protocol):
    """Articles, revisions and the indexes dedup looks copies up in."""

    def article_by_url_or_guid(
        self, canonical_url: str, guid: str | None, *, source_id: int | None
    ) -> KnownArticle | None: ...

    def articles_by_text_hash(self, text_hash: str) -> list[KnownArticle]: ...

    def known_articles(self, ids: list[int]) -> list[KnownArticle]: ...

    def insert_article(
        self,
        article: ExtractedArticle,
        *,
        source_id: int | None,
        guid: str | None,
        text_hash: str,
        now: datetime,
        duplicate_of: int | None,
    ) -> int: ...

    def add_revision(
        self, article_id: int, article: ExtractedArticle, *, text_hash: str, diff: str,
        now: datetime,
    ) -> int: ...  # fmt: skip

    def articles_to_revisit(
        self, now: datetime, *, within: timedelta, every: timedelta, limit: int
    ) -> list[RevisitDue]: ...

    def mark_checked(self, article_id: int, now: datetime) -> None: ...

    def raw_html(self, article_id: int) -> bytes | None: ...

    def prune_raw_pages(self, before: datetime) -> int: ...

    def get_article(self, article_id: int) -> ArticleRow | None: ...

    def neardup_check(self, settings: DedupSettings) -> None: ...

    def neardup_candidates(
        self, keys: Sequence[int], *, limit: int, per_key_cap: int = 200
    ) -> list[int]: ...

    def neardup_add(self, article_id: int, keys: Sequence[int]) -> None: ...

    def story_key_candidates(
        self, keys: Sequence[int], *, limit: int, per_key_cap: int = 50
    ) -> list[int]: ...

    def story_keys_add(self, article_id: int, keys: Iterable[int]) -> None: ...

    def add_related(
        self, article_id: int, related_id: int, *, shared_figures: int, alignment: float,
        reason: str, now: datetime,
    ) -> None: ...  # fmt: skip


class FigureStore(UnitOfWork, Protocol):
    """Figures read from each revision."""

    def add_figures(
        self, article_id: int, revision: int, figures: Sequence[Figure], *, now: datetime
    ) -> None: ...

    def list_figures(
        self, *, article_id: int | None = None, metric: str | None = None,
        subject: str | None = None, since: datetime | None = None, limit: int = 1000,
        current_only: bool = True,
    ) -> list[StoredFigure]: ...  # fmt: skip

    def articles_without_figures(self, limit: int = 1000) -> list[int]: ...

    def mark_figures_extracted(self, article_id: int, revision: int, count: int) -> None: ...


class FindingReads(Protocol):
    """Stored findings, for listing (counted by :mod:`ingest.findings.listing`)."""

    def list_findings(
        self, *, kind: str | None = None, metric: str | None = None, subject: str | None = None,
        since: datetime | None = None, limit: int = 1000,
    ) -> list[StoredFinding]: ...  # fmt: skip


class FindingStore(FindingReads, UnitOfWork, Protocol):
    """Claims, their values and the findings about them."""

    def revision_figures(self, article_id: int, revision: int) -> list[FigureRef]: ...

    def previous_revision_with_figures(self, article_id: int, revision: int) -> int | None: ...

    def article_row_facts(self, article_id: int) -> tuple[datetime | None, str | None, str]: ...

    def claims_for(
        self, subject: str, metric: str, *, period: str = "", previous_limit: int = 5,
        claim_limit: int = 50,
    ) -> list[KnownClaim]: ...  # fmt: skip

    def set_figure_claim(
        self, figure_id: int, claim_id: int | None, confidence: float, cues: Sequence[str]
    ) -> None: ...

    def set_figure_claims(
        self, links: Sequence[tuple[int, int | None, float, Sequence[str]]]
    ) -> None: ...

    def series_claims(self, subject: str, metric: str, *, limit: int = 12) -> list[KnownClaim]: ...

    def trim_contenders(self, claim_id: int, *, keep: int) -> None: ...

    def create_claim(self, key: ClaimKey, *, now: datetime) -> int: ...

    def add_claim_value(
        self, claim_id: int, obs: Observation, status: ValueStatus, *, now: datetime
    ) -> int: ...

    def set_current(self, claim_id: int, value_id: int, *, now: datetime) -> None: ...

    def corroborate(
        self, value_id: int, obs: Observation, *, now: datetime,
        native: tuple[float, float, str] | None = None,
    ) -> None: ...  # fmt: skip

    def value_sources(self, value_id: int) -> tuple[str, ...]: ...

    def add_finding(
        self, finding: Finding, *, value_id: int | None, figure_id: int | None,
        article_id: int | None,
    ) -> int: ...  # fmt: skip


class OutboxStore(UnitOfWork, Protocol):
    """The alert outbox: alerts, their deliveries per target, digests, leases."""

    def record_alert(
        self, alert: NewAlert, deliveries: Sequence[NewDelivery], *, due: datetime, now: datetime
    ) -> int: ...

    def disabled_targets(self) -> dict[str, str]: ...

    def disable_target(self, name: str, reason: str, *, now: datetime) -> None: ...

    def targets_due(self, targets: Iterable[str], *, now: datetime) -> set[str]: ...

    def form_digests(self, target: str, *, now: datetime, max_size: int) -> list[str]: ...

    def claim_due(
        self, target: str, *, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[DueItem]: ...

    def release(self, items: Sequence[DueItem], *, not_before: datetime | None = None) -> None: ...

    def record_attempt(
        self, item: DueItem, outcome: Outcome, *, now: datetime, status: int | None,
        error: str | None,
    ) -> None: ...  # fmt: skip

    def alert_lease_owners(self) -> list[str]: ...

    def release_alert_leases(self, owner: str) -> None: ...

    def list_alerts(self, *, failed: bool = False, limit: int = 100) -> list[AlertRecord]: ...

    def retry_alert(self, alert_id: int, *, now: datetime) -> list[str] | None: ...

    def alert_counts(self) -> dict[str, int]: ...


class OpsQueries(Protocol):
    """Whole-store questions for ``ingest status``, /healthz and /metrics."""

    @property
    def path(self) -> str: ...

    def source_summary(self) -> SourceSummary: ...

    def fetch_failures_since(self, since: datetime) -> dict[str, int]: ...

    def findings_since(self, since: datetime) -> dict[str, int] | None: ...

    def alert_deliveries(self) -> dict[str, int] | None: ...

    def has_table(self, name: str) -> bool: ...

    def probe_writable(self, *, timeout_s: float = 2.0) -> str | None: ...

    def count_articles_since(self, since: datetime) -> tuple[int, int]: ...

    def integrity_check(self) -> str: ...

    def list_sources(self) -> list[SourceState]: ...


class ReadQueries(Protocol):
    """What the CLI and the report list and show."""

    def list_sources(self) -> list[SourceState]: ...

    def list_articles(
        self, *, limit: int = 50, stories_only: bool = False, source: str | None = None,
        since: datetime | None = None,
    ) -> list[ArticleRow]: ...  # fmt: skip

    def get_article(self, article_id: int) -> ArticleRow | None: ...

    def appearances(self, story_id: int) -> list[ArticleRow]: ...

    def history(self, article_id: int) -> list[Revision]: ...

    def search_articles(self, query: str, *, limit: int = 20) -> list[ArticleRow]: ...

    def related_stories(self, story_id: int) -> list[RelatedRow]: ...

    def story_summaries(self, story_ids: Sequence[int]) -> list[StorySummary]: ...

    def list_figures(
        self, *, article_id: int | None = None, metric: str | None = None,
        subject: str | None = None, since: datetime | None = None, limit: int = 1000,
        current_only: bool = True,
    ) -> list[StoredFigure]: ...  # fmt: skip

    def list_findings(
        self, *, kind: str | None = None, metric: str | None = None, subject: str | None = None,
        since: datetime | None = None, limit: int = 1000,
    ) -> list[StoredFinding]: ...  # fmt: skip

    def list_alerts(self, *, failed: bool = False, limit: int = 100) -> list[AlertRecord]: ...

    def has_table(self, name: str) -> bool: ...


class SaveStore(CorpusStore, FigureStore, FindingStore, OutboxStore, Protocol):
    """Everything saving one article writes in its unit of work: the article or its revision,
    its index keys, figures, findings and their alerts."""


class StoreBackend(
    ScheduleStore, SaveStore, OpsQueries, ReadQueries, Protocol
):  # fmt: skip
    """A whole store, as the daemon and the CLI open it."""

    def close(self) -> None: ...

    def backup(self, target: Path) -> None: ...
