"""The PostgreSQL store's connections and units of work.

A :class:`psycopg_pool.ConnectionPool` holds the connections (autocommit mode: every statement
outside a transaction is its own). A unit of work takes one connection for its duration and
runs everything on it in one transaction; a store method called outside a unit takes a
connection, runs atomically (one statement, or its own transaction) and gives it back. The
rules are the SQLite store's (:class:`ingest.store.base.StoreBase`): units do not nest, and a
call from another asyncio task while a unit is open raises :class:`UnitOfWorkError`. The unit
state is per thread: another thread (a health probe) never joins a unit, it takes its own
connection.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Self

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from ingest.errors import StoreError, UnitOfWorkError
from ingest.store.base import _ACROSS_AWAIT, _current_task
from ingest.store.postgres.errors import describe, redact_url, url_secrets
from ingest.store.postgres.migrations import migrate

Params = Sequence[Any] | dict[str, Any]
Conn = psycopg.Connection[DictRow]

CONNECT_TIMEOUT_S = 10
# How long a call waits for a free pooled connection before giving up.
POOL_WAIT_S = 30.0
# Lock for writes that SQLite's single writer serialises on its own (sources by name): held to
# the end of the transaction that takes it.
SOURCES_LOCK = 0x696E67657374 + 1


class _UnitState(threading.local):
    conn: Conn | None = None
    depth = 0  # open transaction levels: the unit, and store steps joining it
    in_unit = False
    owner: asyncio.Task[Any] | None = None  # the task that opened the transaction


class PostgresBase:
    """Connection handling shared by the PostgreSQL query mixins."""

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        self.url = url
        self.path = redact_url(url)  # what messages, ``ingest status`` and logs show
        self._secrets = url_secrets(url)
        self._state = _UnitState()
        options: dict[str, Any] = {
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": "ingest",
        }
        try:
            with psycopg.connect(url, autocommit=True, **options) as conn:
                self.migrated = migrate(conn)
        except psycopg.Error as exc:
            raise StoreError(self._describe(exc)) from exc
        self._pool = ConnectionPool(
            url,
            connection_class=Conn,
            kwargs={"autocommit": True, "row_factory": dict_row, **options},
            min_size=1,
            max_size=max(1, pool_size),
            timeout=POOL_WAIT_S,
            open=False,
            name="ingest",
        )
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except PoolTimeout as exc:
            self._pool.close()
            raise StoreError(
                f"PostgreSQL: no connection to {self.path} within the timeout"
            ) from exc

    def _describe(self, exc: BaseException) -> str:
        return describe(exc, self.path, self._secrets)

    def close(self) -> None:
        self._pool.close()

    # -- units of work ---------------------------------------------------------------------
    @contextmanager
    def unit(self) -> Iterator[Self]:
        """One unit of work on one pooled connection: all of it is written, or none of it."""
        if self._state.depth:
            raise UnitOfWorkError(
                "a unit of work is already open on this store: units do not nest; "
                "open one at the outermost caller and pass the store in"
            )
        with self._atomic():
            self._state.in_unit = True
            try:
                yield self
            finally:
                self._state.in_unit = False

    @property
    def in_unit(self) -> bool:
        return self._state.in_unit and _current_task() is self._state.owner

    def require_unit(self, what: str) -> None:
        if not self.in_unit:
            raise UnitOfWorkError(f"{what} must run inside a unit of work (store.unit())")

    def _acquire(self) -> Conn:
        try:
            return self._pool.getconn()
        except PoolTimeout as exc:
            raise StoreError(
                f"PostgreSQL: no free connection to {self.path} within {POOL_WAIT_S:g} s"
            ) from exc
        except PoolClosed as exc:
            raise StoreError(f"PostgreSQL: the store for {self.path} is closed") from exc

    @contextmanager
    def _atomic(self) -> Iterator[Conn]:
        """Join the open transaction, or run as one of its own on a pooled connection."""
        state = self._state
        if state.depth:
            if _current_task() is not state.owner:
                raise UnitOfWorkError(_ACROSS_AWAIT)
            assert state.conn is not None
            state.depth += 1
            try:
                yield state.conn
            finally:
                state.depth -= 1
            return
        conn = self._acquire()
        state.conn, state.depth, state.owner = conn, 1, _current_task()
        try:
            with conn.transaction():
                yield conn
        except psycopg.Error as exc:  # BEGIN or COMMIT failed
            raise StoreError(self._describe(exc)) from exc
        finally:
            state.conn, state.depth, state.owner = None, 0, None
            self._pool.putconn(conn)

    @contextmanager
    def _connection(self) -> Iterator[Conn]:
        """The connection for one statement: the open transaction's, else a pooled one."""
        state = self._state
        if state.depth:
            if _current_task() is not state.owner:
                raise UnitOfWorkError(_ACROSS_AWAIT)
            assert state.conn is not None
            yield state.conn
            return
        conn = self._acquire()
        try:
            yield conn
        finally:
            self._pool.putconn(conn)

    # -- statements ------------------------------------------------------------------------
    def _rows(self, sql: str, params: Params = ()) -> list[DictRow]:
        with self._connection() as conn:
            try:
                return conn.execute(sql, params).fetchall()
            except psycopg.Error as exc:
                raise StoreError(self._describe(exc)) from exc

    def _one(self, sql: str, params: Params = ()) -> DictRow | None:
        with self._connection() as conn:
            try:
                return conn.execute(sql, params).fetchone()
            except psycopg.Error as exc:
                raise StoreError(self._describe(exc)) from exc

    def _count(self, sql: str, params: Params = ()) -> int:
        """Run one write; returns how many rows it touched."""
        with self._connection() as conn:
            try:
                return conn.execute(sql, params).rowcount
            except psycopg.Error as exc:
                raise StoreError(self._describe(exc)) from exc

    def _insert(self, sql: str, params: Params = ()) -> int:
        """Run one ``INSERT ... RETURNING id``; returns the id."""
        row = self._one(sql, params)
        assert row is not None, "an INSERT with RETURNING id returned nothing"
        return int(row["id"])

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with self._atomic() as conn:
            try:
                with conn.cursor() as cur:
                    cur.executemany(sql, rows)
            except psycopg.Error as exc:
                raise StoreError(self._describe(exc)) from exc

    def _lock(self, key: int) -> None:
        """Take a transaction-scoped advisory lock (inside :meth:`_atomic`)."""
        self._one("SELECT pg_advisory_xact_lock(%s) AS locked", (key,))
