"""Throwaway PostgreSQL databases for the cluster tests: one per test, dropped after.

The server is found at ``$INGEST_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432
/test``, the maintenance database the per-test ones are created from). When none answers the
tests skip with the reason, unless ``INGEST_REQUIRE_POSTGRES=1``: then they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

ADMIN_URL = os.environ.get("INGEST_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _unavailable(reason: str) -> None:
    if os.environ.get("INGEST_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"INGEST_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database; dropped (its sessions ended) after the test."""
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'ingest[cluster]')")
        raise
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        _unavailable(f"no PostgreSQL server answers at {ADMIN_URL}: {exc}")
        raise
    name = f"ingest_test_{uuid.uuid4().hex[:12]}"
    base, _, _ = ADMIN_URL.rpartition("/")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{base}/{name}"
        finally:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


postgres_url = pytest.fixture(name="postgres_url")(fresh_database)
