"""The store: the only code that speaks SQL.

One :class:`Store` per process, built at start-up and passed to whoever needs it. Query methods
are grouped by table family in mixins (``sources``, ``articles``, ...); the migrations are one
append-only list in ``migrations``.
"""

from __future__ import annotations

from ingest.schedule.updates import ScheduleUpdate
from ingest.store.alerts import AlertQueries, AlertRecord, DeliveryRecord, NewAlert, NewDelivery
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
from ingest.store.interfaces import StoreBackend
from ingest.store.ops import OpsQueries
from ingest.store.sources import SourceQueries, SourceSpec
from ingest.store.stories import RelatedRow, StoryQueries, StorySummary


class Store(
    SourceQueries, ArticleQueries, IndexQueries, FigureQueries, FindingQueries, AlertQueries,
    StoryQueries, OpsQueries,
):  # fmt: skip
    """SQLite store (WAL): every interface of :mod:`ingest.store.interfaces`."""


# mypy checks here that the SQLite store satisfies the whole interface (and so each stage's).
_SQLITE_IS_A_BACKEND: type[StoreBackend] = Store


__all__ = [
    "AlertRecord",
    "DeliveryRecord",
    "EntryRecord",
    "KnownArticle",
    "NewAlert",
    "NewDelivery",
    "RelatedRow",
    "Revision",
    "RevisitDue",
    "ScheduleUpdate",
    "SeenEntry",
    "SourceSpec",
    "Store",
    "StoreBackend",
    "StoredFigure",
    "StorySummary",
]
