"""``ingest worker``: one member of the cluster, running jobs until SIGTERM or SIGINT.

Start-up: the queue schema is applied (once, under an advisory lock), the services are built as
for ``ingest run`` but with the cluster-wide per-host limiter, then procrastinate's worker runs
the jobs of :mod:`ingest.cluster.tasks`. SIGTERM and SIGINT stop fetching new jobs, give the
running ones ``[schedule] stop_grace`` to finish, then cut them (a cut check leaves what it did
not reach due, as in ``ingest run``) and exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from ingest.cluster.limiter import ClusterLimiter
from ingest.cluster.settings import ClusterSettings
from ingest.cluster.tasks import CONTEXT_KEY, WorkerRuntime, build_app
from ingest.config import Config
from ingest.daemon import build_services, close_services
from ingest.errors import ClusterError
from ingest.fetch.client import Fetcher
from ingest.fetch.guard import peer_check_for
from ingest.models import utcnow
from ingest.ops.logging import LIFECYCLE_LOGGER
from ingest.pipeline import Services
from ingest.schedule.leases import owner_id
from ingest.store.cluster import HostPaceQueries, ensure_queue_schema
from ingest.store.interfaces import StoreBackend

log = logging.getLogger("ingest.cluster")
lifecycle = logging.getLogger(LIFECYCLE_LOGGER)


class WorkerPulse:
    """This worker as /healthz sees it: ``last_tick`` is its last round trip to the queue."""

    def __init__(self) -> None:
        self.last_tick: datetime | None = None
        self.last_success: datetime | None = None
        self.tick_running = False


async def cluster_services(
    config: Config,
    store: StoreBackend,
    queries: HostPaceQueries,
    *,
    hold: float,
    clock: Callable[[], datetime] = utcnow,
) -> Services:
    """The services of ``ingest run``, with the fetcher's per-host limits held cluster-wide."""
    from dataclasses import replace

    base = build_services(config, store, clock=clock)
    http = config.http
    limiter = ClusterLimiter(
        queries, concurrency=http.per_host_concurrency, min_delay=http.per_host_min_delay,
        hold=hold,
    )  # fmt: skip
    fetcher = Fetcher(http, now=clock, peer_check=peer_check_for(http), limiter=limiter)
    # build_services made a fetcher with the per-process limiter; nothing used it yet.
    await base.fetcher.aclose()
    return replace(base, fetcher=fetcher)


async def run_worker(
    config: Config, store: StoreBackend, url: str, settings: ClusterSettings
) -> None:
    """Run one worker until SIGTERM or SIGINT (see module docstring)."""
    from procrastinate import PsycopgConnector

    from ingest.cluster.metrics import register_cluster_metrics
    from ingest.ops.server import start_ops_server
    from ingest.ops.settings import server_settings

    if not store.path.startswith(("postgresql://", "postgres://")):
        log.warning(
            "the store is the SQLite file %s: workers on other hosts cannot share it "
            "(set [store] url or $INGEST_DATABASE_URL to the PostgreSQL database)",
            store.path,
        )
    if await asyncio.to_thread(ensure_queue_schema, url):
        lifecycle.info("created the job queue's tables")
    # Jobs, the listener, heartbeats and the limiter's queries share one pool.
    connector = PsycopgConnector(conninfo=url, min_size=2, max_size=settings.concurrency * 2 + 4)
    app = build_app(connector, settings)
    name = owner_id()
    pulse = WorkerPulse()
    try:
        async with app.open_async():
            services = await cluster_services(
                config, store, HostPaceQueries(connector), hold=settings.stalled_timeout
            )
            runtime = WorkerRuntime(services=services, settings=settings)
            ops = await start_ops_server(
                server_settings(config), store=store, metrics=services.metrics, daemon=pulse,
                tick_seconds=settings.tick, clock=services.clock,
            )  # fmt: skip
            if ops is not None:
                register_cluster_metrics(ops.registry, url, settings)
            beat = asyncio.create_task(_pulse(app.check_connection_async, pulse, settings.tick))
            lifecycle.info(
                "ingest worker %s running: %d jobs at once, tick every %ds, queue %s; "
                "SIGTERM or Ctrl-C stops",
                name, settings.concurrency, settings.tick, _redact(url),
            )  # fmt: skip
            try:
                await app.run_worker_async(
                    name=name,
                    concurrency=settings.concurrency,
                    shutdown_graceful_timeout=config.schedule.stop_grace,
                    update_heartbeat_interval=settings.heartbeat,
                    stalled_worker_timeout=settings.stalled_timeout,
                    fetch_job_polling_interval=min(float(settings.tick), 5.0),
                    abort_job_polling_interval=5.0,
                    additional_context={CONTEXT_KEY: runtime},
                    install_signal_handlers=True,
                    listen_notify=True,
                )
            finally:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat
                if ops is not None:
                    await ops.aclose()
                await close_services(services)
    except OSError as exc:
        raise ClusterError(f"the queue database failed: {exc}") from exc
    lifecycle.info("ingest worker %s stopped", name)


async def _pulse(check: Callable[[], object], pulse: WorkerPulse, every: float) -> None:
    while True:
        try:
            result = check()
            if asyncio.iscoroutine(result) and await result:
                pulse.last_tick = utcnow()
        except Exception as exc:  # the queue is down: /healthz shows it by a stale tick
            log.warning("queue database unreachable: %s", exc)
        await asyncio.sleep(every)


def _redact(url: str) -> str:
    from ingest.secrets import Redactor

    return Redactor().redact(url)
