"""Whole-store questions, the write probe, a consistency check and backup, on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import psycopg

from ingest.errors import StoreError
from ingest.models import from_iso, to_iso
from ingest.store.ops import SourceSummary
from ingest.store.postgres.base import PostgresBase
from ingest.store.postgres.errors import scrub
from ingest.store.postgres.migrations import STEPS, applied
from ingest.urls import split_userinfo

BACKUP_TIMEOUT_S = 3600


class PgOpsQueries(PostgresBase):
    def source_summary(self) -> SourceSummary:
        rows = self._rows(
            "SELECT CASE WHEN NOT enabled THEN 'disabled' ELSE status END AS state,"
            " count(*) AS n, max(last_checked) AS checked, max(last_success) AS success,"
            " min(CASE WHEN enabled THEN next_check END) AS next"
            " FROM sources GROUP BY 1"
        )
        by_status = {str(r["state"]): int(r["n"]) for r in rows}
        checked = max((r["checked"] for r in rows if r["checked"]), default=None)
        success = max((r["success"] for r in rows if r["success"]), default=None)
        upcoming = min((r["next"] for r in rows if r["next"]), default=None)
        return SourceSummary(by_status, from_iso(checked), from_iso(success), from_iso(upcoming))

    def fetch_failures_since(self, since: datetime) -> dict[str, int]:
        rows = self._rows(
            "SELECT COALESCE(error_kind, 'unknown') AS kind, count(*) AS n FROM fetch_log"
            " WHERE outcome IN ('error', 'disabled') AND started_at >= %s GROUP BY 1",
            (to_iso(since),),
        )
        return {str(r["kind"]): int(r["n"]) for r in rows}

    def has_table(self, name: str) -> bool:
        found = self._one(
            "SELECT 1 AS found FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name = %s",
            (name,),
        )
        return found is not None

    def findings_since(self, since: datetime) -> dict[str, int] | None:
        if not self.has_table("findings"):
            return None
        rows = self._rows(
            "SELECT kind, count(*) AS n FROM findings WHERE created_at >= %s GROUP BY kind",
            (to_iso(since),),
        )
        return {str(r["kind"]): int(r["n"]) for r in rows}

    def alert_deliveries(self) -> dict[str, int] | None:
        if not self.has_table("alert_deliveries"):
            return None
        rows = self._rows("SELECT status, count(*) AS n FROM alert_deliveries GROUP BY status")
        return {str(r["status"]): int(r["n"]) for r in rows}

    def probe_writable(self, *, timeout_s: float = 2.0) -> str | None:
        """None when the server takes a write now, else why not: a connection of its own with
        short timeouts (a health check answers in seconds and never waits behind the pool), a
        row-exclusive lock on the migration table, rolled back."""
        wait_ms = max(1, int(timeout_s * 1000))
        try:
            with psycopg.connect(
                self.url, autocommit=True, connect_timeout=max(1, round(timeout_s)),
                application_name="ingest-probe",
            ) as conn, conn.transaction(force_rollback=True):  # fmt: skip
                conn.execute(f"SET LOCAL lock_timeout = {wait_ms}")
                conn.execute(f"SET LOCAL statement_timeout = {wait_ms}")
                conn.execute("LOCK TABLE _ingest_migrations IN ROW EXCLUSIVE MODE")
        except psycopg.Error as exc:
            return self._describe(exc)
        return None

    def integrity_check(self) -> str:
        """``ok`` when the schema is complete (every migration step applied, in order) and the
        server answers; else what is wrong. (PostgreSQL checks pages itself; there is no
        ``PRAGMA integrity_check``.)"""
        with self._atomic() as conn:
            try:
                done = applied(conn)
            except psycopg.Error as exc:
                raise StoreError(self._describe(exc)) from exc
        missing = [s.name for s in STEPS if s.name not in done]
        return f"missing migration steps: {', '.join(missing)}" if missing else "ok"

    def backup(self, target: Path) -> None:
        """A consistent copy while workers write: ``pg_dump --format=custom`` into ``target``
        (restore with ``pg_restore``). The password goes by environment, not command line."""
        tool = shutil.which("pg_dump")
        if tool is None:
            raise StoreError("backup of a PostgreSQL store needs pg_dump on PATH")
        bare, userinfo = split_userinfo(self.url)
        env = dict(os.environ)
        if userinfo and ":" in userinfo:
            user, _, password = userinfo.partition(":")
            env["PGPASSWORD"] = password
            scheme, _, rest = bare.partition("://")
            bare = f"{scheme}://{user}@{rest}"
        elif userinfo:
            scheme, _, rest = bare.partition("://")
            bare = f"{scheme}://{userinfo}@{rest}"
        try:
            done = subprocess.run(
                [tool, "--format=custom", "--no-owner", f"--file={target}", f"--dbname={bare}"],
                env=env, capture_output=True, text=True, timeout=BACKUP_TIMEOUT_S, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StoreError(f"pg_dump of {self.path} failed: {exc}") from exc
        if done.returncode != 0:
            detail = scrub(" ".join(done.stderr.split()), self._secrets)
            raise StoreError(f"pg_dump of {self.path} failed: {detail}")
