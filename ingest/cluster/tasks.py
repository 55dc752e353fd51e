"""The cluster's jobs, as procrastinate tasks (see docs/cluster.md for what each one does).

Periodic (every ``[cluster] tick``; procrastinate defers each tick once for the whole cluster):

* ``ingest.schedule_checks`` claims the due sources through the store's lease (owner
  :data:`CLUSTER_OWNER`) and defers one ``ingest.check_source`` per source;
* ``ingest.schedule_deliveries`` defers one ``ingest.deliver_alerts`` per enabled target with
  deliveries due;
* ``ingest.revisit_pages`` fetches stored pages again (one at a time cluster-wide);
* ``ingest.recover_stalled`` puts back the jobs of workers whose heartbeat stopped.

Hourly: ``ingest.maintenance`` (old raw pages and finished jobs).

A source's job carries ``lock=source:{id}`` (never two checks of it at once, anywhere) and
``queueing_lock=source:{id}`` (never two waiting); a target's, ``target:{name}``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from procrastinate import App, JobContext
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException, UniqueViolation
from procrastinate.jobs import Status

from ingest.alerts import deliver_due
from ingest.cluster.settings import CLUSTER_OWNER, ClusterSettings
from ingest.daemon import batch_size, lease_for
from ingest.dedup.corpus import backfill_figures
from ingest.pipeline import Services, check_source, revisit_due
from ingest.schedule.leases import owner_id
from ingest.store.cluster import check_queue

log = logging.getLogger("ingest.cluster")

CHECK = "ingest.check_source"
DELIVER = "ingest.deliver_alerts"
CONTEXT_KEY = "ingest"
# Checks one job slot does per second when feeds answer quickly (a 304 in about 100 ms): how
# many sources a tick claims per live slot and second of the tick. Claiming more than the
# workers start before the next tick costs nothing but a longer queue; fewer leaves them idle.
CHECKS_PER_SLOT_SECOND = 10
# One tick's claim and defer in one statement each: bounded, so a huge backlog of due sources
# is taken in steps rather than in one transaction.
MAX_DEFERRED_PER_TICK = 5000


@dataclass(frozen=True, slots=True)
class WorkerRuntime:
    """What every job of this worker process uses, handed to jobs in their context."""

    services: Services
    settings: ClusterSettings


def runtime_of(context: JobContext) -> WorkerRuntime:
    runtime = context.additional_context[CONTEXT_KEY]
    assert isinstance(runtime, WorkerRuntime)
    return runtime


async def schedule_checks(app: App, runtime: WorkerRuntime) -> int:
    """Claim the due sources for the cluster and defer one check per source; how many new.

    How many: enough to keep every live worker's slots busy until the next tick, at
    :data:`CHECKS_PER_SLOT_SECOND` (a quick check), less the checks already waiting, never more
    than :data:`MAX_DEFERRED_PER_TICK`; and at least what one ``ingest run`` pass claims.

    The claim returns the cluster's own leases too (renewing them), so a source whose job
    vanished (its scheduling job was killed between claim and defer, or the job failed with an
    error) is queued again at the next tick. Sources with a check job waiting or running are
    skipped: that job does the check (or its retry, if its worker dies). The rest are deferred
    in one statement; if one of them got a job meanwhile (the queueing lock refuses the whole
    batch), one by one.
    """
    services, settings = runtime.services, runtime.settings
    queue = await check_queue(app.connector, CHECK, stalled_after=settings.stalled_timeout)
    slots = max(queue.live_workers, 1) * settings.concurrency
    want = slots * settings.tick * CHECKS_PER_SLOT_SECOND - len(queue.waiting)
    room = min(max(want, batch_size(services) * 4), MAX_DEFERRED_PER_TICK)
    claimed = services.store.claim_due_sources(
        services.clock(), limit=len(queue.queued) + room, owner=CLUSTER_OWNER,
        lease=lease_for(services.config),
    )  # fmt: skip
    fresh = [s.id for s in claimed if s.id not in queue.queued][:room]
    if not fresh:
        return 0
    jobs = [
        app.configure_task(CHECK, lock=f"source:{sid}", queueing_lock=f"source:{sid}")
        .make_new_job(source_id=sid)
        for sid in fresh
    ]  # fmt: skip
    try:
        await app.job_manager.batch_defer_jobs_async(jobs)
        return len(jobs)
    except AlreadyEnqueued:
        pass
    deferred = 0
    for job in jobs:
        try:
            await app.job_manager.defer_job_async(job)
            deferred += 1
        except AlreadyEnqueued:
            pass  # one is waiting already: it checks the source
    return deferred


async def run_check(runtime: WorkerRuntime, source_id: int) -> str:
    """One check of one source, if it is still the cluster's to check; the outcome."""
    services = runtime.services
    source = services.store.get_source(source_id)
    if source is None or not source.enabled:
        return "gone"
    until = services.clock() + lease_for(services.config)
    # The claim's lease is the cluster's until the check records its result: a job that runs
    # after the check was recorded (a retry, a second job queued meanwhile) finds it released
    # and does nothing, so a source is checked once per interval however often its job runs.
    if not services.store.renew_lease(source_id, owner=CLUSTER_OWNER, until=until):
        return "not claimed"
    result = await check_source(services, source)
    services.metrics.poll_finished(result.outcome, result.duration_ms / 1000)
    return result.outcome


