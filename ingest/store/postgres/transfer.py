"""Copying a SQLite corpus into a PostgreSQL store: the PostgreSQL side of ``migrate-store``.

Everything happens in one transaction, so a failure at any point (a lost connection, a row
PostgreSQL refuses, a count that does not match) leaves the target exactly as it was, and the
copy can simply be run again. Inside it: the target's tables are locked against writers, found
empty (or, when asked, emptied), filled with COPY a bounded batch at a time in foreign-key
order with the SQLite ids, the leases of the stopped processes are cleared, every identity
sequence is moved past the largest id copied, and each table's rows are counted against the
SQLite file's before anything is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, LiteralString

import psycopg
from psycopg import sql

from ingest.errors import StoreError
from ingest.store.postgres.errors import describe, redact_url, url_secrets
from ingest.store.postgres.migrations import STEPS, applied, migrate
from ingest.store.transfer import (
    LEASES,
    SELF_REFERENCES,
    TABLES,
    SqliteSource,
    TableCount,
    hold_forward_references,
    unplanned,
)

CONNECT_TIMEOUT_S = 10
# How long the copy waits for another session (a worker) to let go of a table it needs.
LOCK_TIMEOUT = "10s"
# pg_advisory_xact_lock key: one migrate-store at a time per database ("ingest" + 3).
TRANSFER_LOCK = 0x696E67657374 + 3
# Derived from articles by a trigger: emptied with them, counted against them.
SEARCH_TABLE = "article_search"
# Kept only for the band index it describes: an otherwise empty target may have one recorded
# by a process that opened it; the file's own parameters replace it.
META_TABLE = "neardup_meta"

Query = LiteralString | sql.SQL | sql.Composed
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class TransferReport:
    """What ``migrate-store`` did: rows per table on both sides, and what it cleared."""

    target: str  # the URL as it may be shown
    counts: tuple[TableCount, ...]
    leases_cleared: int
    replaced: bool
    schema_created: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(c.postgres for c in self.counts)


def _ident(name: str) -> sql.Identifier:
    return sql.Identifier(name)


class _Target:
    """One autocommit connection to the target, with errors mapped to :class:`StoreError`."""

    def __init__(self, url: str) -> None:
        self.shown = redact_url(url)
        self._secrets = url_secrets(url)
        try:
            self.conn = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="ingest migrate-store",
            )
        except psycopg.Error as exc:
            raise StoreError(self.describe(exc)) from exc

    def describe(self, exc: BaseException) -> str:
        return describe(exc, self.shown, self._secrets)

    def rows(self, query: Query, params: Any = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(query, params).fetchall()

    def value(self, query: Query, params: Any = ()) -> Any:
        row = self.conn.execute(query, params).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        self.conn.close()


def copy_into_postgres(
    source: SqliteSource, url: str, *, replace: bool = False, progress: Progress | None = None
) -> TransferReport:
    """Copy every table of ``source`` into the PostgreSQL database at ``url``.

    Refuses (:class:`StoreError`, nothing written) a target that holds data unless
    ``replace``, a target whose schema is newer than this version's, and a SQLite file with a
    table the plan does not know. ``progress(table, done, total)`` is called after each batch.
    """
    extra = unplanned(source.tables())
    if extra:
        raise StoreError(
            f"{source.path} has tables this version does not know how to move: {', '.join(extra)}"
        )
    target = _Target(url)
    try:
        return _copy(source, target, replace=replace, progress=progress or _quiet)
    except psycopg.errors.LockNotAvailable as exc:
        raise StoreError(
            f"the PostgreSQL database at {target.shown} is in use: another session holds its "
            f"tables (workers or a daemon on it?) and did not let go within {LOCK_TIMEOUT}; "
            "stop them and run again; nothing was written"
        ) from exc
    except psycopg.Error as exc:
        raise StoreError(
            f"{target.describe(exc)}; nothing was written (the target is as it was)"
        ) from exc
    finally:
        target.close()


def _quiet(table: str, done: int, total: int) -> None:
    """No progress output."""


def _copy(
    source: SqliteSource, target: _Target, *, replace: bool, progress: Progress
) -> TransferReport:
    created = migrate(target.conn)
    known = {step.name for step in STEPS}
    newer = [name for name in applied(target.conn) if name not in known]
    if newer:
        raise StoreError(
            f"the PostgreSQL database at {target.shown} has schema steps this version does "
            f"not know ({', '.join(newer)}): use the ingest that created it"
        )
    with target.conn.transaction():
        conn = target.conn
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (TRANSFER_LOCK,))
        conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT)))
        everything = [*TABLES, SEARCH_TABLE]
        conn.execute(
            sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                sql.SQL(", ").join(map(_ident, everything))
            )
        )
        columns = {table: _columns(source, target, table) for table in TABLES}
        held = _occupied(target)
        if held and not replace:
            listed = ", ".join(f"{t} ({n:,} rows)" for t, n in held.items())
            raise StoreError(
                f"the PostgreSQL database at {target.shown} already holds data: {listed}. "
                "migrate-store copies into an empty store only: point --to at an empty "
                "database, or pass --replace to delete what it holds first"
            )
        # Without --replace only neardup_meta can hold rows here; it describes no index.
        conn.execute(
            sql.SQL("TRUNCATE {} RESTART IDENTITY").format(
                sql.SQL(", ").join(map(_ident, everything if replace else [META_TABLE]))
            )
        )
        totals = {table: source.count(table) for table in TABLES}
        for table in TABLES:
            _copy_table(source, target, table, columns[table], totals[table], progress)
        cleared = sum(
            conn.execute(
                sql.SQL(
                    "UPDATE {} SET lease_owner = NULL, lease_until = NULL"
                    " WHERE lease_owner IS NOT NULL OR lease_until IS NOT NULL"
                ).format(_ident(table))
            ).rowcount
            for table in LEASES
        )
        for table in TABLES:
            if "id" in columns[table]:
                _reset_sequence(target, table)
        counts = tuple(
            TableCount(table, totals[table], int(target.value(_count(table)))) for table in TABLES
        )
        _verify(target, counts)
    return TransferReport(target.shown, counts, cleared, replace, tuple(created))


def _count(table: str) -> sql.Composed:
    return sql.SQL("SELECT COUNT(*) FROM {}").format(_ident(table))


def _columns(source: SqliteSource, target: _Target, table: str) -> tuple[str, ...]:
    """The columns to copy: SQLite's, which must be exactly PostgreSQL's."""
    mine = source.columns(table)
    theirs = {
        str(r[0])
        for r in target.rows(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
    }
    if set(mine) != theirs:
        only_sqlite = sorted(set(mine) - theirs)
        only_pg = sorted(theirs - set(mine))
        raise StoreError(
            f"table {table} differs between {source.path} and {target.shown}: "
            f"only in SQLite: {only_sqlite or 'none'}; only in PostgreSQL: {only_pg or 'none'}"
        )
    return mine


def _occupied(target: _Target) -> dict[str, int]:
    """The target's tables that hold rows (neardup_meta aside), with their counts."""
    held: dict[str, int] = {}
    for table in TABLES:
        if table == META_TABLE:
            continue
        n = int(target.value(_count(table)))
        if n:
            held[table] = n
    return held


