"""Checks on a ``pg_dump`` backup: is the archive whole and readable, and what it holds."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import BackupError

__all__ = ["DumpFacts", "verify_dump"]

# The tables a backup of an ingest store cannot be without; the dump must carry their rows.
REQUIRED_TABLES = ("sources", "entries", "articles", "figures", "alerts", "_ingest_migrations")
_LIST_TIMEOUT_S = 600


@dataclass(frozen=True, slots=True)
class DumpFacts:
    integrity: str  # "ok", or what is wrong with the archive
    tables: int  # tables whose rows the archive holds


def verify_dump(path: Path) -> DumpFacts:
    """Read the archive's table of contents with ``pg_restore --list`` (which reads it end to
    end) and check that it carries the rows of the store's core tables."""
    tool = shutil.which("pg_restore")
    if tool is None:
        raise BackupError("checking a PostgreSQL backup needs pg_restore on PATH")
    try:
        done = subprocess.run(
            [tool, "--list", str(path)], capture_output=True, text=True,
            timeout=_LIST_TIMEOUT_S, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"pg_restore --list {path} failed: {exc}") from exc
    if done.returncode != 0:
        return DumpFacts(f"pg_restore cannot read it: {' '.join(done.stderr.split())}", 0)
    data = {
        words[-2]
        for line in done.stdout.splitlines()
        if " TABLE DATA " in line and len(words := line.split()) >= 2
    }
    missing = [t for t in REQUIRED_TABLES if t not in data]
    if missing:
        return DumpFacts(f"the archive has no rows for {', '.join(missing)}", len(data))
    return DumpFacts("ok", len(data))
