"""The daemon: ticks store articles, SIGTERM/SIGINT exit 0, dead leases are freed on start."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from ingest.cli.commands_demo import demo_config
from ingest.daemon import release_dead_leases
from ingest.models import utcnow
from ingest.schedule.leases import owner_id
from ingest.store import SourceSpec, Store
from ingest_demo.loopback import LoopbackServer
from ingest_demo.site import serve_demo_site


def stored_articles(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=5)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_run_polls_then_stops_cleanly(
    tmp_path: Path, loopback: LoopbackServer, stop_signal: signal.Signals
) -> None:
    """`ingest run` stores articles on its first tick and exits 0 on SIGTERM or SIGINT."""
    config = tmp_path / "c.toml"
    db = tmp_path / "d.db"
    config.write_text(demo_config(serve_demo_site(loopback), db), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest", "run", "--config", str(config)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while stored_articles(db) < 4:
            assert proc.poll() is None, proc.communicate()[1].decode()
            assert time.monotonic() < deadline, "the daemon stored nothing"
            time.sleep(0.05)
        proc.send_signal(stop_signal)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    store = Store(db)
    assert all(s.status.value == "ok" for s in store.list_sources())
    assert store.lease_owners() == [], "a clean stop leaves no lease behind"
    count = len(store.list_sources())
    store.close()
    # One line at start and at stop without -v (JSON lines: stderr is not a terminal).
    events = [json.loads(line)["event"] for line in err.decode().splitlines() if line.strip()]
    assert events[0] == (
        f"ingest running: {count} sources ({count} enabled), tick every 30s, database {db}, "
        "no /healthz ([server] listen); SIGTERM or Ctrl-C stops"
    )
    assert events[-2:] == ["stopping: finishing the work in hand", "ingest stopped"]


def test_release_dead_leases(tmp_path: Path) -> None:
    """Leases of a dead process on this host are freed; live ones and other hosts' are kept."""
    store = Store(tmp_path / "s.db")
    store.sync_sources([SourceSpec("a", "https://a/f"), SourceSpec("b", "https://b/f")])
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    host = owner_id().rpartition(":")[0]
    dead_owner = f"{host}:{dead.stdout.strip()}"
    now = utcnow()
    store.claim_due_sources(now, limit=1, owner=dead_owner, lease=timedelta(hours=1))
    store.claim_due_sources(now, limit=1, owner="elsewhere:1", lease=timedelta(hours=1))
    assert release_dead_leases(store) == [dead_owner]
    assert store.lease_owners() == ["elsewhere:1"]
    store.close()


@pytest.mark.slow
def test_run_serves_health_and_metrics(tmp_path: Path, loopback: LoopbackServer) -> None:
    """`ingest run` with `[server] listen` answers /healthz and counts its polls in /metrics."""
    import socket

    import httpx

    from ingest.cli.commands_demo import demo_config

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "c.toml"
    db = tmp_path / "d.db"
    config.write_text(
        demo_config(serve_demo_site(loopback), db) + f'\n[server]\nlisten = "127.0.0.1:{port}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    log = tmp_path / "run.log"
    with log.open("wb") as sink:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingest", "run", "--config", str(config)],
            env=env, stdout=subprocess.DEVNULL, stderr=sink,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while stored_articles(db) < 4:
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the daemon stored nothing"
            time.sleep(0.05)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert f"health at http://127.0.0.1:{port}/healthz" in log.read_text(errors="replace")
        assert 'ingest_articles_total{decision="new"} 3.0' in metrics
        assert 'ingest_polls_total{outcome="ok"} 2.0' in metrics
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_sigterm_finishes_the_check_in_hand(tmp_path: Path, loopback: LoopbackServer) -> None:
    """SIGTERM while an article page is still loading: the daemon finishes that entry, stores
    it, leaves no lease behind, and exits 0."""
    from ingest_demo.loopback import CannedResponse

    page = (
        "<html><body><article><h1>Alibaba Cloud opens a data centre</h1><p>"
        + "Alibaba Cloud said it opened a new data centre in Mexico, its 30th region. " * 8
        + "</p></article></body></html>"
    )
    loopback.route("/slow", CannedResponse(body=page.encode(), content_type="text/html", delay=3))
    loopback.route(
        "/feed",
        CannedResponse(
            body=(
                '<?xml version="1.0"?><rss version="2.0"><channel><title>F</title><item>'
                f"<title>Alibaba Cloud opens a data centre</title><link>{loopback.url('/slow')}"
                "</link><guid>slow-1</guid></item></channel></rss>"
            ).encode(),
            content_type="application/rss+xml",
        ),
    )
    config = tmp_path / "c.toml"
    db = tmp_path / "d.db"
    from ingest.cli.commands_demo import demo_config

    config.write_text(demo_config({"slow": loopback.url("/feed")}, db), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    log = tmp_path / "run.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingest", "run", "--config", str(config)],
            env=env, stdout=subprocess.DEVNULL, stderr=sink,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not loopback.requests_to("/slow"):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the page was never requested"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)  # the page answers ~3 s later
        assert proc.wait(timeout=60) == 0, log.read_text(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert stored_articles(db) == 1, log.read_text(errors="replace")
    store = Store(db)
    assert store.lease_owners() == []
    assert store.list_sources()[0].status.value == "ok"
    store.close()
