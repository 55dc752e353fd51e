"""Cluster mode in one process: the queue schema, scheduling through the lease, the limiter,
the status lines. Real PostgreSQL (a database per test, see tests/postgres_db.py), real SQLite
store, loopback feeds. The multi-process cases (SIGKILL, SIGTERM, two workers) are in
tests/test_cluster_workers.py."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from cluster_support import rows
from prometheus_client import CollectorRegistry, generate_latest

from ingest_demo.loopback import CannedResponse, LoopbackServer

procrastinate = pytest.importorskip("procrastinate", reason="the cluster extra is not installed")

from ingest.alerts.senders import close_senders  # noqa: E402
from ingest.cluster.limiter import ClusterLimiter  # noqa: E402
from ingest.cluster.metrics import format_cluster, register_cluster_metrics  # noqa: E402
from ingest.cluster.settings import ClusterSettings  # noqa: E402
from ingest.cluster.tasks import (  # noqa: E402
    CHECK,
    WorkerRuntime,
    build_app,
    recover_stalled,
    run_check,
    run_delivery,
    schedule_checks,
    schedule_deliveries,
)
from ingest.config import parse_config  # noqa: E402
from ingest.errors import ConfigError  # noqa: E402
from ingest.settings_schema import InvalidSetting  # noqa: E402
from ingest.store.alerts import NewAlert, NewDelivery  # noqa: E402
from ingest.store.cluster import (  # noqa: E402
    HostPaceQueries,
    ensure_queue_schema,
    queue_snapshot,
)


def feed(server: LoopbackServer, path: str, entries: int) -> str:
    items = "".join(
        f"<item><title>Alibaba item {i}</title><guid>{path}-{i}</guid>"
        f"<description>Alibaba Cloud revenue rose {i} percent in item {i}.</description></item>"
        for i in range(entries)
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{items}</channel></rss>'
    )
    server.route(path, CannedResponse(body=body.encode(), content_type="application/rss+xml"))
    return server.url(path)


@asynccontextmanager
async def opened_app(url: str, settings: ClusterSettings) -> AsyncIterator[Any]:
    ensure_queue_schema(url)
    app = build_app(procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=4), settings)
    async with app.open_async():
        yield app


def test_schema_applied_once_when_workers_start_together(postgres_url: str) -> None:
    results: list[bool] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            results.append(ensure_queue_schema(postgres_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == [False, False, False, True]
    assert ensure_queue_schema(postgres_url) is False
    assert rows(postgres_url, "SELECT to_regclass('procrastinate_jobs') IS NOT NULL") == [(True,)]


def test_checks_deferred_once_per_source(
    postgres_url: str, loopback: LoopbackServer, make_services: Callable[..., Any]
) -> None:
    sources = [{"name": f"s{i}", "url": feed(loopback, f"/f{i}", 2)} for i in range(3)]
    services = make_services(sources)
    runtime = WorkerRuntime(services=services, settings=ClusterSettings())

    async def go() -> tuple[int, int]:
        async with opened_app(postgres_url, runtime.settings) as app:
            first = await schedule_checks(app, runtime)
            # The next ticks claim the same sources again (the lease is the cluster's), and the
            # queueing lock keeps one waiting job per source.
            second = await schedule_checks(app, runtime)
            await schedule_checks(app, runtime)
            return first, second

    first, second = asyncio.run(go())
    assert (first, second) == (3, 0)
    jobs = rows(
        postgres_url,
        "SELECT lock, queueing_lock, args->>'source_id' FROM procrastinate_jobs"
        " WHERE task_name = %s AND status = 'todo' ORDER BY lock",
        (CHECK,),
    )
    ids = sorted(s.id for s in services.store.list_sources())
    assert jobs == [(f"source:{i}", f"source:{i}", str(i)) for i in ids]
    assert services.store.lease_owners() == ["cluster:ingest"]


def test_no_copy_is_queued_behind_a_running_check_and_a_vanished_job_is_replaced(
    postgres_url: str, loopback: LoopbackServer, make_services: Callable[..., Any]
) -> None:
    sources = [{"name": f"s{i}", "url": feed(loopback, f"/f{i}", 1)} for i in range(2)]
    services = make_services(sources)
    runtime = WorkerRuntime(services=services, settings=ClusterSettings())

    async def go() -> tuple[int, int, int]:
        async with opened_app(postgres_url, runtime.settings) as app:
            first = await schedule_checks(app, runtime)
            worker = await app.job_manager.register_worker()
            await app.job_manager.fetch_job(queues=None, worker_id=worker)  # one check runs
            behind_running = await schedule_checks(app, runtime)
            # The waiting job disappears (as if the scheduling job died between claim and
            # defer): the source is still the cluster's, and the next tick queues it again.
            rows(postgres_url, "DELETE FROM procrastinate_jobs WHERE status = 'todo'")
            replaced = await schedule_checks(app, runtime)
            return first, behind_running, replaced

    assert asyncio.run(go()) == (2, 0, 1)
    waiting = rows(
        postgres_url,
        "SELECT COUNT(*) FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo'",
        (CHECK,),
    )
    assert waiting == [(1,)]


def test_a_tick_claims_for_every_live_slot_less_what_waits(
    postgres_url: str, loopback: LoopbackServer, make_services: Callable[..., Any]
) -> None:
    """The claim grows with the live workers' slots and the tick (it was capped at one daemon
    pass, 256 sources, however many workers), and what waits already counts against it."""
    url = feed(loopback, "/f", 1)
    services = make_services([{"name": f"s{i}", "url": url} for i in range(300)])
    wide = WorkerRuntime(services=services, settings=ClusterSettings(tick=5, concurrency=8))
    narrow = WorkerRuntime(services=services, settings=ClusterSettings(tick=1, concurrency=1))

    async def go() -> tuple[int, int, int, int]:
        async with opened_app(postgres_url, wide.settings) as app:
            await app.job_manager.register_worker()
            # 1 live worker x 8 slots x 5 s x 10 checks a second: room for all 300.
            everything = await schedule_checks(app, wide)
            rows(postgres_url, "DELETE FROM procrastinate_jobs")
            services.store.release_leases("cluster:ingest")
            # 1 x 1 x 1 x 10 = 10, below one daemon pass's 256: 256 then.
            floor = await schedule_checks(app, narrow)
            # 256 wait: the room is the floor again, and only the 44 others are new.
            rest = await schedule_checks(app, narrow)
            return everything, floor, rest, await schedule_checks(app, narrow)

    assert asyncio.run(go()) == (300, 256, 44, 0)


def test_a_check_runs_once_per_claim_even_when_its_job_runs_again(
    postgres_url: str, loopback: LoopbackServer, make_services: Callable[..., Any]
) -> None:
    services = make_services([{"name": "s", "url": feed(loopback, "/f", 3)}])
    runtime = WorkerRuntime(services=services, settings=ClusterSettings())

    async def go() -> tuple[str, str, str]:
        async with opened_app(postgres_url, runtime.settings) as app:
            before = await run_check(runtime, 1)  # never claimed: not the cluster's to check
            await schedule_checks(app, runtime)
            first = await run_check(runtime, 1)
            again = await run_check(runtime, 1)  # a retry, or a second job queued meanwhile
            return before, first, again

    assert asyncio.run(go()) == ("not claimed", "ok", "not claimed")
    assert len(loopback.requests_to("/f")) == 1


def test_one_delivery_job_per_target(
    postgres_url: str, make_services: Callable[..., Any], loopback: LoopbackServer
) -> None:
    loopback.route("/hook", CannedResponse(status=204))
    services = make_services(
        [], alerts={"webhook": [{"name": "ops", "url": loopback.url("/hook")}]}
    )
    runtime = WorkerRuntime(services=services, settings=ClusterSettings())
    names = list(services.senders)

    async def go() -> tuple[int, int, int]:
        async with opened_app(postgres_url, runtime.settings) as app:
            idle = await schedule_deliveries(app, runtime)  # nothing due: no job
            record = {"id": 1, "kind": "new", "subject": "Alibaba", "metric": "m"}
            now = services.clock()
            services.store.record_alert(
                NewAlert(1, "new", "Alibaba", "m", record), [NewDelivery(names[0])], due=now,
                now=now,
            )  # fmt: skip
            first = await schedule_deliveries(app, runtime)
            return idle, first, await schedule_deliveries(app, runtime)

    assert asyncio.run(go()) == (0, 1, 0)
    assert rows(
        postgres_url,
        "SELECT lock, queueing_lock, args->>'target' FROM procrastinate_jobs"
        " WHERE task_name = 'ingest.deliver_alerts'",
    ) == [(f"target:{names[0]}", f"target:{names[0]}", names[0])]


def test_one_targets_retry_after_holds_its_queue_for_every_worker(
    postgres_url: str, make_services: Callable[..., Any], loopback: LoopbackServer
) -> None:
    """Worker A's delivery gets 503 with Retry-After: 120; worker B, on the same store, sends
    nothing to that target until then, and the scheduler queues no delivery job for it."""
    answers = iter([CannedResponse(status=503, headers=(("Retry-After", "120"),))])
    loopback.route("/hook", lambda _: next(answers, CannedResponse(status=204)))
    tables = {
        "alerts": {"webhook": [{"name": "ops", "url": loopback.url("/hook")}]},
        "store": {"url": postgres_url},
    }
    worker_a, worker_b = (
        WorkerRuntime(services=make_services([], **tables), settings=ClusterSettings())
        for _ in range(2)
    )
    store = worker_a.services.store
    now = worker_a.services.clock()
    for n in (1, 2):
        record = {"id": n, "kind": "new", "subject": "Alibaba", "metric": "m"}
        store.record_alert(
            NewAlert(n, "new", "Alibaba", "m", record), [NewDelivery("ops")], due=now, now=now
        )

    async def go() -> tuple[str, str, int]:
        async with opened_app(postgres_url, worker_b.settings) as app:
            try:
                first = await run_delivery(worker_a, "ops")
                second = await run_delivery(worker_b, "ops")
                return first, second, await schedule_deliveries(app, worker_b)
            finally:
                for worker in (worker_a, worker_b):
                    await close_senders(worker.services.senders)

    assert asyncio.run(go()) == ("0 sent, 1 failed", "0 sent, 0 failed", 0)
    assert len(loopback.requests_to("/hook")) == 1
    assert worker_b.services.store.targets_due(["ops"], now=now) == set()
    later = now + timedelta(seconds=121)
    assert worker_b.services.store.targets_due(["ops"], now=later) == {"ops"}


def test_stalled_jobs_are_queued_again(
    postgres_url: str, loopback: LoopbackServer, make_services: Callable[..., Any]
) -> None:
    """A job left 'doing' by a worker whose heartbeat stopped goes back to 'todo'; one whose
    source got a newer waiting job meanwhile is closed instead (the newer one checks it)."""
    services = make_services(
        [{"name": f"s{i}", "url": feed(loopback, f"/f{i}", 1)} for i in range(2)]
    )
    runtime = WorkerRuntime(services=services, settings=ClusterSettings(stalled_timeout=30))

    async def go() -> int:
        async with opened_app(postgres_url, runtime.settings) as app:
            await schedule_checks(app, runtime)
            dead = await app.job_manager.register_worker()
            # The dead worker took both jobs...
            for _ in range(2):
                assert await app.job_manager.fetch_job(queues=None, worker_id=dead) is not None
            # ...its heartbeat is old now, and source 2 got a newer waiting copy.
            rows(
                postgres_url,
                "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'",
            )
            rows(
                postgres_url,
                "INSERT INTO procrastinate_jobs (queue_name, task_name, lock, queueing_lock, args)"
                " VALUES ('default', %s, 'source:2', 'source:2', '{\"source_id\": 2}')",
                (CHECK,),
            )
            return await recover_stalled(app, runtime)

    assert asyncio.run(go()) == 1
    jobs = rows(
        postgres_url,
        "SELECT lock, status::text, attempts FROM procrastinate_jobs ORDER BY id",
    )
    assert jobs == [("source:1", "todo", 1), ("source:2", "failed", 1), ("source:2", "todo", 0)]


def test_cluster_limiter_holds_concurrency_across_two_limiters(postgres_url: str) -> None:
    ensure_queue_schema(postgres_url)
    in_flight = 0
    most = 0

    async def go() -> None:
        nonlocal in_flight, most
        connectors = [
            procrastinate.PsycopgConnector(conninfo=postgres_url, min_size=1, max_size=4)
            for _ in range(2)
        ]
        for c in connectors:
            await c.open_async()
        try:
            limiters = [
                ClusterLimiter(HostPaceQueries(c), concurrency=1, min_delay=0, hold=30)
                for c in connectors
            ]

            async def one(limiter: ClusterLimiter) -> None:
                nonlocal in_flight, most
                async with limiter.slot("example.org"):
                    in_flight += 1
                    most = max(most, in_flight)
                    await asyncio.sleep(0.05)
                    in_flight -= 1

            await asyncio.gather(*(one(limiters[i % 2]) for i in range(8)))
        finally:
            for c in connectors:
                await c.close_async()

    asyncio.run(go())
    assert most == 1
    # Every slot was given back.
    assert rows(
        postgres_url, "SELECT COUNT(*) FROM ingest_cluster_host_slots WHERE holder IS NOT NULL"
    ) == [(0,)]


_LIMITER_PROCESS = textwrap.dedent(
    """
    import asyncio, json, sys
    import procrastinate
    from ingest.cluster.limiter import ClusterLimiter
    from ingest.store.cluster import HostPaceQueries

    async def main(url):
        starts = []
        c = procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=2)
        await c.open_async()
        limiter = ClusterLimiter(
            HostPaceQueries(c), concurrency=4, min_delay=0.2, hold=30,
            on_start=lambda host, start: starts.append(start),
        )
        async def one():
            async with limiter.slot("example.org"):
                pass
        await asyncio.gather(*(one() for _ in range(3)))
        await c.close_async()
        print(json.dumps(starts))

    asyncio.run(main(sys.argv[1]))
    """
)


def test_cluster_limiter_spaces_starts_across_two_processes(postgres_url: str) -> None:
    ensure_queue_schema(postgres_url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _LIMITER_PROCESS, postgres_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    starts: list[float] = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        starts.extend(json.loads(out))
    assert len(starts) == 6
    starts.sort()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # Reserved on the database's clock, one min_delay apart whichever process asked.
    assert min(gaps) >= 0.2 - 1e-6, gaps


def test_queue_snapshot_and_status_lines(
    postgres_url: str, loopback: LoopbackServer, make_services: Callable[..., Any]
) -> None:
    assert queue_snapshot(postgres_url, stalled_after=30) is None
    assert format_cluster(None) == [
        "cluster      no job queue in this database (no worker ever ran)"
    ]
    services = make_services(
        [{"name": f"s{i}", "url": feed(loopback, f"/f{i}", 1)} for i in range(2)]
    )
    runtime = WorkerRuntime(services=services, settings=ClusterSettings())

    async def go() -> None:
        async with opened_app(postgres_url, runtime.settings) as app:
            await schedule_checks(app, runtime)
            stale = await app.job_manager.register_worker()
            await app.job_manager.fetch_job(queues=None, worker_id=stale)
            await app.job_manager.register_worker()
            rows(
                postgres_url,
                "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"
                " WHERE id = %s",
                (stale,),
            )

    asyncio.run(go())
    snapshot = queue_snapshot(postgres_url, stalled_after=30)
    assert snapshot is not None
    assert (snapshot.workers, snapshot.stalled_workers, snapshot.stalled_jobs) == (1, 1, 1)
    assert snapshot.queued_by_task == {CHECK: 1}
    assert format_cluster(snapshot) == [
        "workers      1 alive, 1 stalled",
        "queue        1 waiting (1 check_source), 1 running, 0 failed",
        "stalled jobs 1",
    ]
    # The same figures as /metrics gauges, read at scrape time.
    registry = CollectorRegistry()
    register_cluster_metrics(registry, postgres_url, ClusterSettings())
    text = generate_latest(registry).decode()
    for line in (
        'ingest_cluster_workers{state="alive"} 1.0',
        'ingest_cluster_workers{state="stalled"} 1.0',
        'ingest_cluster_jobs{status="todo"} 1.0',
        'ingest_cluster_jobs{status="doing"} 1.0',
        'ingest_cluster_jobs{status="failed"} 0.0',
        f'ingest_cluster_queue_depth{{task="{CHECK}"}} 1.0',
        "ingest_cluster_stalled_jobs 1.0",
    ):
        assert line in text.splitlines(), (line, text)


def test_cluster_settings_refuse_a_tick_cron_cannot_express() -> None:
    assert ClusterSettings(tick=5).cron == "* * * * * */5"
    assert ClusterSettings(tick=120).cron == "*/2 * * * *"
    for bad in (0, 7, 90):
        with pytest.raises(InvalidSetting, match="must divide 60") as caught:
            ClusterSettings(tick=bad)
        assert caught.value.name == "tick"
    with pytest.raises(InvalidSetting, match="twice heartbeat") as caught:
        ClusterSettings(heartbeat=10, stalled_timeout=15)
    assert caught.value.name == "stalled_timeout"
    # Read from a file, the error names the file and the key.
    with pytest.raises(ConfigError) as refused:
        parse_config({"cluster": {"tick": 7}}, file="c.toml", environ={})
    assert "cluster.tick" in str(refused.value) and "c.toml" in str(refused.value)


def test_status_shows_the_cluster_only_in_cluster_mode(tmp_path: Any, postgres_url: str) -> None:
    from click.testing import CliRunner

    from ingest.cli import main
    from ingest.store import Store

    Store(tmp_path / "ingest.db").close()
    plain = tmp_path / "plain.toml"
    plain.write_text(f'[store]\npath = "{(tmp_path / "ingest.db").as_posix()}"\n', encoding="utf-8")
    clustered = tmp_path / "cluster.toml"
    clustered.write_text(
        plain.read_text() + f'[cluster]\nurl = "{postgres_url}"\n', encoding="utf-8"
    )
    env = {"INGEST_DATABASE_URL": "", "INGEST_CONFIG": "", "INGEST_DB": ""}
    before = CliRunner().invoke(main, ["--config", str(plain), "status"], env=env)
    assert before.exit_code == 0, before.output
    starts = {line.split(" ", 1)[0] for line in before.output.splitlines()}
    assert not starts & {"workers", "queue", "stalled", "cluster"}, before.output
    ensure_queue_schema(postgres_url)
    after = CliRunner().invoke(main, ["--config", str(clustered), "status"], env=env)
    assert after.exit_code == 0, after.output
    assert "workers      0 alive" in after.output
    assert "queue        0 waiting, 0 running, 0 failed" in after.output
    assert after.output.startswith(before.output)