async def schedule_deliveries(app: App, runtime: WorkerRuntime) -> int:
    """Defer one delivery job per enabled target with due work (none for an idle target, so
    a quiet cluster queues nothing each tick); how many were deferred."""
    services = runtime.services
    disabled = services.store.disabled_targets()
    enabled = [name for name in services.senders if name not in disabled]
    deferred = 0
    for name in sorted(services.store.targets_due(enabled, now=services.clock())):
        lock = f"target:{name}"
        try:
            await app.configure_task(DELIVER, lock=lock, queueing_lock=lock).defer_async(
                target=name
            )
            deferred += 1
        except AlreadyEnqueued:
            pass
    return deferred


async def run_delivery(runtime: WorkerRuntime, target: str) -> str:
    """One delivery attempt for the due alerts of one target (its Retry-After is honoured by
    the outbox: ``not_before`` is stored, so every worker holds the target's queue)."""
    services = runtime.services
    sender = services.senders.get(target)
    if sender is None:
        return "unknown target"
    report = await deliver_due(
        services.store, {target: sender}, services.alerts, services.clock(), owner=owner_id()
    )
    for t in report.targets:
        for status, count in (("delivered", t.sent), ("retry", t.failed), ("dead", t.dead)):
            for _ in range(count):
                services.metrics.alert_delivery(status)
    return f"{report.sent} sent, {report.failed} failed"


async def run_revisits(runtime: WorkerRuntime) -> str:
    services = runtime.services
    decisions = await revisit_due(services, limit=batch_size(services))
    backfilled = backfill_figures(services.store, services.figures, limit=50)
    return f"{len(decisions)} revisited, {backfilled} backfilled"


async def recover_stalled(app: App, runtime: WorkerRuntime) -> int:
    """Put the jobs of stalled workers (heartbeat older than the timeout) back in the queue.

    A job whose queueing lock is taken meanwhile (a newer copy waits already) is closed as
    failed instead: the waiting copy does its work.
    """
    manager = app.job_manager
    stalled = await manager.get_stalled_jobs(
        seconds_since_heartbeat=runtime.settings.stalled_timeout
    )
    retried = 0
    for job in stalled:
        try:
            await manager.retry_job(job)
            retried += 1
            log.warning("job %s of a stalled worker queued again", job.call_string)
        except UniqueViolation:
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)
            log.warning("job %s of a stalled worker closed: a newer copy waits", job.call_string)
        except ConnectorException as exc:  # another worker's recovery got there first
            log.info("stalled job %s already taken care of: %s", job.id, exc)
    return retried


async def maintenance(app: App, runtime: WorkerRuntime) -> str:
    services = runtime.services
    days = services.config.store.raw_html_retention_days
    pruned = 0
    if days > 0:
        pruned = services.store.prune_raw_pages(services.clock() - timedelta(days=days))
    await app.job_manager.delete_old_jobs(nb_hours=runtime.settings.keep_jobs_hours)
    return f"{pruned} raw pages pruned"


def register_tasks(app: App, settings: ClusterSettings) -> None:
    """Declare every job on ``app``, the periodic ones on the ``[cluster] tick``."""
    cron = settings.cron

    @app.periodic(cron=cron, periodic_id="tick", queueing_lock="schedule_checks")
    @app.task(name="ingest.schedule_checks", pass_context=True, lock="schedule_checks")
    async def _schedule_checks(context: JobContext, timestamp: int) -> int:
        return await schedule_checks(context.app, runtime_of(context))

    @app.task(name=CHECK, pass_context=True)
    async def _check_source(context: JobContext, source_id: int) -> str:
        return await run_check(runtime_of(context), source_id)

    @app.periodic(cron=cron, periodic_id="tick", queueing_lock="schedule_deliveries")
    @app.task(name="ingest.schedule_deliveries", pass_context=True)
    async def _schedule_deliveries(context: JobContext, timestamp: int) -> int:
        return await schedule_deliveries(context.app, runtime_of(context))

    @app.task(name=DELIVER, pass_context=True)
    async def _deliver_alerts(context: JobContext, target: str) -> str:
        return await run_delivery(runtime_of(context), target)

    @app.periodic(cron=cron, periodic_id="tick", queueing_lock="revisit_pages")
    @app.task(name="ingest.revisit_pages", pass_context=True, lock="revisit_pages")
    async def _revisit_pages(context: JobContext, timestamp: int) -> str:
        return await run_revisits(runtime_of(context))

    # No lock: a lock held by a dead worker's recovery job would block every later one.
    @app.periodic(cron=cron, periodic_id="tick", queueing_lock="recover_stalled")
    @app.task(name="ingest.recover_stalled", pass_context=True)
    async def _recover_stalled(context: JobContext, timestamp: int) -> int:
        return await recover_stalled(context.app, runtime_of(context))

    @app.periodic(cron="17 * * * *", periodic_id="hourly", queueing_lock="maintenance")
    @app.task(name="ingest.maintenance", pass_context=True, lock="maintenance")
    async def _maintenance(context: JobContext, timestamp: int) -> str:
        return await maintenance(context.app, runtime_of(context))


def build_app(connector: Any, settings: ClusterSettings) -> App:
    app = App(connector=connector)
    register_tasks(app, settings)
    return app
