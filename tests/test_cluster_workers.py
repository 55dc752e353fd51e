"""``ingest worker`` processes sharing one PostgreSQL database, for the job queue and the store:
a SIGKILLed worker's check runs again elsewhere and stores every entry once, SIGTERM drains,
and two workers never check one source at the same time."""

from __future__ import annotations

import itertools
import signal
import time
from pathlib import Path

import pytest
from cluster_support import count, rows, start_worker, stop, wait_for

from ingest_demo.loopback import CannedResponse, LoopbackServer, RecordedRequest

pytest.importorskip("procrastinate", reason="the cluster extra is not installed")

pytestmark = pytest.mark.slow
ENTRIES = 12


def article(i: int) -> bytes:
    text = " ".join(
        f"Alibaba Cloud revenue in region {i} rose {j} percent as customers moved {i} workloads."
        for j in range(12)
    )
    return (
        f"<html><head><title>Alibaba item {i}</title></head><body><article><h1>Alibaba item {i}"
        f"</h1><p>{text}</p></article></body></html>"
    ).encode()


def serve_slow_feed(server: LoopbackServer, *, page_delay: float) -> str:
    items = "".join(
        f"<item><title>Alibaba item {i}</title><link>{server.url(f'/a/{i}')}</link>"
        f"<guid>g{i}</guid><description>Alibaba Cloud item {i}</description></item>"
        for i in range(ENTRIES)
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{items}</channel></rss>'
    )
    server.route("/feed", CannedResponse(body=body.encode(), content_type="application/rss+xml"))
    for i in range(ENTRIES):
        server.route(
            f"/a/{i}", CannedResponse(body=article(i), content_type="text/html", delay=page_delay)
        )
    return server.url("/feed")


def write_config(tmp_path: Path, feed_url: str, *, extra: str = "") -> Path:
    config = tmp_path / "ingest.toml"
    config.write_text(
        f'[store]\npath = "{(tmp_path / "ingest.db").as_posix()}"\n'
        '[http]\nallow_networks = ["127.0.0.1/32"]\nper_host_min_delay = 0\n'
        "per_host_concurrency = 1\n"
        "[cluster]\ntick = 1\nheartbeat = 0.5\nstalled_timeout = 2\n"
        f'{extra}[[sources]]\nname = "s"\nurl = "{feed_url}"\n',
        encoding="utf-8",
    )
    return config


def test_sigkilled_worker_check_runs_again_elsewhere_and_stores_each_entry_once(
    tmp_path: Path, loopback: LoopbackServer, postgres_url: str
) -> None:
    config = write_config(tmp_path, serve_slow_feed(loopback, page_delay=0.3))
    log = tmp_path / "workers.log"
    first = start_worker(config, postgres_url, log)
    try:
        wait_for("a few entries", lambda: count(postgres_url, "SELECT COUNT(*) FROM entries") >= 3,
                 [first], log)  # fmt: skip
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert count(postgres_url, "SELECT COUNT(*) FROM entries") < ENTRIES
        assert (
            count(postgres_url, "SELECT COUNT(*) FROM fetch_log") == 0
        )  # the check never finished
        second = start_worker(config, postgres_url, log)
        try:
            finished = lambda: count(postgres_url, "SELECT COUNT(*) FROM fetch_log") >= 1  # noqa: E731
            wait_for("the check to finish elsewhere", finished, [second], log)
        finally:
            assert stop([second]) == [0]
    finally:
        if first.poll() is None:
            first.kill()
    assert count(postgres_url, "SELECT COUNT(*) FROM entries") == ENTRIES
    assert count(postgres_url, "SELECT COUNT(DISTINCT entry_key) FROM entries") == ENTRIES
    assert count(postgres_url, "SELECT COUNT(*) FROM articles") == ENTRIES
    assert count(postgres_url, "SELECT COUNT(*) FROM entries WHERE article_id IS NULL") == 0
    # Checked once in its interval: the killed attempt recorded nothing, the rerun once.
    assert count(postgres_url, "SELECT COUNT(*) FROM fetch_log WHERE outcome = 'ok'") == 1
    # The dead worker's job left 'doing' (queued again, or closed for the newer copy).
    assert rows(postgres_url, "SELECT COUNT(*) FROM procrastinate_jobs WHERE status = 'doing'") == [
        (0,)
    ]
    assert (
        rows(
            postgres_url,
            "SELECT COUNT(*) FROM procrastinate_jobs WHERE task_name = 'ingest.check_source'"
            " AND (attempts > 0 OR status = 'failed')",
        )[0][0]
        >= 1
    )


