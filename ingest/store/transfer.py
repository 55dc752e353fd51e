"""Moving a SQLite corpus into PostgreSQL (``ingest migrate-store``): the plan and the SQLite side.

The plan is data: which tables travel, in which order (each one after the tables it refers
to), which are left behind and why, and which columns are leases. The SQLite file is opened in
SQLite's EXCLUSIVE locking mode, which fails while any other process has the file open (a
running ``ingest run``, a worker on SQLite, Datasette) and, once taken, keeps every other
process out until the copy is done: nothing can be written to the file after the snapshot that
is copied. The PostgreSQL side is :mod:`ingest.store.postgres.transfer`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ingest.errors import StoreError
from ingest.store.migrations import migrations

# Every table of the SQLite schema that holds the corpus or its state, in foreign-key order.
TABLES: tuple[str, ...] = (
    "sources",
    "source_credentials",
    "fetch_log",
    "articles",
    "entries",
    "revisions",
    "raw_pages",
    "neardup_meta",
    "neardup_band",
    "story_key",
    "related_story",
    "claims",
    "figures",
    "figure_runs",
    "claim_values",
    "findings",
    "alert_digests",
    "alerts",
    "alert_deliveries",
    "alert_targets",
)
# What stays behind: SQLite's own bookkeeping, which PostgreSQL keeps in its own way.
NOT_COPIED: dict[str, str] = {
    "_sqlite_migrations": "PostgreSQL records its own schema steps in _ingest_migrations",
    "articles_fts": "PostgreSQL's article_search is filled by its trigger as articles arrive",
}
# A column naming another row of its own table. A row pointing at a later one is copied with
# NULL there and set once its table is complete, so no foreign key ever points ahead.
SELF_REFERENCES: dict[str, str] = {"articles": "duplicate_of"}
# Who is working on a row right now (``host:pid``). The SQLite file had no other process when
# it was copied, so every lease in it belongs to a process that is gone: they are cleared.
LEASES: tuple[str, ...] = ("sources", "alert_deliveries", "alert_digests")
# Rows per read: small for the tables whose rows carry whole texts or pages, so memory stays
# bounded however big the corpus.
BATCH_ROWS = 2000
WIDE_TABLES = {"articles": 200, "revisions": 200, "raw_pages": 50}
# How long opening the file waits for another process to let go of it.
LOCK_WAIT_S = 2.0


def batch_rows(table: str) -> int:
    return WIDE_TABLES.get(table, BATCH_ROWS)


def not_copied(table: str) -> str | None:
    """Why ``table`` is left behind, or None when it travels (FTS5 shadow tables included)."""
    for prefix, why in NOT_COPIED.items():
        if table == prefix or table.startswith(f"{prefix}_"):
            return why
    return None


def unplanned(tables: Sequence[str]) -> list[str]:
    """Tables of a SQLite file that the plan neither copies nor leaves behind on purpose."""
    return sorted(t for t in tables if t not in TABLES and not_copied(t) is None)


def hold_forward_references(
    rows: Sequence[tuple[Any, ...]], columns: Sequence[str], table: str
) -> tuple[list[tuple[Any, ...]], list[tuple[int, int]]]:
    """``rows`` with each reference to a later row of the same table set to NULL, and the
    ``(id, reference)`` pairs held back, to be set once the table is complete."""
    column = SELF_REFERENCES.get(table)
    if column is None:
        return list(rows), []
    at, key = columns.index(column), columns.index("id")
    out: list[tuple[Any, ...]] = []
    held: list[tuple[int, int]] = []
    for row in rows:
        ref = row[at]
        if ref is not None and ref > row[key]:
            held.append((row[key], ref))
            row = (*row[:at], None, *row[at + 1 :])
        out.append(row)
    return out, held


@dataclass(frozen=True, slots=True)
class TableCount:
    """One table's rows in the SQLite file and, after the copy, in PostgreSQL."""

    table: str
    sqlite: int
    postgres: int


def _known_names() -> list[str]:
    return [m.name for m in migrations._migrations]


class SqliteSource:
    """A SQLite corpus held exclusively for copying: read it with :meth:`batches`."""

    def __init__(self, path: Path, conn: sqlite3.Connection, upgraded: list[str]) -> None:
        self.path = path
        self.conn = conn
        self.upgraded = upgraded  # migrations applied to the file before copying it

    def close(self) -> None:
        self.conn.close()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"reading {self.path}: {exc}") from exc

    def tables(self) -> list[str]:
        rows = self._run(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def columns(self, table: str) -> tuple[str, ...]:
        rows = self._run("SELECT name FROM pragma_table_info(?) ORDER BY cid", (table,))
        return tuple(str(r[0]) for r in rows.fetchall())

    def count(self, table: str) -> int:
        row = self._run(f'SELECT COUNT(*) FROM "{table}"').fetchone()
        return int(row[0])

    def batches(self, table: str, columns: Sequence[str]) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``table`` in primary-key order, a bounded batch at a time."""
        names = ", ".join(f'"{c}"' for c in columns)
        keys = self._run(
            "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", (table,)
        ).fetchall()
        order = ", ".join(f'"{r[0]}"' for r in keys) or "rowid"
        cursor = self._run(f'SELECT {names} FROM "{table}" ORDER BY {order}')
        size = batch_rows(table)
        while True:
            try:
                rows = cursor.fetchmany(size)
            except sqlite3.Error as exc:
                raise StoreError(f"reading {table} of {self.path}: {exc}") from exc
            if not rows:
                return
            yield [tuple(r) for r in rows]


def open_sqlite_source(path: Path) -> SqliteSource:
    """Open the corpus at ``path`` for copying, with every other process kept out.

    Refuses a missing file, a file that is not an ingest database, a file written by a newer
    ingest (a migration this version does not know) and a file another process has open. A
    file of an older ingest is first brought up to this version's schema, as any command would.
    """
    if not path.is_file():
        raise StoreError(
            f"no SQLite database at {path}: nothing to migrate "
            "(name it with --db FILE, $INGEST_DB or [store] path)"
        )
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=LOCK_WAIT_S)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from exc
    try:
        upgraded = _lock_and_check(conn, path)
        conn.execute("BEGIN")  # one snapshot for every read that follows
    except BaseException:
        conn.close()
        raise
    return SqliteSource(path, conn, upgraded)


def _lock_and_check(conn: sqlite3.Connection, path: Path) -> list[str]:
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise StoreError(
                f"{path} is open in another process (a running `ingest run`, a worker on "
                "SQLite, Datasette?): stop it first, so that nothing is written to the file "
                "after the copy is taken"
            ) from exc
        raise StoreError(f"{path} is not a usable SQLite database: {exc}") from exc
    try:
        try:
            has_log = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a SQLite database: {exc}") from exc
        if not has_log:
            raise StoreError(f"{path} is not an ingest database (it has no migration record)")
        applied = [
            str(r[0])
            for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id",
                (migrations.name,),
            ).fetchall()
        ]
        known = _known_names()
        newer = [name for name in applied if name not in known]
        if newer:
            raise StoreError(
                f"{path} was written by a newer ingest (schema steps this version does not "
                f"know: {', '.join(newer)}): migrate it with that version"
            )
        pending = [name for name in known if name not in applied]
        if pending:
            migrations.apply(Database(conn))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return pending
