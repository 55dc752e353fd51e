"""Checks on a backup copy: the SQL that ``ingest.store.backup`` needs."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import BackupError

__all__ = ["CopyFacts", "finalise_copy"]


@dataclass(frozen=True, slots=True)
class CopyFacts:
    integrity: str
    """``PRAGMA integrity_check`` of the copy: ``"ok"`` or the first problem found."""
    pages: int
    page_size: int


def finalise_copy(path: Path) -> CopyFacts:
    """Make the copy one self-contained file (rollback journal, not WAL) and check it."""
    try:
        conn = sqlite3.connect(str(path), isolation_level=None)
        try:
            # The source runs in WAL mode and the copy inherits it; a backup is copied, mailed
            # and restored as one file, which a -wal sidecar would silently break.
            conn.execute("PRAGMA journal_mode = DELETE")
            integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
            pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
            page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the backup copy {path} cannot be read: {exc}") from exc
    return CopyFacts(integrity=integrity, pages=pages, page_size=page_size)
