"""A poll killed with SIGKILL mid-way and restarted neither loses nor duplicates anything."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest_demo.loopback import CannedResponse, LoopbackServer

ENTRIES = 30
WORDS = (
    "cloud revenue margin cluster inference training data centre region customer contract "
    "model weights open source developer chip server capacity quarter analyst investor "
    "growth pricing demand supply export market share platform agent assistant"
).split()


def article_text(i: int) -> str:
    rng = random.Random(i)
    sentences = []
    for _ in range(12):
        words = [rng.choice(WORDS) for _ in range(rng.randint(10, 18))]
        sentences.append(" ".join(words).capitalize() + ".")
    return f"Alibaba Cloud update number {i}. " + " ".join(sentences)


def serve(server: LoopbackServer) -> None:
    items = []
    for i in range(ENTRIES):
        link = server.url(f"/a/{i}")
        items.append(
            f"<item><title>Alibaba item {i}</title><link>{link}</link><guid>g{i}</guid>"
            f"<description>Alibaba Cloud item {i}</description></item>"
        )
        page = (
            f"<html><head><title>Alibaba item {i}</title></head><body><nav>Home</nav>"
            f"<article><h1>Alibaba item {i}</h1><p>{article_text(i)}</p></article>"
            f"<footer>Footer</footer></body></html>"
        )
        # Slow pages so the kill lands in the middle of the poll.
        server.route(
            f"/a/{i}", CannedResponse(body=page.encode(), content_type="text/html", delay=0.15)
        )
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
        f"{''.join(items)}</channel></rss>"
    )
    server.route("/feed", CannedResponse(body=feed.encode(), content_type="application/rss+xml"))


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=5)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # schema not created yet
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_mid_poll_then_restart(tmp_path: Path, loopback: LoopbackServer) -> None:
    """Kill the poll twice at different points; after a clean run every entry is stored once."""
    serve(loopback)
    db = tmp_path / "ingest.db"
    config = tmp_path / "ingest.toml"
    config.write_text(
        f'[store]\npath = "{db.as_posix()}"\n[http]\nallow_networks = ["127.0.0.1/32"]\n'
        f"per_host_min_delay = 0\nper_host_concurrency = 4\n"
        f'[[sources]]\nname = "s"\nurl = "{loopback.url("/feed")}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    cmd = [sys.executable, "-m", "ingest", "poll", "--config", str(config)]
    for kill_after in (5, 15):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while count(db, "SELECT COUNT(*) FROM entries") < kill_after:
            assert proc.poll() is None, "poll finished before it could be killed"
            assert time.monotonic() < deadline, "poll made no progress"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert count(db, "SELECT COUNT(*) FROM entries") < ENTRIES
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert count(db, "SELECT COUNT(*) FROM entries") == ENTRIES
    assert count(db, "SELECT COUNT(DISTINCT entry_key) FROM entries") == ENTRIES
    assert count(db, "SELECT COUNT(*) FROM articles") == ENTRIES
    assert count(db, "SELECT COUNT(*) FROM entries WHERE article_id IS NULL") == 0
    assert count(db, "SELECT COUNT(*) FROM revisions") == ENTRIES
    assert count(db, "SELECT COUNT(*) FROM articles WHERE text_length = 0") == 0
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
