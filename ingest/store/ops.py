"""Read-only queries for the ops endpoint and the status screen, plus the write probe.

They answer questions about the whole store (counts by state, the latest times) for
``ingest.ops``; what is healthy or alarming is decided there, not here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingest.models import from_iso, to_iso
from ingest.store.base import StoreBase, _describe


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """Sources by state and the latest poll times, in one query."""

    by_status: dict[str, int]  # operator-disabled sources count as "disabled"
    last_checked: datetime | None
    last_success: datetime | None
    next_check: datetime | None  # earliest scheduled check of an enabled source

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def failing(self) -> int:
        return self.by_status.get("failing", 0)


class OpsQueries(StoreBase):
    """What ``ingest status``, /healthz and /metrics read."""

    def source_summary(self) -> SourceSummary:
        rows = self._rows(
            "SELECT CASE WHEN enabled = 0 THEN 'disabled' ELSE status END AS state,"
            " count(*) AS n, max(last_checked) AS checked, max(last_success) AS success,"
            " min(CASE WHEN enabled = 1 THEN next_check END) AS next"
            " FROM sources GROUP BY state"
        )
        by_status = {str(r["state"]): int(r["n"]) for r in rows}
        # ISO 8601 UTC strings of one format sort as time does: max/min over text is over time.
        checked = max((r["checked"] for r in rows if r["checked"]), default=None)
        success = max((r["success"] for r in rows if r["success"]), default=None)
        upcoming = min((r["next"] for r in rows if r["next"]), default=None)
        return SourceSummary(by_status, from_iso(checked), from_iso(success), from_iso(upcoming))

    def fetch_failures_since(self, since: datetime) -> dict[str, int]:
        """Failed feed checks since ``since``, by error kind (from the fetch log)."""
        rows = self._rows(
            "SELECT COALESCE(error_kind, 'unknown') AS kind, count(*) AS n FROM fetch_log"
            " WHERE outcome IN ('error', 'disabled') AND started_at >= ? GROUP BY kind",
            (to_iso(since),),
        )
        return {str(r["kind"]): int(r["n"]) for r in rows}

    def has_table(self, name: str) -> bool:
        """Whether the database has this table (a database from before a stage has not)."""
        found = self._one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return found is not None

    def findings_since(self, since: datetime) -> dict[str, int] | None:
        """Findings created since ``since``, by kind; None when the database has no findings
        table (a database from before that stage, opened read-only)."""
        if not self.has_table("findings"):
            return None
        rows = self._rows(
            "SELECT kind, count(*) AS n FROM findings WHERE created_at >= ? GROUP BY kind",
            (to_iso(since),),
        )
        return {str(r["kind"]): int(r["n"]) for r in rows}

    def alert_deliveries(self) -> dict[str, int] | None:
        """Alert deliveries by status (pending, sent, dead, disabled); None without an outbox."""
        if not self.has_table("alert_deliveries"):
            return None
        rows = self._rows("SELECT status, count(*) AS n FROM alert_deliveries GROUP BY status")
        return {str(r["status"]): int(r["n"]) for r in rows}

    def probe_writable(self, *, timeout_s: float = 2.0) -> str | None:
        """None when the database takes a write lock now, else why not (see
        :func:`probe_writable`); safe to call from a thread."""
        return probe_writable(self.path, timeout_s=timeout_s)


def probe_writable(path: str, *, timeout_s: float = 2.0) -> str | None:
    """None when the database file takes a write lock now, else why not.

    A separate short-lived connection with a short busy timeout: a health check must answer
    within seconds, and must never hold or wait behind the daemon's own connection. BEGIN
    IMMEDIATE takes the same RESERVED lock a write would, and the ROLLBACK writes nothing.
    """
    if path == ":memory:":
        return None
    try:
        # mode=rw: a missing file is an error here, not a new empty database.
        uri = Path(path).absolute().as_uri() + "?mode=rw"
        conn = sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None)
    except sqlite3.Error as exc:
        return _describe(exc, path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        return _describe(exc, path)
    finally:
        conn.close()
    return None
