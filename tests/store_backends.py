"""The store implementations the contract suite (tests/test_store_contract.py) runs against.

Each entry opens a fresh, empty store of one backend and closes it (and drops whatever it
created) afterwards. A backend that cannot run here (no server) skips with the reason; with
``INGEST_REQUIRE_POSTGRES=1`` (CI) a missing PostgreSQL server fails instead.

PostgreSQL: the server named by ``$INGEST_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``, the maintenance database); each store gets a
database of its own, ``ingest_test_<random>``, dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from ingest.store import Store
from ingest.store.interfaces import StoreBackend

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def sqlite_backend(tmp_path: Path) -> Iterator[StoreBackend]:
    store = Store(tmp_path / "contract.db")
    try:
        yield store
    finally:
        store.close()


def postgres_server_url() -> str:
    return os.environ.get("INGEST_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def _unavailable(reason: str) -> None:
    if os.environ.get("INGEST_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"INGEST_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


def _with_database(url: str, name: str) -> str:
    """``url`` naming database ``name`` instead of its own."""
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new, empty database on the test server (its URL), dropped afterwards."""
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed (the postgres extra)")
    server = postgres_server_url()
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        _unavailable(f"no PostgreSQL server answers at {server}: {str(exc).strip()}")
    name = f"ingest_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield _with_database(server, name)
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def postgres_backend(tmp_path: Path) -> Iterator[StoreBackend]:
    with scratch_database() as url:
        from ingest.store.postgres import PostgresStore

        store = PostgresStore(url)
        try:
            yield store
        finally:
            store.close()


BACKENDS: dict[str, Callable[[Path], AbstractContextManager[StoreBackend]]] = {
    "sqlite": sqlite_backend,
    "postgres": postgres_backend,
}
