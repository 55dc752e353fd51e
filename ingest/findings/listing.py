"""Findings as their JSON records (``ingest findings --json``, the report), counted as of now.

The store hands out each finding with the sources of its value's statements; what that makes
a finding say (how many outlets corroborate it, and which) is decided here.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.store.findings import StoredFinding
    from ingest.store.interfaces import FindingReads


def finding_record(stored: StoredFinding) -> dict[str, Any]:
    """The JSON record, with ``corroborations`` (distinct sources), ``corroborating_sources``
    and ``mentions`` brought up to date from the value's statements."""
    data = dict(stored.record)
    data["id"] = stored.id
    if stored.sources is not None:
        names = list(dict.fromkeys(stored.sources))
        data["corroborations"] = len(names)
        data["corroborating_sources"] = names
        data["mentions"] = stored.mentions
    return data


def finding_records(
    store: FindingReads,
    *,
    kind: str | None = None,
    metric: str | None = None,
    subject: str | None = None,
    since: datetime | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Findings, newest first, filtered as ``ingest findings`` filters them."""
    found = store.list_findings(kind=kind, metric=metric, subject=subject, since=since, limit=limit)
    return [finding_record(f) for f in found]
