"""Sources, their schedule state and the fetch log, on PostgreSQL (see ``store/sources.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from ingest.models import CheckOutcome, SourceState, SourceStatus, from_iso, to_iso, utcnow
from ingest.store.postgres.base import SOURCES_LOCK, PostgresBase
from ingest.store.sources import _SELECT, ScheduleUpdate, SourceSpec, _bare, _source
from ingest.urls import split_userinfo, url_host


class PgSourceQueries(PostgresBase):
    def sync_sources(self, specs: Iterable[SourceSpec], *, origin: str = "config") -> list[str]:
        """Make the sources of one origin match ``specs`` (as the SQLite store does); workers
        starting at once take turns, so none of them adds a source another just added."""
        now = to_iso(utcnow())
        changes: list[str] = []
        with self._atomic():
            self._lock(SOURCES_LOCK)
            existing = {r["name"]: r for r in self._rows("SELECT * FROM sources")}
            wanted = {s.name: s for s in specs}
            for spec in wanted.values():
                row = existing.get(spec.name)
                tags = json.dumps(list(spec.tags))
                url, userinfo = split_userinfo(spec.url)
                if row is None:
                    source_id = self._insert(
                        "INSERT INTO sources (name, url, declared_url, origin, tags, interval_s,"
                        " enabled, status, created_at, updated_at)"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                        (spec.name, url, url, spec.origin, tags, spec.interval,
                         spec.enabled, SourceStatus.NEW.value, now, now),
                    )  # fmt: skip
                    self._set_credentials(source_id, url, userinfo)
                    changes.append(f"added {spec.name}")
                    continue
                if row["origin"] != origin:
                    continue
                updates: dict[str, object] = {}
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
                    updates.update(enabled=spec.enabled, status="new", last_error=None,
                                   last_error_kind=None, next_check=None, failures=0)  # fmt: skip
                elif spec.enabled != row["enabled"] and row["status"] != "disabled":
                    updates["enabled"] = spec.enabled
                if updates:
                    sets = ", ".join(f"{k} = %s" for k in updates)
                    self._count(
                        f"UPDATE sources SET {sets}, updated_at = %s WHERE id = %s",
                        (*updates.values(), now, row["id"]),
                    )
                    changes.append(f"updated {spec.name}: {', '.join(updates)}")
            for name, row in existing.items():
                if row["origin"] == origin and name not in wanted and row["enabled"]:
                    self._count(
                        "UPDATE sources SET enabled = FALSE, status = 'disabled', last_error = %s,"
                        " last_error_kind = 'removed', updated_at = %s WHERE id = %s",
                        (f"removed from {origin}", now, row["id"]),
                    )
                    changes.append(f"disabled {name} (no longer in {origin})")
        return changes

    def add_source(self, spec: SourceSpec) -> bool:
        with self._atomic():
            self._lock(SOURCES_LOCK)
            return self._add_source(spec)

    def add_sources(self, specs: Iterable[SourceSpec], *, batch: int = 1000) -> Iterator[bool]:
        pending = list(specs)
        for start in range(0, len(pending), batch):
            with self._atomic():
                self._lock(SOURCES_LOCK)
                added = [self._add_source(spec) for spec in pending[start : start + batch]]
            yield from added

    def _add_source(self, spec: SourceSpec) -> bool:
        now = to_iso(utcnow())
        url, userinfo = split_userinfo(spec.url)
        if self._one(
            "SELECT 1 AS found FROM sources WHERE name = %s OR url = %s", (spec.name, url)
        ):
            return False
        source_id = self._insert(
            "INSERT INTO sources (name, url, declared_url, origin, tags, interval_s, enabled,"
            " status, created_at, updated_at, site_url)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, 'new', %s, %s, %s) RETURNING id",
            (spec.name, url, url, spec.origin, json.dumps(list(spec.tags)),
             spec.interval, spec.enabled, now, now, spec.site_url),
        )  # fmt: skip
        self._set_credentials(source_id, url, userinfo)
        return True

    def _set_credentials(self, source_id: int, url: str, userinfo: str | None) -> bool:
        row = self._one(
            "SELECT host, userinfo FROM source_credentials WHERE source_id = %s", (source_id,)
        )
        host = url_host(url)
        if userinfo is None:
            if row is None:
                return False
            self._count("DELETE FROM source_credentials WHERE source_id = %s", (source_id,))
            return True
        if row is not None and (row["host"], row["userinfo"]) == (host, userinfo):
            return False
        self._count(
            "INSERT INTO source_credentials (source_id, host, userinfo) VALUES (%s, %s, %s)"
            " ON CONFLICT (source_id) DO UPDATE SET host = excluded.host,"
            " userinfo = excluded.userinfo",
            (source_id, host, userinfo),
        )
        return True

    def list_sources(self) -> list[SourceState]:
        return [_source(r) for r in self._rows(_SELECT + " ORDER BY s.name")]

    def get_source(self, source_id: int) -> SourceState | None:
        row = self._one(_SELECT + " WHERE s.id = %s", (source_id,))
        return _source(row) if row else None

    def claim_due_sources(
        self, now: datetime, *, limit: int, owner: str, lease: timedelta, only_due: bool = True
    ) -> list[SourceState]:
        """Take up to ``limit`` due sources for this worker (see the SQLite store). Rows another
        worker is claiming at this moment are skipped, not waited for (SKIP LOCKED)."""
        due = "AND (s.next_check IS NULL OR s.next_check <= %(now)s)" if only_due else ""
        with self._atomic():
            rows = self._rows(
                _SELECT
                + f"""
                WHERE s.enabled {due}
                  AND (s.lease_until IS NULL OR s.lease_until <= %(now)s
                       OR s.lease_owner = %(owner)s)
                ORDER BY s.next_check IS NOT NULL, s.next_check, s.id
                LIMIT %(limit)s
                FOR UPDATE OF s SKIP LOCKED
                """,
                {"now": to_iso(now), "limit": limit, "owner": owner},
            )
            ids = [r["id"] for r in rows]
            if ids:
                self._count(
                    "UPDATE sources SET lease_owner = %s, lease_until = %s"
                    " WHERE id = ANY(%s::bigint[])",
                    (owner, to_iso(now + lease), ids),
                )
        return [_source(r) for r in rows]

    def record_check(self, outcome: CheckOutcome, update: ScheduleUpdate, *, url: str) -> None:
        with self._atomic():
            self._count(
                """UPDATE sources SET status = %s, next_check = %s, failures = %s,
                    last_checked = %s, last_error = %s, last_error_kind = %s, last_status = %s,
                    etag = COALESCE(%s, CASE WHEN %s THEN NULL ELSE etag END),
                    last_modified = COALESCE(%s, CASE WHEN %s THEN NULL ELSE last_modified END),
                    body_hash = COALESCE(%s, body_hash),
                    adaptive_interval_s = COALESCE(%s, adaptive_interval_s),
                    url = COALESCE(%s, url),
                    last_success = CASE WHEN %s THEN %s ELSE last_success END,
                    enabled = CASE WHEN %s THEN FALSE ELSE enabled END,
                    lease_owner = NULL, lease_until = NULL, updated_at = %s
                   WHERE id = %s""",
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
            self._count(
                "INSERT INTO fetch_log (source_id, url, kind, started_at, duration_ms, outcome,"
                " http_status, error_kind, error, new_entries, bytes)"
                " VALUES (%s, %s, 'feed', %s, %s, %s, %s, %s, %s, %s, %s)",
                (outcome.source_id, _bare(url), to_iso(outcome.started_at), outcome.duration_ms,
                 outcome.outcome, outcome.http_status, outcome.error_kind, outcome.error,
                 outcome.new_entries, outcome.bytes),
            )  # fmt: skip

    def renew_lease(self, source_id: int, *, owner: str, until: datetime) -> bool:
        return (
            self._count(
                "UPDATE sources SET lease_until = %s WHERE id = %s AND lease_owner = %s",
                (to_iso(until), source_id, owner),
            )
            > 0
        )

    def release_leases(self, owner: str) -> None:
        self._count(
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = %s",
            (owner,),
        )

    def lease_owners(self) -> list[str]:
        rows = self._rows(
            "SELECT DISTINCT lease_owner FROM sources WHERE lease_owner IS NOT NULL"
            " ORDER BY lease_owner"
        )
        return [str(r["lease_owner"]) for r in rows]

    def entry_times(self, source_id: int, limit: int = 50) -> list[datetime]:
        rows = self._rows(
            "SELECT COALESCE(published, first_seen) AS t FROM entries WHERE source_id = %s"
            " ORDER BY first_seen DESC, id DESC LIMIT %s",
            (source_id, limit),
        )
        return [t for r in rows if (t := from_iso(r["t"])) is not None]

    def set_source_enabled(self, name: str, enabled: bool) -> bool:
        changed = self._count(
            "UPDATE sources SET enabled = %s,"
            " status = CASE WHEN %s THEN 'new' ELSE 'disabled' END,"
            " last_error = CASE WHEN %s THEN NULL ELSE 'disabled by the operator' END,"
            " last_error_kind = CASE WHEN %s THEN NULL ELSE 'operator' END,"
            " failures = 0, next_check = NULL, updated_at = %s WHERE name = %s",
            (enabled, enabled, enabled, enabled, to_iso(utcnow()), name),
        )
        return changed > 0