def test_sigterm_lets_the_running_check_finish(
    tmp_path: Path, loopback: LoopbackServer, postgres_url: str
) -> None:
    config = write_config(tmp_path, serve_slow_feed(loopback, page_delay=0.2),
                          extra="[schedule]\nstop_grace = 60\n")  # fmt: skip
    log = tmp_path / "worker.log"
    worker = start_worker(config, postgres_url, log)
    try:
        started = lambda: count(postgres_url, "SELECT COUNT(*) FROM entries") >= 2  # noqa: E731
        wait_for("the check to start", started, [worker], log)
        assert count(postgres_url, "SELECT COUNT(*) FROM fetch_log") == 0
        assert stop([worker]) == [0]
    finally:
        if worker.poll() is None:
            worker.kill()
    assert count(postgres_url, "SELECT COUNT(*) FROM entries") == ENTRIES
    assert count(postgres_url, "SELECT COUNT(*) FROM fetch_log WHERE outcome = 'ok'") == 1
    assert rows(
        postgres_url,
        "SELECT status::text FROM procrastinate_jobs WHERE task_name = 'ingest.check_source'"
        " AND status <> 'todo' ORDER BY id LIMIT 1",
    ) == [("succeeded",)]
    assert rows(postgres_url, "SELECT COUNT(*) FROM procrastinate_workers") == [(0,)]


def test_two_workers_never_check_one_source_at_once(
    tmp_path: Path, loopback: LoopbackServer, postgres_url: str
) -> None:
    """The source is due again a second after each check and its feed takes 1.5 s: every tick
    of either worker finds it due (and claimed by the cluster), yet the feed is never fetched
    twice at once."""
    items = "".join(
        f"<item><title>Alibaba {i}</title><guid>n{i}</guid>"
        f"<description>Alibaba Cloud revenue rose {i} percent.</description></item>"
        for i in range(3)
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{items}</channel></rss>'
    )
    fetches: list[tuple[float, float]] = []  # (start, end) of each fetch of the feed

    def slow_feed(request: RecordedRequest) -> CannedResponse:
        started = time.monotonic()
        time.sleep(1.5)
        fetches.append((started, time.monotonic()))
        return CannedResponse(body=body.encode(), content_type="application/rss+xml")

    loopback.route("/feed", slow_feed)
    config = write_config(
        tmp_path, loopback.url("/feed"),
        extra="[schedule]\nmin_interval = 1\ndefault_interval = 1\nadaptive = false\n",
    )  # fmt: skip
    config.write_text(
        config.read_text().replace("per_host_concurrency = 1", "per_host_concurrency = 8"),
        encoding="utf-8",
    )
    log = tmp_path / "workers.log"
    workers = [start_worker(config, postgres_url, log) for _ in range(2)]
    try:
        wait_for("four checks", lambda: count(postgres_url, "SELECT COUNT(*) FROM fetch_log") >= 4,
                 workers, log)  # fmt: skip
    finally:
        codes = stop(workers)
    assert codes == [0, 0]
    assert len(fetches) >= 4
    fetches.sort()
    overlaps = [(a, b) for a, b in itertools.pairwise(fetches) if b[0] < a[1]]
    assert overlaps == [], "the feed was fetched twice at the same time"


def test_worker_serves_healthz_and_the_cluster_gauges(
    tmp_path: Path, loopback: LoopbackServer, postgres_url: str
) -> None:
    """A worker with ``[server] listen`` answers /healthz (its own queue round trips, the
    store's last success) and /metrics with the cluster's gauges, read from the queue."""
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_config(tmp_path, serve_slow_feed(loopback, page_delay=0),
                          extra=f'[server]\nlisten = "127.0.0.1:{port}"\n')  # fmt: skip
    log = tmp_path / "worker.log"
    worker = start_worker(config, postgres_url, log)
    base = f"http://127.0.0.1:{port}"

    def answers(path: str) -> httpx.Response | None:
        try:
            return httpx.get(base + path, timeout=5)
        except httpx.TransportError:
            return None

    try:
        checked = "SELECT COUNT(*) FROM fetch_log WHERE kind = 'feed' AND outcome = 'ok'"
        wait_for("a check", lambda: count(postgres_url, checked) >= 1, [worker], log)
        health: httpx.Response | None = None

        def healthy() -> bool:
            nonlocal health
            health = answers("/healthz")
            return health is not None and health.status_code == 200

        wait_for("/healthz to answer 200", healthy, [worker], log)
        assert health is not None
        verdict = health.json()
        assert verdict["status"] == "ok"
        assert verdict["checks"]["scheduler"]["last_tick"] is not None  # its queue round trip
        assert verdict["checks"]["last_poll"]["last_success"] is not None  # from the store
        metrics = answers("/metrics")
        assert metrics is not None and metrics.status_code == 200
        lines = metrics.text.splitlines()
        assert 'ingest_cluster_workers{state="alive"} 1.0' in lines
        assert 'ingest_cluster_workers{state="stalled"} 0.0' in lines
        assert "ingest_cluster_stalled_jobs 0.0" in lines
        assert any(line.startswith('ingest_cluster_jobs{status="succeeded"}') for line in lines)
        assert any(line.startswith("ingest_polls_total") for line in lines), metrics.text[:2000]
    finally:
        assert stop([worker]) == [0]
