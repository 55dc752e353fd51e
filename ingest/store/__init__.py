"""The store: the only code that speaks SQL.

One :class:`Store` per process, built at start-up and passed to whoever needs it. Query methods
are grouped by table family in mixins (``sources``, ``articles``, ...); the migrations are one
append-only list in ``migrations``.
"""

from __future__ import annotations

from ingest.store.alerts import AlertQueries, AlertRecord, DeliveryRecord
from ingest.store.articles import (
    ArticleQueries,
    EntryRecord,
    KnownArticle,
    Revision,
    RevisitDue,
    SeenEntry,
)
from ingest.store.figures import FigureQueries, StoredFigure
from ingest.store.findings import FindingQueries
from ingest.store.index import IndexQueries
from ingest.store.sources import ScheduleUpdate, SourceQueries, SourceSpec
from ingest.store.stories import RelatedRow, StoryQueries, StorySummary


class Store(
    SourceQueries, ArticleQueries, IndexQueries, FigureQueries, FindingQueries, AlertQueries,
    StoryQueries,
):  # fmt: skip
    """SQLite store (WAL) with every query the daemon and the CLI run."""


__all__ = [
    "AlertRecord",
    "DeliveryRecord",
    "EntryRecord",
    "KnownArticle",
    "RelatedRow",
    "Revision",
    "RevisitDue",
    "ScheduleUpdate",
    "SeenEntry",
    "SourceSpec",
    "Store",
    "StoredFigure",
    "StorySummary",
]
