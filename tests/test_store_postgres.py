"""What only the PostgreSQL store has: its migrations, its pool shared by workers, and error
messages that never show the password of the database URL. (What it shares with the SQLite
store is proven by tests/test_store_contract.py, which runs against both.)"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from store_backends import postgres_server_url, scratch_database

from ingest.errors import StoreError
from ingest.findings.claims import ClaimKey
from ingest.store import SourceSpec
from ingest.store.postgres import PostgresStore
from ingest.store.postgres.errors import redact_url, url_secrets
from ingest.store.postgres.migrations import MIGRATION_LOCK, STEPS

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SECRET = "s3cret-Pw"


@pytest.fixture
def database() -> Iterator[str]:
    with scratch_database() as url:
        yield url


def _with_password(url: str, password: str = SECRET) -> str:
    scheme, _, rest = url.partition("://")
    userinfo, at, host = rest.partition("@")
    assert at, "the test server URL names its user"
    return f"{scheme}://{userinfo.partition(':')[0]}:{password}@{host}"


def _recorded(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM _ingest_migrations ORDER BY name")]


def test_migrations_apply_once_and_reopening_is_a_no_op(database: str) -> None:
    first = PostgresStore(database)
    first.close()
    assert first.migrated == [s.name for s in STEPS]
    again = PostgresStore(database)
    again.close()
    assert again.migrated == []
    assert _recorded(database) == sorted(s.name for s in STEPS)


def test_two_workers_starting_at_once_migrate_once(database: str) -> None:
    """Both wait on the migration lock (held here until both are waiting), then one applies
    every step and the other finds nothing to do; neither fails on the other's tables."""
    opened: list[PostgresStore] = []
    failures: list[BaseException] = []

    def start() -> None:
        try:
            opened.append(PostgresStore(database))
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    with psycopg.connect(database, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        workers = [threading.Thread(target=start) for _ in range(2)]
        for worker in workers:
            worker.start()
        waiting = 0
        for _ in range(500):  # until both sessions wait on the lock
            row = holder.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone()
            waiting = row[0] if row else 0
            if waiting == 2:
                break
            threading.Event().wait(0.02)
        assert waiting == 2
        holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        for worker in workers:
            worker.join(timeout=60)
    assert failures == []
    try:
        assert sorted(len(s.migrated) for s in opened) == [0, len(STEPS)]
        assert _recorded(database) == sorted(s.name for s in STEPS)
    finally:
        for store in opened:
            store.close()


def test_workers_share_the_schedule_and_the_indexes(database: str) -> None:
    """Two stores on one database are two workers: a source one is claiming (its transaction
    open) is skipped by the other, and index rows one writes are found by the other."""
    one, two = PostgresStore(database), PostgresStore(database)
    try:
        one.sync_sources([SourceSpec("wire", "https://wire.example/feed.xml")])
        with one.unit() as tx:
            claimed = tx.claim_due_sources(T0, limit=5, owner="w1", lease=timedelta(minutes=5))
            assert len(claimed) == 1
            assert two.claim_due_sources(T0, limit=5, owner="w2", lease=timedelta(minutes=5)) == []
        one.neardup_add(41, [1, 2])
        assert two.neardup_candidates([1, 2], limit=5) == [41]
    finally:
        one.close()
        two.close()


def test_a_unit_is_invisible_to_other_threads_until_it_commits(database: str) -> None:
    """The unit holds its own pooled connection; another thread is outside it, not in it."""
    store = PostgresStore(database)
    seen: list[int] = []
    try:
        with store.unit() as tx:
            tx.sync_sources([SourceSpec("wire", "https://wire.example/feed.xml")])
            reader = threading.Thread(target=lambda: seen.append(len(store.list_sources())))
            reader.start()
            reader.join(timeout=30)
        assert seen == [0]
        assert len(store.list_sources()) == 1
    finally:
        store.close()


def test_errors_never_show_the_password() -> None:
    refused = _with_password("postgresql://postgres@127.0.0.1:1/test")
    with pytest.raises(StoreError) as caught:
        PostgresStore(refused)
    assert SECRET not in str(caught.value)
    assert "postgres:***@127.0.0.1:1/test" in str(caught.value)


def test_missing_database_and_failed_statements_are_store_errors(database: str) -> None:
    server = postgres_server_url()
    with pytest.raises(StoreError, match='"ingest_no_such_db" does not exist') as caught:
        PostgresStore(_with_password(server.rpartition("/")[0] + "/ingest_no_such_db"))
    assert SECRET not in str(caught.value)
    store = PostgresStore(_with_password(database))  # trust auth: the password is not needed
    try:
        key = ClaimKey("Alibaba", "ai_investment_commitment", "")
        store.create_claim(key, now=T0)
        with pytest.raises(StoreError, match="duplicate key") as caught:
            store.create_claim(key, now=T0)  # the same key twice: a unique violation
        assert SECRET not in str(caught.value) and ":***@" in str(caught.value)
        assert store.path == redact_url(_with_password(database))
    finally:
        store.close()


def test_redact_url_and_url_secrets() -> None:
    assert redact_url("postgresql://u:p%40ss@db:5432/x") == "postgresql://u:***@db:5432/x"
    assert redact_url("postgresql://u@db/x?password=pw&sslmode=require") == (
        "postgresql://u@db/x?password=***&sslmode=require"
    )
    assert redact_url("postgresql://db/x") == "postgresql://db/x"
    assert url_secrets("postgresql://u:p%40ss@db/x") == ("p%40ss", "p@ss")


def test_a_missing_server_skips_or_fails_as_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """No server: the postgres tests skip with the reason; with INGEST_REQUIRE_POSTGRES=1 (CI)
    they fail instead."""
    monkeypatch.setenv("INGEST_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:1/test")
    monkeypatch.delenv("INGEST_REQUIRE_POSTGRES", raising=False)
    with (
        pytest.raises(pytest.skip.Exception, match="no PostgreSQL server answers"),
        scratch_database(),
    ):
        pass
    monkeypatch.setenv("INGEST_REQUIRE_POSTGRES", "1")
    required = "INGEST_REQUIRE_POSTGRES=1 but no PostgreSQL"
    with pytest.raises(pytest.fail.Exception, match=required), scratch_database():
        pass


def test_backup_is_a_pg_dump_archive(database: str, tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    store = PostgresStore(_with_password(database))
    try:
        store.sync_sources([SourceSpec("wire", "https://wire.example/feed.xml")])
        store.backup(tmp_path / "copy.dump")
    finally:
        store.close()
    assert (tmp_path / "copy.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    if shutil.which("pg_restore") is not None:
        listing = subprocess.run(
            ["pg_restore", "--list", str(tmp_path / "copy.dump")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert "TABLE public sources" in listing.stdout
