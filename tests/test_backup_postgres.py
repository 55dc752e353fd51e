"""``ingest backup`` on the PostgreSQL store: a pg_dump archive, checked, that restores."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from postgres_db import fresh_database

from ingest.cli import main
from ingest.errors import BackupError
from ingest_demo.loopback import CannedResponse, LoopbackServer

pytest.importorskip("psycopg", reason="the postgres extra is not installed")
if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
    pytest.skip("pg_dump and pg_restore are not on PATH", allow_module_level=True)

from ingest.store.postgres.dump import verify_dump

TABLES = ("sources", "entries", "articles", "figures", "claims", "fetch_log")


def counts(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return {
            t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])  # type: ignore[index]
            for t in TABLES
        }


def polled_store(tmp_path: Path, loopback: LoopbackServer, url: str) -> tuple[Path, dict[str, str]]:
    """A PostgreSQL store with one real poll in it; the config and the environment."""
    items = "".join(
        f"<item><title>Alibaba Cloud {i}</title><guid>b{i}</guid><description>Alibaba Cloud "
        f"revenue rose {10 + i} percent to {100 + i} billion yuan.</description></item>"
        for i in range(3)
    )
    rss = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>{items}</channel></rss>'
    )
    loopback.route("/feed", CannedResponse(body=rss.encode(), content_type="application/rss+xml"))
    config = tmp_path / "ingest.toml"
    config.write_text(
        '[http]\nallow_networks = ["127.0.0.1/32"]\nper_host_min_delay = 0\n'
        f'[[sources]]\nname = "wire"\nurl = "{loopback.url("/feed")}"\n',
        encoding="utf-8",
    )
    env = {"INGEST_DATABASE_URL": url}
    done = CliRunner().invoke(main, ["--config", str(config), "poll"], env=env)
    assert done.exit_code == 0, done.output
    return config, env


def test_backup_restores_into_an_empty_database(
    tmp_path: Path, loopback: LoopbackServer, postgres_url: str
) -> None:
    config, env = polled_store(tmp_path, loopback, postgres_url)
    before = counts(postgres_url)
    assert before["entries"] == 3 and before["figures"] > 0
    target = tmp_path / "ingest.dump"
    done = CliRunner().invoke(main, ["--config", str(config), "backup", str(target)], env=env)
    assert done.exit_code == 0, done.output
    assert "pg_dump custom format" in done.output and "checked with pg_restore" in done.output
    assert target.read_bytes()[:5] == b"PGDMP"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ingest.dump", "ingest.toml"]
    # A second backup to the same name needs --force, and keeps the first meanwhile.
    again = CliRunner().invoke(main, ["--config", str(config), "backup", str(target)], env=env)
    assert again.exit_code == 3 and "--force" in again.output
    restored = fresh_database()
    other = next(restored)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={other}", str(target)],
            check=True, capture_output=True,
        )  # fmt: skip
        assert counts(other) == before
        status = CliRunner().invoke(
            main, ["--config", str(config), "status"], env={"INGEST_DATABASE_URL": other}
        )
        assert status.exit_code == 0, status.output
        assert "sources      1: 1 ok" in status.output
    finally:
        restored.close()


def test_a_damaged_archive_does_not_verify(
    tmp_path: Path, loopback: LoopbackServer, postgres_url: str
) -> None:
    config, env = polled_store(tmp_path, loopback, postgres_url)
    target = tmp_path / "ingest.dump"
    done = CliRunner().invoke(main, ["--config", str(config), "backup", str(target)], env=env)
    assert done.exit_code == 0, done.output
    assert verify_dump(target).integrity == "ok"
    assert verify_dump(target).tables >= len(TABLES)
    cut = tmp_path / "cut.dump"
    cut.write_bytes(target.read_bytes()[:200])
    assert verify_dump(cut).integrity != "ok"
    (tmp_path / "junk.dump").write_bytes(b"not an archive")
    assert "pg_restore cannot read it" in verify_dump(tmp_path / "junk.dump").integrity
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", str(tmp_path))
        with pytest.raises(BackupError, match="pg_restore on PATH"):
            verify_dump(target)
