"""Sources, their schedule state, and the fetch log."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.models import CheckOutcome, SourceState, SourceStatus, from_iso, to_iso, utcnow
from ingest.store.base import StoreBase
from ingest.store.rows import Row
from ingest.urls import split_userinfo, url_host


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A source as the operator declares it (config file, OPML, CLI)."""

    name: str
    url: str
    tags: tuple[str, ...] = ()
    interval: float | None = None
    enabled: bool = True
    origin: str = "config"
    site_url: str | None = None  # the feed's web site (OPML htmlUrl); informative only


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


def _source(row: Row) -> SourceState:
    return SourceState(
        id=row["id"],
        name=row["name"],
        url=row["url"],
        tags=tuple(json.loads(row["tags"] or "[]")),
        interval=row["interval_s"],
        enabled=bool(row["enabled"]),
        status=SourceStatus(row["status"]),
        last_checked=from_iso(row["last_checked"]),
        last_success=from_iso(row["last_success"]),
        next_check=from_iso(row["next_check"]),
        failures=row["failures"],
        last_error=row["last_error"],
        last_error_kind=row["last_error_kind"],
        last_status=row["last_status"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_hash=row["body_hash"],
        adaptive_interval=row["adaptive_interval_s"],
        entries=row["entries"] if "entries" in row.keys() else 0,  # noqa: SIM118
        site_url=row["site_url"],
        userinfo=row["cred_userinfo"] if url_host(row["url"]) == row["cred_host"] else None,
    )


_SELECT = """
    SELECT s.*, (SELECT COUNT(*) FROM entries e WHERE e.source_id = s.id) AS entries,
        c.host AS cred_host, c.userinfo AS cred_userinfo
    FROM sources s LEFT JOIN source_credentials c ON c.source_id = s.id
"""


def _bare(url: str | None) -> str | None:
    """A URL as it may be stored: without ``user:password@``."""
    return None if url is None else split_userinfo(url)[0]


class SourceQueries(StoreBase):
    def sync_sources(self, specs: Iterable[SourceSpec], *, origin: str = "config") -> list[str]:
        """Make the sources of one origin match ``specs``; returns what changed, for the log.

        Schedule state survives: a source is matched by name, and only its declared fields
        are updated. Sources of this origin that disappeared are disabled, not deleted, so their
        entries and articles keep their provenance.
        """
        now = to_iso(utcnow())
        changes: list[str] = []
        with self._atomic():
            existing = {r["name"]: r for r in self._rows("SELECT * FROM sources")}
            wanted = {s.name: s for s in specs}
            for spec in wanted.values():
                row = existing.get(spec.name)
                tags = json.dumps(list(spec.tags))
                url, userinfo = split_userinfo(spec.url)
                if row is None:
                    cur = self._execute(
                        "INSERT INTO sources (name, url, declared_url, origin, tags, interval_s,"
                        " enabled, status, created_at, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (spec.name, url, url, spec.origin, tags, spec.interval,
                         int(spec.enabled), SourceStatus.NEW.value, now, now),
                    )  # fmt: skip
                    self._set_credentials(cur.lastrowid or 0, url, userinfo)
                    changes.append(f"added {spec.name}")
                    continue
                if row["origin"] != origin:
                    continue
                updates: dict[str, object] = {}
                # The stored URL may have moved with a permanent redirect; only an edit of
                # the file itself (a new declared URL) overrides that.
                if url != row["declared_url"]:
                    updates["url"] = url
                    updates["declared_url"] = url
                if self._set_credentials(row["id"], url, userinfo):
                    changes.append(f"updated {spec.name}: credentials")
                if tags != row["tags"]:
                    updates["tags"] = tags
                if spec.interval != row["interval_s"]:
                    updates["interval_s"] = spec.interval
                if row["last_error_kind"] == "removed":
                    # Declared again after being removed from the file: back on the schedule.
                    updates.update(enabled=int(spec.enabled), status="new", last_error=None,
                                   last_error_kind=None, next_check=None, failures=0)  # fmt: skip
                elif int(spec.enabled) != row["enabled"] and row["status"] != "disabled":
                    # A 410 Gone stays disabled until `ingest sources enable NAME`.
                    updates["enabled"] = int(spec.enabled)
                if updates:
                    sets = ", ".join(f"{k} = ?" for k in updates)
                    self._execute(
                        f"UPDATE sources SET {sets}, updated_at = ? WHERE id = ?",
                        (*updates.values(), now, row["id"]),
                    )
                    changes.append(f"updated {spec.name}: {', '.join(updates)}")
            for name, row in existing.items():
                if row["origin"] == origin and name not in wanted and row["enabled"]:
                    self._execute(
                        "UPDATE sources SET enabled = 0, status = 'disabled', last_error = ?,"
                        " last_error_kind = 'removed', updated_at = ? WHERE id = ?",
                        (f"removed from {origin}", now, row["id"]),
                    )
                    changes.append(f"disabled {name} (no longer in {origin})")
        return changes

    def add_source(self, spec: SourceSpec) -> bool:
        """Add one source unless its name or URL is already known; True when added."""
        with self._atomic():
            return self._add_source(spec)

    def add_sources(self, specs: Iterable[SourceSpec], *, batch: int = 1000) -> Iterator[bool]:
        """:meth:`add_source` for many, ``batch`` to a transaction (an OPML file of 100,000
        outlines is not 100,000 commits). Yields, per spec, whether it was added."""
        pending = list(specs)
        for start in range(0, len(pending), batch):
            with self._atomic():
                added = [self._add_source(spec) for spec in pending[start : start + batch]]
            yield from added

    def _add_source(self, spec: SourceSpec) -> bool:
        now = to_iso(utcnow())
        url, userinfo = split_userinfo(spec.url)
        if self._one("SELECT 1 FROM sources WHERE name = ? OR url = ?", (spec.name, url)):
            return False
        cur = self._execute(
            "INSERT INTO sources (name, url, declared_url, origin, tags, interval_s, enabled,"
            " status, created_at, updated_at, site_url)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?)",
            (spec.name, url, url, spec.origin, json.dumps(list(spec.tags)),
             spec.interval, int(spec.enabled), now, now, spec.site_url),
        )  # fmt: skip
        self._set_credentials(cur.lastrowid or 0, url, userinfo)
        return True

    def _set_credentials(self, source_id: int, url: str, userinfo: str | None) -> bool:
        """Store (or with None, remove) a source's credentials; True when they changed."""
        row = self._one(
            "SELECT host, userinfo FROM source_credentials WHERE source_id = ?", (source_id,)
        )
        host = url_host(url)
        if userinfo is None:
            if row is None:
                return False
            self._execute("DELETE FROM source_credentials WHERE source_id = ?", (source_id,))
            return True
        if row is not None and (row["host"], row["userinfo"]) == (host, userinfo):
            return False
        self._execute(
            "INSERT INTO source_credentials (source_id, host, userinfo) VALUES (?, ?, ?)"
            " ON CONFLICT (source_id) DO UPDATE SET host = excluded.host,"
            " userinfo = excluded.userinfo",
            (source_id, host, userinfo),
        )
        return True

    def list_sources(self) -> list[SourceState]:
        return [_source(r) for r in self._rows(_SELECT + " ORDER BY s.name")]

    def get_source(self, source_id: int) -> SourceState | None:
        row = self._one(_SELECT + " WHERE s.id = ?", (source_id,))
        return _source(row) if row else None

    def claim_due_sources(
        self, now: datetime, *, limit: int, owner: str, lease: timedelta, only_due: bool = True
    ) -> list[SourceState]:
        """Take up to ``limit`` due sources for this daemon.

        The lease marks them as being checked so that another daemon sharing the store does
        not check them at the same time; it is cleared when the check is recorded and expires
        on its own if the process dies. The owner's own leases are returned again (a check that
        failed on a full disk is retried at the next tick); the caller skips what it has in
        flight.
        """
        stamp = to_iso(now)
        due = "AND (s.next_check IS NULL OR s.next_check <= :now)" if only_due else ""
        with self._atomic():
            rows = self._rows(
                _SELECT
                + f"""
                WHERE s.enabled = 1 {due}
                  AND (s.lease_until IS NULL OR s.lease_until <= :now OR s.lease_owner = :owner)
                ORDER BY s.next_check IS NOT NULL, s.next_check, s.id
                LIMIT :limit
                """,
                {"now": stamp, "limit": limit, "owner": owner},
            )
            ids = [r["id"] for r in rows]
            if ids:
                marks = ",".join("?" * len(ids))
                self._execute(
                    f"UPDATE sources SET lease_owner = ?, lease_until = ? WHERE id IN ({marks})",
                    (owner, to_iso(now + lease), *ids),
                )
        return [_source(r) for r in rows]

    def record_check(self, outcome: CheckOutcome, update: ScheduleUpdate, *, url: str) -> None:
        """Write a check's result: the source's new schedule and one fetch-log line."""
        with self._atomic():
            self._execute(
                """UPDATE sources SET status = ?, next_check = ?, failures = ?, last_checked = ?,
                    last_error = ?, last_error_kind = ?, last_status = ?,
                    etag = COALESCE(?, CASE WHEN ? THEN NULL ELSE etag END),
                    last_modified = COALESCE(?, CASE WHEN ? THEN NULL ELSE last_modified END),
                    body_hash = COALESCE(?, body_hash),
                    adaptive_interval_s = COALESCE(?, adaptive_interval_s),
                    url = COALESCE(?, url),
                    last_success = CASE WHEN ? THEN ? ELSE last_success END,
                    enabled = CASE WHEN ? THEN 0 ELSE enabled END,
                    lease_owner = NULL, lease_until = NULL, updated_at = ?
                   WHERE id = ?""",
                (
                    update.status.value, to_iso(update.next_check), update.failures,
                    to_iso(outcome.started_at), update.last_error, update.last_error_kind,
                    update.last_status, update.etag, update.success, update.last_modified,
                    update.success, update.body_hash, update.adaptive_interval,
                    _bare(update.new_url),
                    update.success, to_iso(outcome.started_at), update.disable,
                    to_iso(utcnow()), outcome.source_id,
                ),
            )  # fmt: skip
            self._execute(
                "INSERT INTO fetch_log (source_id, url, kind, started_at, duration_ms, outcome,"
                " http_status, error_kind, error, new_entries, bytes)"
                " VALUES (?, ?, 'feed', ?, ?, ?, ?, ?, ?, ?, ?)",
                (outcome.source_id, _bare(url), to_iso(outcome.started_at), outcome.duration_ms,
                 outcome.outcome, outcome.http_status, outcome.error_kind, outcome.error,
                 outcome.new_entries, outcome.bytes),
            )  # fmt: skip

    def renew_lease(self, source_id: int, *, owner: str, until: datetime) -> bool:
        """Extend this owner's lease on a source as its check starts; False when another owner
        holds it now (ours expired while the source waited in our queue, and it was claimed)."""
        cur = self._write_cursor(
            "UPDATE sources SET lease_until = ? WHERE id = ? AND lease_owner = ?",
            (to_iso(until), source_id, owner),
        )
        return cur.rowcount > 0

    def release_leases(self, owner: str) -> None:
        self._write(
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?",
            (owner,),
        )

    def lease_owners(self) -> list[str]:
        rows = self._rows("SELECT DISTINCT lease_owner FROM sources WHERE lease_owner IS NOT NULL")
        return [str(r[0]) for r in rows]

    def entry_times(self, source_id: int, limit: int = 50) -> list[datetime]:
        """Publication (or first-seen) times of a source's latest entries, newest first."""
        rows = self._rows(
            "SELECT COALESCE(published, first_seen) AS t FROM entries WHERE source_id = ?"
            " ORDER BY first_seen DESC LIMIT ?",
            (source_id, limit),
        )
        return [t for r in rows if (t := from_iso(r["t"])) is not None]

    def set_source_enabled(self, name: str, enabled: bool) -> bool:
        now = to_iso(utcnow())
        with self._atomic():
            cur = self._execute(
                "UPDATE sources SET enabled = ?,"
                " status = CASE WHEN ? THEN 'new' ELSE 'disabled' END,"
                " last_error = CASE WHEN ? THEN NULL ELSE 'disabled by the operator' END,"
                " last_error_kind = CASE WHEN ? THEN NULL ELSE 'operator' END,"
                " failures = 0, next_check = NULL, updated_at = ? WHERE name = ?",
                (int(enabled), enabled, enabled, enabled, now, name),
            )
        return cur.rowcount > 0
