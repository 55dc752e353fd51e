"""The ops endpoint, status and report over a database filled by a real poll of the demo site."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import httpx
from test_ops_server import samples

from ingest.daemon import run_pass
from ingest.fetch.client import Fetcher
from ingest.models import utcnow
from ingest.ops.prometheus import PrometheusMetrics
from ingest.ops.report import build_report
from ingest.ops.server import OpsServer
from ingest.ops.settings import ServerSettings
from ingest.ops.status import format_status, gather_status
from ingest_demo.loopback import LoopbackServer
from ingest_demo.site import serve_demo_site


@dataclass
class Watched:
    last_tick: datetime | None = None
    last_success: datetime | None = None  # left None: the store's value must be used
    tick_running: bool = False


def test_poll_then_scrape_health_status_and_report(
    loopback: LoopbackServer, make_services: Any
) -> None:
    """After a real poll, the gauges, /healthz, status and report all reflect the database."""
    feeds = serve_demo_site(loopback)
    services = make_services([{"name": n, "url": u} for n, u in feeds.items()])
    daemon = Watched()

    counters = PrometheusMetrics()

    async def go() -> tuple[httpx.Response, httpx.Response]:
        # The pipeline's own Metrics object feeds the server's counters, as in the daemon.
        fresh = replace(services, fetcher=Fetcher(services.config.http), metrics=counters)
        server = OpsServer(
            ServerSettings(listen="127.0.0.1:0"), store=services.store,
            metrics=counters, daemon=daemon, tick_seconds=30,
        )  # fmt: skip
        async with server, httpx.AsyncClient(base_url=server.url) as client:
            daemon.last_tick = utcnow()
            try:
                results = await run_pass(fresh, only_due=False)
            finally:
                await fresh.fetcher.aclose()
            assert {r.outcome for r in results} == {"ok"}
            return await client.get("/metrics"), await client.get("/healthz")

    metrics, health = asyncio.run(go())
    got = samples(metrics.text)
    assert got[("ingest_sources", (("state", "ok"),))] == len(feeds)
    assert got[("ingest_sources", (("state", "new"),))] == 0
    assert ("ingest_last_success_timestamp_seconds", ()) in got
    assert got[("ingest_polls_total", (("outcome", "ok"),))] == len(feeds)
    assert got[("ingest_articles_total", (("decision", "new"),))] == 3
    assert got[("ingest_articles_total", (("decision", "duplicate"),))] == 1
    assert got[("ingest_entries_rejected_total", (("reason", "topic"),))] == 1
    assert got[("ingest_figures_extracted_total", ())] > 10
    assert got[("ingest_findings_total", (("kind", "new"),))] > 0
    assert health.status_code == 200
    assert health.json()["checks"]["last_poll"]["last_success"] is not None

    text = "\n".join(format_status(gather_status(services.store, utcnow())))
    assert f"sources      {len(feeds)}: {len(feeds)} ok" in text

    html = build_report(services.store, metric=None, generated=utcnow())
    assert "<svg" in html and "<table>" in html
