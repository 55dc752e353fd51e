"""``ingest backup``: a consistent copy of the database, safe while the daemon writes.

PostgreSQL: ``pg_dump --format=custom`` (a snapshot taken in one transaction, so workers keep
writing), checked with ``pg_restore --list`` and renamed into place the same way.

SQLite's online backup API copies a snapshot: in WAL mode it reads while the daemon keeps
writing, and never sees half a transaction. The copy is written to a temporary file next to
the target, switched from WAL to a rollback journal (so it is one self-contained file), checked
with ``PRAGMA integrity_check`` and only then renamed into place, so a crash or a full disk
mid-backup never leaves a file at the target name that looks like a good backup.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import BackupError, StoreError
from ingest.store.backup_file import finalise_copy
from ingest.store.interfaces import StoreBackend

__all__ = ["BackupResult", "backup_database"]


@dataclass(frozen=True, slots=True)
class BackupResult:
    source: str
    target: Path
    bytes: int
    pages: int  # SQLite pages of the copy; 0 for a PostgreSQL archive
    integrity: str
    seconds: float
    tables: int = 0  # tables whose rows a PostgreSQL archive holds; 0 for SQLite
    format: str = "sqlite"  # "sqlite" (a database file) or "pg_dump" (a custom-format archive)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _is_postgres(store: StoreBackend) -> bool:
    return store.path.startswith(("postgresql://", "postgres://"))


def backup_database(
    store: StoreBackend,
    target: Path,
    *,
    overwrite: bool = False,
    clock: Callable[[], float] = time.perf_counter,
) -> BackupResult:
    """Copy ``store`` to ``target`` and verify the copy; raise :class:`BackupError` if not done.

    An existing ``target`` is kept unless ``overwrite``; it is replaced only by a verified copy.
    """
    started = clock()
    target = target.expanduser()
    postgres = _is_postgres(store)
    if not postgres and (
        _same_file(target, Path(store.path)) or target.resolve() == Path(store.path).resolve()
    ):
        raise BackupError(f"the backup target {target} is the database itself")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists; pass --force to replace it")
    if target.exists() and not target.is_file():
        raise BackupError(f"{target} exists and is not a file")
    if not target.parent.is_dir():
        raise BackupError(f"directory {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        partial.unlink(missing_ok=True)
        store.backup(partial)
        if postgres:
            from ingest.store.postgres.dump import verify_dump

            dump = verify_dump(partial)
            integrity, pages, tables = dump.integrity, 0, dump.tables
        else:
            facts = finalise_copy(partial)
            integrity, pages, tables = facts.integrity, facts.pages, 0
        if integrity != "ok":
            raise BackupError(f"the copy failed its integrity check: {integrity}")
        partial.replace(target)
    except StoreError:
        raise
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        for suffix in ("-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                partial.with_name(partial.name + suffix).unlink(missing_ok=True)
    return BackupResult(
        source=store.path,
        target=target,
        bytes=target.stat().st_size,
        pages=pages,
        integrity=integrity,
        seconds=clock() - started,
        tables=tables,
        format="pg_dump" if postgres else "sqlite",
    )
