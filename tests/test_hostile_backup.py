"""``ingest backup``: a verified online copy, taken while another process keeps writing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import ingest.cli.commands_backup  # noqa: F401  (registers the command on main)
from ingest.cli import main
from ingest.errors import BackupError
from ingest.store import Store
from ingest.store.backup import backup_database

# Each transaction writes two rows with the same n; a copy showing one of them would be a torn
# snapshot. The writer runs until the stop file appears, then prints how many pairs it wrote.
WRITER = r"""
import sys, time
from pathlib import Path
from ingest.store import Store
store = Store(sys.argv[1])
store._write("CREATE TABLE IF NOT EXISTS hostile_pairs (n INTEGER, side TEXT, pad TEXT)")
Path(sys.argv[3]).write_text("ready")
n = 0
while not Path(sys.argv[2]).exists():
    n += 1
    with store.unit():
        store._write("INSERT INTO hostile_pairs VALUES (?, 'a', ?)", (n, "x" * 2000))
        store._write("INSERT INTO hostile_pairs VALUES (?, 'b', ?)", (n, "y" * 2000))
print(n)
"""


def _pairs(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT count(*), count(DISTINCT n) FROM hostile_pairs").fetchone()
        return int(rows[0]), int(rows[1])
    finally:
        conn.close()


def _wait_for(path: Path) -> None:
    for _ in range(600):
        if path.exists():
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def test_backups_while_another_process_writes_are_consistent(tmp_path: Path) -> None:
    """Five backups during continuous writes: each verifies, none holds half a transaction."""
    db, stop, ready = tmp_path / "live.db", tmp_path / "stop", tmp_path / "ready"
    Store(db).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(stop), str(ready)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(ready)
        store = Store(db)
        counts = []
        for i in range(5):
            while _pairs(db)[1] < 50 * (i + 1):  # let the writer get ahead between copies
                time.sleep(0.02)
            result = backup_database(store, tmp_path / f"copy{i}.db")
            assert result.integrity == "ok"
            rows, distinct = _pairs(result.target)
            assert rows == 2 * distinct, f"copy {i} holds half a transaction"
            counts.append(distinct)
            assert not (tmp_path / f"copy{i}.db-wal").exists()
        store.close()
    finally:
        stop.write_text("stop")
        out, _ = writer.communicate(timeout=60)
    assert writer.returncode == 0
    written = int(out.strip())
    assert counts == sorted(counts) and counts[0] < counts[-1], counts
    assert counts[-1] <= written
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not list(tmp_path.glob(".*partial*")), "temporary files left behind"


def test_existing_target_is_kept_unless_forced(tmp_path: Path) -> None:
    """An existing file is not overwritten without overwrite=True; the db cannot be its own copy."""
    store = Store(tmp_path / "a.db")
    target = tmp_path / "b.db"
    target.write_bytes(b"precious")
    with pytest.raises(BackupError, match="exists"):
        backup_database(store, target)
    assert target.read_bytes() == b"precious"
    backup_database(store, target, overwrite=True)
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    with pytest.raises(BackupError, match="database itself"):
        backup_database(store, tmp_path / "a.db", overwrite=True)
    with pytest.raises(BackupError, match="does not exist"):
        backup_database(store, tmp_path / "missing-dir" / "c.db")
    store.close()


def test_cli_backup_reports_and_exits_3_without_database(tmp_path: Path) -> None:
    """`ingest backup FILE` prints what it copied; no database is a database error (exit 3)."""
    config = tmp_path / "ingest.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "x.db"}"\n', encoding="utf-8")
    env = {"INGEST_CONFIG": str(config)}
    runner = CliRunner()
    missing = runner.invoke(main, ["backup", str(tmp_path / "out.db")], env=env)
    assert missing.exit_code == 3, missing.output
    assert "no database" in missing.output
    Store(tmp_path / "x.db").close()
    done = runner.invoke(main, ["backup", str(tmp_path / "out.db")], env=env)
    assert done.exit_code == 0, done.output
    assert "integrity ok" in done.output and (tmp_path / "out.db").is_file()
    again = runner.invoke(main, ["backup", str(tmp_path / "out.db")], env=env)
    assert again.exit_code == 3 and "--force" in again.output
    forced = runner.invoke(main, ["backup", str(tmp_path / "out.db"), "--force"], env=env)
    assert forced.exit_code == 0, forced.output
