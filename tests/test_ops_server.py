"""The ops endpoint over real HTTP on 127.0.0.1: /healthz verdicts and /metrics content."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.errors import ServerError
from ingest.ops.metrics import NULL_METRICS, Metrics
from ingest.ops.prometheus import PrometheusMetrics
from ingest.ops.server import OpsServer, start_ops_server
from ingest.ops.settings import ServerSettings
from ingest.store import SourceSpec, Store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeDaemon:
    last_tick: datetime | None = None
    last_success: datetime | None = None
    tick_running: bool = False


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store(tmp_path / "ops.db")
    s.add_source(SourceSpec(name="a", url="http://127.0.0.1:1/a.xml"))
    s.add_source(SourceSpec(name="b", url="http://127.0.0.1:1/b.xml"))
    yield s
    s.close()


def serve(
    store: Store,
    daemon: FakeDaemon,
    body: Callable[[OpsServer, httpx.AsyncClient], Awaitable[Any]],
    *,
    metrics: Metrics = NULL_METRICS,
    clock: Clock | None = None,
    max_poll_age: float = 0.0,
    probe_timeout_s: float = 2.0,
) -> Any:
    """Run an OpsServer on a free port, call ``body`` with a client, close both."""

    async def go() -> Any:
        server = OpsServer(
            ServerSettings(listen="127.0.0.1:0", max_poll_age=max_poll_age),
            store=store, metrics=metrics, daemon=daemon, tick_seconds=30,
            clock=clock or Clock(T0), probe_timeout_s=probe_timeout_s,
        )  # fmt: skip
        async with server, httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            return await body(server, client)

    return asyncio.run(go())


def get(path: str, **headers: str) -> Callable[[OpsServer, httpx.AsyncClient], Awaitable[Any]]:
    async def body(_server: OpsServer, client: httpx.AsyncClient) -> httpx.Response:
        return await client.get(path, headers=headers)

    return body


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Prometheus text parsed into {(sample name, sorted labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_healthz_ok_when_ticking_and_writable(store: Store) -> None:
    """A recent tick and a writable database give 200 and a JSON body naming each check."""
    daemon = FakeDaemon(last_tick=T0 - timedelta(seconds=10), last_success=T0 - timedelta(hours=1))
    r = serve(store, daemon, get("/healthz"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"alive", "database", "scheduler", "last_poll"}
    assert body["checks"]["last_poll"]["age_seconds"] == 3600.0
    assert body["checks"]["last_poll"]["enabled_sources"] == 2


def test_healthz_503_when_scheduler_stopped(store: Store) -> None:
    """A last tick far older than three intervals is a stopped scheduler: 503."""
    daemon = FakeDaemon(last_tick=T0 - timedelta(hours=1))
    r = serve(store, daemon, get("/healthz"))
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "failing"
    assert body["checks"]["scheduler"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_healthz_long_tick_in_progress_is_healthy(store: Store) -> None:
    """A tick that started long ago but is still running is busy, not stopped."""
    daemon = FakeDaemon(last_tick=T0 - timedelta(hours=1), tick_running=True)
    assert serve(store, daemon, get("/healthz")).status_code == 200


def test_healthz_503_when_database_locked(store: Store) -> None:
    """Another process holding the write lock makes the database check fail with the reason."""
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        daemon = FakeDaemon(last_tick=T0)
        r = serve(store, daemon, get("/healthz"), probe_timeout_s=0.1)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert r.status_code == 503
    check = r.json()["checks"]["database"]
    assert check["ok"] is False
    assert "locked" in check["error"]


def test_healthz_poll_age_judged_only_when_configured(store: Store) -> None:
    """With max_poll_age set, no success for longer than that is 503; unset, it is reported."""
    daemon = FakeDaemon(last_tick=T0, last_success=T0 - timedelta(hours=7))
    assert serve(store, daemon, get("/healthz")).status_code == 200
    r = serve(store, daemon, get("/healthz"), max_poll_age=6 * 3600)
    assert r.status_code == 503
    assert r.json()["checks"]["last_poll"]["ok"] is False


def test_metrics_counters_and_store_gauges(store: Store) -> None:
    """/metrics serves the pipeline's counters and the store's gauges in Prometheus text."""
    metrics = PrometheusMetrics()
    metrics.poll_finished("ok", 0.2)
    metrics.poll_finished("ok", 0.3)
    metrics.poll_finished("error", 5.0)
    metrics.fetch_finished("feed", 0.05)
    metrics.article_stored("new")
    metrics.figures_extracted(7)
    metrics.finding_recorded("changed")
    metrics.alert_delivery("delivered")
    daemon = FakeDaemon(last_tick=T0, last_success=T0)
    r = serve(store, daemon, get("/metrics"), metrics=metrics)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=")
    got = samples(r.text)
    assert got[("ingest_polls_total", (("outcome", "ok"),))] == 2
    assert got[("ingest_polls_total", (("outcome", "error"),))] == 1
    assert got[("ingest_polls_total", (("outcome", "not_modified"),))] == 0
    assert got[("ingest_poll_duration_seconds_count", ())] == 3
    assert got[("ingest_fetch_duration_seconds_count", (("kind", "feed"),))] == 1
    assert got[("ingest_articles_total", (("decision", "new"),))] == 1
    assert got[("ingest_figures_extracted_total", ())] == 7
    assert got[("ingest_findings_total", (("kind", "changed"),))] == 1
    assert got[("ingest_alert_deliveries_total", (("status", "delivered"),))] == 1
    assert got[("ingest_sources", (("state", "new"),))] == 2
    assert got[("ingest_sources_failing", ())] == 0
    assert got[("ingest_last_tick_timestamp_seconds", ())] == T0.timestamp()
    assert got[("ingest_last_success_timestamp_seconds", ())] == T0.timestamp()


def test_metrics_openmetrics_on_request(store: Store) -> None:
    """A scraper asking for OpenMetrics gets it (with its # EOF terminator)."""
    accept = "application/openmetrics-text; version=1.0.0"
    r = serve(store, FakeDaemon(), get("/metrics", accept=accept), metrics=PrometheusMetrics())
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    assert r.text.rstrip().endswith("# EOF")


def test_metrics_without_prometheus_metrics_still_serves_gauges(store: Store) -> None:
    """With the no-op Metrics the endpoint still serves the store's gauges."""
    r = serve(store, FakeDaemon(), get("/metrics"))
    got = samples(r.text)
    assert got[("ingest_sources", (("state", "new"),))] == 2
    assert not any(name.startswith("ingest_polls") for name, _ in got)


def test_outbox_gauges_when_the_store_has_an_outbox(store: Store) -> None:
    """With the alert tables, pending deliveries are the outbox depth, and each status counted."""
    from ingest.store.alerts import create_alert_tables

    create_alert_tables(store.conn)
    got = samples(serve(store, FakeDaemon(), get("/metrics")).text)
    assert got[("ingest_alert_outbox_depth", ())] == 0
    store.conn.execute(
        "INSERT INTO alerts (id, uid, kind, finding, created_at)"
        " VALUES (1, 'u', 'new', '{}', '2025-03-01T00:00:00+00:00')"
    )
    for i, status in enumerate(("pending", "pending", "pending", "dead")):
        store.conn.execute(
            "INSERT INTO alert_deliveries (alert_id, target, status, next_attempt, horizon_from)"
            " VALUES (1, ?, ?, '2025-03-01', '2025-03-01')",
            (f"t{i}", status),
        )
    got = samples(serve(store, FakeDaemon(), get("/metrics")).text)
    assert got[("ingest_alert_outbox_depth", ())] == 3
    assert got[("ingest_alert_outbox_deliveries", (("status", "dead"),))] == 1


def test_no_outbox_gauge_without_alert_tables(store: Store) -> None:
    """A database without the outbox has no outbox gauge (rather than a false zero)."""
    store.conn.execute("DROP TABLE IF EXISTS alert_deliveries")
    got = samples(serve(store, FakeDaemon(), get("/metrics")).text)
    assert not any(name.startswith("ingest_alert") for name, _ in got)


def test_other_paths_and_methods(store: Store) -> None:
    """Unknown paths are 404, other methods 405, HEAD has headers but no body."""

    async def body(_s: OpsServer, client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.get("/nope"),
            await client.post("/healthz"),
            await client.head("/metrics"),
            await client.get("/healthz?verbose=1"),
        ]

    nope, post, head, query = serve(store, FakeDaemon(last_tick=T0), body)
    assert nope.status_code == 404
    assert post.status_code == 405
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 0
    assert query.status_code == 200


def raw_exchange(server: OpsServer, payload: bytes) -> Awaitable[bytes]:
    async def go() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(payload)
        await writer.drain()
        data = await reader.read()
        writer.close()
        await writer.wait_closed()
        return data

    return go()


def test_malformed_and_oversized_requests(store: Store) -> None:
    """Garbage gets 400, a huge head 431, and the server keeps serving afterwards."""

    async def body(server: OpsServer, client: httpx.AsyncClient) -> tuple[bytes, bytes, int]:
        bad = await raw_exchange(server, b"HELLO\r\n\r\n")
        big = await raw_exchange(server, b"GET / HTTP/1.1\r\nX: " + b"a" * 40_000 + b"\r\n\r\n")
        after = await client.get("/healthz")
        return bad, big, after.status_code

    bad, big, after = serve(store, FakeDaemon(last_tick=T0), body)
    assert bad.startswith(b"HTTP/1.1 400 ")
    assert big.startswith(b"HTTP/1.1 431 ")
    assert after == 200


def test_disabled_settings_bind_nothing(store: Store) -> None:
    """Without [server] listen, start_ops_server starts nothing."""

    async def go() -> object:
        return await start_ops_server(
            ServerSettings(), store=store, metrics=NULL_METRICS, daemon=FakeDaemon(),
            tick_seconds=30,
        )  # fmt: skip

    assert asyncio.run(go()) is None


def test_address_in_use_is_a_server_error(store: Store) -> None:
    """A port already taken raises ServerError naming the address."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = ServerSettings(listen=f"127.0.0.1:{port}")

        async def go() -> None:
            await start_ops_server(
                settings, store=store, metrics=NULL_METRICS, daemon=FakeDaemon(), tick_seconds=30
            )

        with pytest.raises(ServerError, match=f"127.0.0.1:{port}"):
            asyncio.run(go())


def test_health_body_is_json_for_humans(store: Store) -> None:
    """The healthz body is indented JSON (read by people with curl as much as by probes)."""
    r = serve(store, FakeDaemon(last_tick=T0), get("/healthz"))
    assert r.text.startswith("{\n")
    assert json.loads(r.text)["checks"]["alive"] == {"ok": True}


def test_both_exposition_formats_parse(store: Store) -> None:
    """A real /metrics, with the outbox tables and every counter family, parses with
    prometheus_client's own parsers in both formats: Prometheus text (the default) and
    OpenMetrics (what Prometheus asks for first), which rejects two families of one name
    (the outbox gauge once clashed with the delivery counter)."""
    from prometheus_client.openmetrics.parser import (
        text_string_to_metric_families as openmetrics_families,
    )
    from prometheus_client.parser import text_string_to_metric_families as text_families

    from ingest.store.alerts import create_alert_tables

    create_alert_tables(store.conn)
    metrics = PrometheusMetrics()
    metrics.alert_delivery("delivered")
    metrics.poll_finished("ok", 0.2)
    daemon = FakeDaemon(last_tick=T0, last_success=T0)
    accept = "application/openmetrics-text; version=1.0.0; charset=utf-8"

    async def body(_s: OpsServer, client: httpx.AsyncClient) -> tuple[str, str]:
        text = await client.get("/metrics")
        open_metrics = await client.get("/metrics", headers={"accept": accept})
        assert open_metrics.headers["content-type"].startswith("application/openmetrics-text")
        return text.text, open_metrics.text

    text, open_metrics = serve(store, daemon, body, metrics=metrics)
    families = {
        "text": list(text_families(text)),
        "openmetrics": list(openmetrics_families(open_metrics)),
    }
    for name, parsed in families.items():
        names = [f.name for f in parsed]
        assert len(names) == len(set(names)), (name, names)
        by_name = {f.name: f for f in parsed}
        outbox = by_name["ingest_alert_outbox_deliveries"]
        assert outbox.type == "gauge", name
        assert {s.labels["status"] for s in outbox.samples} == {
            "pending",
            "sent",
            "dead",
            "disabled",
        }
        deliveries = by_name["ingest_alert_deliveries"]  # the counter: its samples end in _total
        assert deliveries.type == "counter", name
        delivered = [s for s in deliveries.samples if s.name == "ingest_alert_deliveries_total"]
        assert {s.labels["status"]: s.value for s in delivered}["delivered"] == 1, name


def test_last_success_is_zero_before_any_success(store: Store) -> None:
    """Before any source succeeded the last-success gauge is 0, not absent, so the documented
    rule (time() - ingest_last_success_timestamp_seconds > 6 h) fires for a daemon that never
    succeeded."""
    got = samples(serve(store, FakeDaemon(last_tick=T0), get("/metrics")).text)
    assert got[("ingest_last_success_timestamp_seconds", ())] == 0
