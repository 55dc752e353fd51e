"""The running service: build the services once, then tick.

APScheduler only drives the tick; what is due lives in the database (``sources.next_check``),
so a restart resumes where it stopped and several daemons can share one store (each claims due
sources with a lease). Alert delivery runs as its own task beside the ticks, so a slow receiver
never holds polling. SIGTERM and SIGINT stop new work, give the work in hand ``[schedule]
stop_grace`` to finish, cut what is still running, and exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from random import Random

from ingest.alerts import DeliveryReport, alert_settings, build_senders, close_senders, deliver_due
from ingest.alerts.settings import unknown_metrics
from ingest.config import Config, stage_settings
from ingest.corpus import backfill_figures
from ingest.dedup import DedupSettings, settings_from_mapping
from ingest.errors import StoreError
from ingest.fetch.client import Fetcher
from ingest.fetch.guard import peer_check_for
from ingest.figures import CatalogueFiles, FigureSettings, load_figure_settings
from ingest.findings.settings import finding_settings
from ingest.leases import owner_id, release_dead
from ingest.models import CheckOutcome, SourceState, utcnow
from ingest.ops.logging import LIFECYCLE_LOGGER
from ingest.ops.metrics import metrics_for
from ingest.pipeline import Services, check_source, revisit_due
from ingest.store import SourceSpec
from ingest.store.interfaces import StoreBackend
from ingest.store.select import database_url, open_backend
from ingest.topic import TopicFilter, default_topic_filter

log = logging.getLogger("ingest.daemon")
# Start and stop lines: shown at the default level (ingest.ops.logging enables this logger at
# INFO) so an operator can tell a running daemon from a hung one without -v.
lifecycle = logging.getLogger(LIFECYCLE_LOGGER)

# A check is cut when its budget ([schedule] check_budget) is spent, and its lease is renewed
# when it starts, to budget + this margin (time to cancel, record the check, and clock skew
# between hosts): so no lease ends while its check runs, and no second process can claim a
# source mid-check.
LEASE_MARGIN = timedelta(minutes=5)
MAINTENANCE_EVERY = timedelta(hours=6)


def lease_for(config: Config) -> timedelta:
    """How long a claimed source is ours: longer than any check of it can run."""
    return timedelta(seconds=config.schedule.check_budget) + LEASE_MARGIN


def topic_filter_for(config: Config) -> TopicFilter:
    base = default_topic_filter()
    if config.topic.include is None and not config.topic.exclude:
        return base
    return base.with_terms(include=config.topic.include, exclude=config.topic.exclude)


def open_store(config: Config, db_path: Path, *, sync: bool = True) -> StoreBackend:
    """Open the database; with ``sync``, make its config-declared sources match the config.

    PostgreSQL when ``$INGEST_DATABASE_URL`` or ``[store] url`` names one, else the SQLite
    file ``db_path``. Only ``run`` and ``poll`` (and the demo) sync: a listing command run with
    another config must never disable the daemon's sources or add the bundled ones to another
    database.
    """
    store = open_backend(database_url(config.store.url), db_path)
    if not sync:
        return store
    changes = store.sync_sources(
        SourceSpec(
            name=s.name, url=s.url, tags=s.tags, interval=s.interval, enabled=s.enabled,
            origin="config",
        )
        for s in config.sources
    )  # fmt: skip
    for change in changes:
        log.info("sources: %s", change)
    for owner in release_dead_leases(store):
        log.warning("released the leases of %s, which is no longer running", owner)
    return store


def dedup_settings_for(config: Config) -> DedupSettings:
    """The ``[dedup]`` table, with its ranges checked (see docs/dedup.md)."""
    return settings_from_mapping(config.sections.get("dedup", {}), file=config.file)


def figure_settings_for(config: Config) -> FigureSettings:
    """The metric catalogue, entities and FX table, each file found on its own: the path in
    ``[figures] metrics_file`` / ``fx_file`` (relative to the config file's directory), else a
    ``metrics.toml`` / ``fx.toml`` next to the config file, else the bundled one."""
    chosen = stage_settings(config, "figures", CatalogueFiles)
    beside = Path(config.file).parent

    def pick(given: str, name: str) -> Path | None:
        if given:
            path = Path(given).expanduser()
            return path if path.is_absolute() else beside / path
        return beside / name if (beside / name).is_file() else None

    return load_figure_settings(
        metrics_file=pick(chosen.metrics_file, "metrics.toml"),
        fx_file=pick(chosen.fx_file, "fx.toml"),
    )


def check_alert_metrics(config: Config, figures: FigureSettings) -> None:
    """Refuse metric keys in ``[alerts]`` that the catalogue does not have (the first one)."""
    errors = unknown_metrics(config.alerts.raw, {m.key for m in figures.metrics}, file=config.file)
    if errors:
        raise errors[0]


def build_services(
    config: Config,
    store: StoreBackend,
    *,
    clock: Callable[[], datetime] = utcnow,
    rng: Random | None = None,
) -> Services:
    dedup = dedup_settings_for(config)
    store.neardup_check(dedup)
    alerts = alert_settings(config)
    figures = figure_settings_for(config)
    check_alert_metrics(config, figures)
    return Services(
        config=config,
        store=store,
        fetcher=Fetcher(config.http, now=clock, peer_check=peer_check_for(config.http)),
        topic=topic_filter_for(config),
        dedup=dedup,
        figures=figures,
        findings=finding_settings(config),
        alerts=alerts,
        senders=build_senders(alerts),
        clock=clock,
        rng=rng or Random(),
        metrics=metrics_for(config),
    )


def release_dead_leases(store: StoreBackend) -> list[str]:
    """Free the leases of processes on this host that no longer run (killed mid-check).

    Without this a daemon restarted after a crash would wait for its predecessor's leases to
    expire. Leases of other hosts are left to expire on their own.
    """
    return release_dead(store.lease_owners(), store.release_leases)


def batch_size(services: Services) -> int:
    """How many due sources one claim takes: enough to keep every parallel slot busy."""
    return max(services.config.schedule.max_parallel_sources * 8, 64)


async def run_pass(
    services: Services,
    *,
    only_due: bool,
    owner: str | None = None,
    stop: asyncio.Event | None = None,
) -> list[CheckOutcome]:
    """Check the due sources (or, with ``only_due=False``, every enabled one) once.

    A rolling pool: up to ``max_parallel_sources`` checks run at once, and due sources are
    claimed a batch at a time as the queue drains, so a slot never waits for the slowest check
    of a batch and a large backlog (start-up, the end of a network outage) is worked through in
    one pass. When ``stop`` is set, nothing new starts, the checks in flight finish, and the
    leases of claimed but unstarted sources are released.
    """
    parallel = services.config.schedule.max_parallel_sources
    owner = owner or owner_id()
    limit = batch_size(services)
    lease = lease_for(services.config)
    # While checks run, look for newly due sources this often: one slow check must not keep a
    # source that is due every few seconds waiting for the whole pass.
    reclaim_every = services.config.schedule.tick_seconds
    queue: deque[SourceState] = deque()
    running: set[asyncio.Task[CheckOutcome | None]] = set()
    active: set[int] = set()  # queued or running: a new claim returns our own leases too
    results: list[CheckOutcome] = []
    exhausted = False

    def stopping() -> bool:
        return stop is not None and stop.is_set()

    async def one(source: SourceState) -> CheckOutcome | None:
        try:
            # Renewed now, not at the claim: a source may wait in the queue behind others.
            until = services.clock() + lease
            if not services.store.renew_lease(source.id, owner=owner, until=until):
                log.info(
                    "lease taken by another process while queued", extra={"source": source.name}
                )
                return None
            result = await check_source(services, source)
            services.metrics.poll_finished(result.outcome, result.duration_ms / 1000)
            return result
        finally:
            active.discard(source.id)

    try:
        while True:
            if not exhausted and not stopping() and len(queue) < parallel:
                # A full pass (only_due=False) is claimed once, whole: its sources stay due.
                claimed = services.store.claim_due_sources(
                    services.clock(), limit=limit if only_due else 1_000_000, owner=owner,
                    lease=lease, only_due=only_due,
                )  # fmt: skip
                queue.extend(source for source in claimed if source.id not in active)
                active.update(source.id for source in claimed)
                exhausted = not only_due or len(claimed) < limit
            while queue and len(running) < parallel and not stopping():
                running.add(asyncio.create_task(one(queue.popleft())))
            if not running:
                break
            done, running = await asyncio.wait(
                running,
                timeout=reclaim_every if only_due else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            results.extend(r for task in done if (r := task.result()) is not None)
            if only_due and not done:
                exhausted = False  # the wait timed out: look for sources due since
    except BaseException:
        # A check failed in a way the per-source guard lets through (the database itself), or
        # the pass itself was cancelled (SIGTERM past the grace period): stop the other checks
        # rather than leave them running unowned (each entry is its own transaction and none
        # is open across an await, so a cancelled check leaves nothing half-written; what it
        # did not reach stays due). Their leases are this owner's: the next tick (or, after a
        # stop, the daemon's exit) frees them.
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise
    if queue:
        services.store.release_leases(owner)
    return results


async def deliver_alerts(services: Services) -> DeliveryReport:
    """One delivery attempt for every alert that is due (retries included)."""
    report = await deliver_due(services.store, services.senders, services.alerts, services.clock())
    for target in report.targets:
        for status, count in (("delivered", target.sent), ("retry", target.failed),
                              ("dead", target.dead)):  # fmt: skip
            for _ in range(count):
                services.metrics.alert_delivery(status)
    return report


async def close_services(services: Services) -> None:
    await services.fetcher.aclose()
    await close_senders(services.senders)


class Daemon:
    """``ingest run``: ticks until told to stop."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.owner = owner_id()
        self._stop = asyncio.Event()
        self._tick_lock = asyncio.Lock()
        self._tick_task: asyncio.Task[None] | None = None
        self._delivery: asyncio.Task[None] | None = None
        self.last_tick: datetime | None = None
        self.last_success: datetime | None = None
        self._last_maintenance: datetime | None = None

    async def tick(self) -> None:
        """One tick: check what is due, batch after batch, until nothing is. Never raises."""
        if self._tick_lock.locked() or self._stop.is_set():
            return
        async with self._tick_lock:
            self._tick_task = asyncio.current_task()
            self.last_tick = self.services.clock()
            # Delivery first and on its own: a receiver that answers a byte at a time holds
            # only its own task (bounded per attempt), never the checks of this tick.
            self._start_delivery()
            try:
                results = await run_pass(
                    self.services, only_due=True, owner=self.owner, stop=self._stop
                )
                if any(r.outcome != "error" for r in results):
                    self.last_success = self.services.clock()
                if not self._stop.is_set():
                    await revisit_due(self.services, limit=batch_size(self.services))
                # Articles stored without figures (before an upgrade): a few per tick.
                backfilled = backfill_figures(self.services.store, self.services.figures, limit=50)
                if backfilled:
                    log.info("extracted figures for %d articles stored without them", backfilled)
                self._maintenance()
            except StoreError as exc:
                # Locked or full database: nothing was half-written; the next tick tries again.
                log.error("tick skipped: %s", exc)
            finally:
                self._tick_task = None
            self._start_delivery()  # what this tick's findings queued goes out now

    def _start_delivery(self) -> None:
        if self._stop.is_set() or (self._delivery is not None and not self._delivery.done()):
            return
        self._delivery = asyncio.create_task(self._deliver(), name="ingest-delivery")

    async def _deliver(self) -> None:
        try:
            await deliver_alerts(self.services)
        except StoreError as exc:
            log.error("delivery pass skipped: %s", exc)

    def _maintenance(self) -> None:
        now = self.services.clock()
        if self._last_maintenance and now - self._last_maintenance < MAINTENANCE_EVERY:
            return
        self._last_maintenance = now
        days = self.services.config.store.raw_html_retention_days
        if days > 0:
            removed = self.services.store.prune_raw_pages(now - timedelta(days=days))
            if removed:
                log.info("pruned %d raw pages older than %d days", removed, days)

    @property
    def tick_running(self) -> bool:
        return self._tick_lock.locked()

    def stop(self) -> None:
        self._stop.set()

    async def _finish_in_hand(self) -> None:
        """Give the running tick and delivery ``stop_grace`` to finish, then cancel them.

        A cancelled check leaves what it did not reach due (nothing half-written: no
        transaction is open across an await); a cancelled delivery leaves its alerts due.
        Their leases are released, so a restart takes them at once.
        """
        grace = self.services.config.schedule.stop_grace
        tasks = {t for t in (self._tick_task, self._delivery) if t is not None and not t.done()}
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            if late:
                log.warning("stopping: cutting work still running after %gs", grace)
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
        try:
            self.services.store.release_leases(self.owner)
            self.services.store.release_alert_leases(self.owner)
        except StoreError as exc:
            log.error("could not release leases: %s (they expire on their own)", exc)

    async def run(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        from ingest.ops.server import start_ops_server
        from ingest.ops.settings import server_settings

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        scheduler = AsyncIOScheduler(event_loop=loop, timezone="UTC")
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.services.config.schedule.tick_seconds,
            next_run_time=utcnow(),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            id="tick",
        )
        ops = await start_ops_server(
            server_settings(self.services.config), store=self.services.store,
            metrics=self.services.metrics, daemon=self,
            tick_seconds=self.services.config.schedule.tick_seconds, clock=self.services.clock,
        )  # fmt: skip
        scheduler.start()
        sources = self.services.store.list_sources()
        lifecycle.info(
            "ingest running: %d sources (%d enabled), tick every %gs, database %s, %s; "
            "SIGTERM or Ctrl-C stops",
            len(sources),
            sum(s.enabled for s in sources),
            self.services.config.schedule.tick_seconds,
            self.services.store.path,
            f"health at {ops.url}/healthz" if ops is not None else "no /healthz ([server] listen)",
        )
        try:
            await self._stop.wait()
        finally:
            lifecycle.info("stopping: finishing the work in hand")
            # Pause first so no new tick starts, then let the running one finish its checks
            # in flight (it starts nothing new once _stop is set) within the grace period,
            # and only then shut the scheduler down: APScheduler's asyncio executor cancels
            # jobs still running.
            scheduler.pause()
            await self._finish_in_hand()
            scheduler.shutdown(wait=False)
            if ops is not None:
                await ops.aclose()
            await self.services.fetcher.aclose()
            await close_senders(self.services.senders)
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        lifecycle.info("ingest stopped")
