"""Opening the database, transactions, and mapping sqlite3 errors to :class:`StoreError`."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from sqlite_utils import Database

from ingest.errors import StoreError, UnitOfWorkError
from ingest.store.migrations import migrations

BUSY_TIMEOUT_MS = 30_000
# How long opening a database waits for another process that holds it (migrating a new file,
# switching it to WAL) before giving up.
OPEN_WAIT_S = 120.0


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _retry_busy(step: Callable[[], object], *, wait: float = OPEN_WAIT_S) -> None:
    """Run ``step``, again and again while the database is busy, for up to ``wait`` seconds.

    The busy timeout alone does not cover this: SQLite returns SQLITE_BUSY at once, without
    calling the busy handler, when waiting could deadlock (a read transaction upgrading to a
    write while another connection writes) and for a journal-mode change.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02 + random.random() * 0.08)


_ACROSS_AWAIT = (
    "the store was used from another asyncio task while a unit of work was open: "
    "a transaction must never be held across an await"
)


def _current_task() -> asyncio.Task[Any] | None:
    """The running asyncio task, or None outside an event loop (checked on every statement in a
    transaction, so without the exception ``asyncio.current_task()`` raises outside a loop)."""
    loop = asyncio.events._get_running_loop()
    return None if loop is None else asyncio.current_task(loop)


def _describe(exc: sqlite3.Error, path: str) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"database is locked by another process ({path}); retrying later is safe"
    if "disk is full" in text or "database or disk is full" in text:
        return f"disk full while writing {path}; nothing was half-written"
    if "readonly" in text:
        return f"database file is read-only ({path})"
    return f"{text} ({path})"


class StoreBase:
    """Connection handling shared by the query mixins."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._depth = 0  # open transaction levels: the unit, and store steps joining it
        self._in_unit = False
        self._owner: asyncio.Task[Any] | None = None  # the task that opened the transaction
        if self.path != ":memory:":
            parent = Path(self.path).parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                # e.g. --db /etc/hostname/x.db (a file on the way) or /proc/nope/x.db
                blocker = next((p for p in (parent, *parent.parents) if p.exists()), None)
                why = (
                    f"{blocker} is not a directory"
                    if blocker is not None and not blocker.is_dir()
                    else exc.strerror or str(exc)
                )
                raise StoreError(
                    f"cannot create the directory {parent} for the database {self.path}: {why}"
                ) from exc
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (see _atomic()).
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchall())
            # NORMAL is durable across process crashes in WAL mode; only an OS crash can
            # lose the last transactions, never corrupt the file.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self.conn = conn
            self.db = Database(conn)
            if migrations.pending(self.db):
                _retry_busy(self._migrate)
        except sqlite3.Error as exc:
            raise StoreError(_describe(exc, self.path)) from exc

    def _migrate(self) -> None:
        """Apply the pending migrations as one write transaction.

        BEGIN IMMEDIATE takes the write lock before the list of pending migrations is read, so
        a second process opening the same new file waits for the first to finish and then
        finds nothing left to do, instead of racing it table by table (each migration then
        runs in a savepoint: sqlite-utils nests its own transactions).
        """
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            migrations.apply(self.db)
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def unit(self) -> Iterator[Self]:
        """One unit of work: everything inside is written, or none of it is.

        ``with store.unit() as tx:`` opens the one transaction; the query methods called on
        ``tx`` inside it join it, and those called outside a unit are each their own. A unit is
        never nested (opening one inside another raises :class:`UnitOfWorkError`: the inner
        caller would believe it commits on its own) and never spans an ``await``: the unit
        belongs to the asyncio task that opened it, and a store call from any other task while
        it is open raises instead of silently joining it. BEGIN IMMEDIATE takes the write lock
        up front, so two processes never deadlock upgrading read locks.
        """
        if self._depth:
            raise UnitOfWorkError(
                "a unit of work is already open on this store: units do not nest; "
                "open one at the outermost caller and pass the store in"
            )
        with self._atomic():
            self._in_unit = True
            try:
                yield self
            finally:
                self._in_unit = False

    @property
    def in_unit(self) -> bool:
        """Whether a unit of work is open (and owned by the calling task)."""
        return self._in_unit and self._owner_ok()

    def require_unit(self, what: str) -> None:
        """For code that must run inside its caller's unit of work: raise if none is open."""
        if not self.in_unit:
            raise UnitOfWorkError(f"{what} must run inside a unit of work (store.unit())")

    def _owner_ok(self) -> bool:
        return _current_task() is self._owner

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """The store's own atomic steps: join the open transaction, or run as one of their own."""
        if self._depth:
            if not self._owner_ok():
                raise UnitOfWorkError(_ACROSS_AWAIT)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(_describe(exc, self.path)) from exc
        self._depth = 1
        self._owner = _current_task()
        try:
            yield
        except BaseException:
            self._depth = 0
            self._owner = None
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self._owner = None
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise StoreError(_describe(exc, self.path)) from exc

    def _execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        if self._depth and not self._owner_ok():
            raise UnitOfWorkError(_ACROSS_AWAIT)
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(_describe(exc, self.path)) from exc

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self._depth and not self._owner_ok():
            raise UnitOfWorkError(_ACROSS_AWAIT)
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreError(_describe(exc, self.path)) from exc

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return list(self._execute(sql, params).fetchall())

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._execute(sql, params).fetchone()
        return row

    def _write(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one write; on its own it is its own transaction. Returns lastrowid."""
        if self._depth:
            return self._execute(sql, params).lastrowid or 0
        with self._atomic():
            return self._execute(sql, params).lastrowid or 0

    def _write_cursor(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> sqlite3.Cursor:
        """Like :meth:`_write`, returning the cursor (for ``rowcount``)."""
        if self._depth:
            return self._execute(sql, params)
        with self._atomic():
            return self._execute(sql, params)

    def integrity_check(self) -> str:
        row = self._one("PRAGMA integrity_check")
        return str(row[0]) if row else "no answer"

    def backup(self, target: Path) -> None:
        """Online backup (SQLite's backup API): safe while the daemon writes."""
        try:
            dest = sqlite3.connect(str(target))
            with dest:
                self.conn.backup(dest)
            dest.close()
        except sqlite3.Error as exc:
            raise StoreError(_describe(exc, str(target))) from exc