def _copy_table(
    source: SqliteSource,
    target: _Target,
    table: str,
    columns: tuple[str, ...],
    total: int,
    progress: Progress,
) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        _ident(table), sql.SQL(", ").join(map(_ident, columns))
    )
    held: list[tuple[int, int]] = []
    done = 0
    key = columns.index("id") if "id" in columns else None
    row: tuple[Any, ...] = ()
    try:
        with target.conn.cursor() as cur, cur.copy(statement) as copy:
            for batch in source.batches(table, columns):
                rows, ahead = hold_forward_references(batch, columns, table)
                held += ahead
                for row in rows:
                    copy.write_row(row)
                done += len(rows)
                progress(table, done, total)
    except psycopg.Error as exc:
        # A value psycopg cannot send names its row; the server's refusals come at the end.
        where = (
            f" (at id {row[key]})"
            if key is not None and row and isinstance(exc, psycopg.DataError)
            else ""
        )
        raise StoreError(
            f"copying table {table}{where}: {target.describe(exc)}; "
            "nothing was written (the target is as it was)"
        ) from exc
    if held:
        column = SELF_REFERENCES[table]
        with target.conn.cursor() as cur:
            cur.executemany(
                sql.SQL("UPDATE {} SET {} = %s WHERE id = %s").format(
                    _ident(table), _ident(column)
                ),
                [(ref, row_id) for row_id, ref in held],
            )
    if total == 0:
        progress(table, 0, 0)


def _reset_sequence(target: _Target, table: str) -> None:
    """Move the id sequence past the largest id copied, so new rows never collide."""
    sequence = target.value("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
    if sequence is None:
        return  # alerts: the id is the finding's, not generated
    target.value(
        sql.SQL("SELECT setval(%s, COALESCE(MAX(id), 0) + 1, false) FROM {}").format(_ident(table)),
        (sequence,),
    )


def _verify(target: _Target, counts: tuple[TableCount, ...]) -> None:
    wrong = [c for c in counts if c.sqlite != c.postgres]
    if wrong:
        listed = ", ".join(f"{c.table}: {c.sqlite} in SQLite, {c.postgres} copied" for c in wrong)
        raise StoreError(f"the copy does not match the SQLite file ({listed}); nothing written")
    articles = next(c.postgres for c in counts if c.table == "articles")
    indexed = int(target.value(_count(SEARCH_TABLE)))
    if indexed != articles:
        raise StoreError(
            f"the search index holds {indexed} articles of {articles}; nothing written"
        )
