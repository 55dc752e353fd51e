"""The cluster's figures: lines for ``ingest status`` and gauges for ``/metrics``.

Read from procrastinate's tables at the moment they are asked for (the queue is the truth:
it sees every worker). Only shown in cluster mode; a SQLite-only install never imports this.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from ingest.cluster.settings import ClusterSettings
from ingest.store.cluster import QueueSnapshot, queue_snapshot

JOB_STATUSES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborted")


def format_cluster(snapshot: QueueSnapshot | None) -> list[str]:
    """The cluster block of ``ingest status`` (pure)."""
    if snapshot is None:
        return ["cluster      no job queue in this database (no worker ever ran)"]
    s = snapshot
    waiting = s.jobs.get("todo", 0)
    by_task = ", ".join(
        f"{n} {task.removeprefix('ingest.')}" for task, n in sorted(s.queued_by_task.items())
    )
    return [
        f"workers      {s.workers} alive" + (f", {s.stalled_workers} stalled" if s.stalled_workers
                                             else ""),
        f"queue        {waiting} waiting" + (f" ({by_task})" if by_task else "")
        + f", {s.jobs.get('doing', 0)} running, {s.jobs.get('failed', 0)} failed",
        f"stalled jobs {s.stalled_jobs}",
    ]  # fmt: skip


class ClusterCollector(Collector):
    """``ingest_cluster_*`` gauges, read from the queue at scrape time."""

    def __init__(self, url: str, settings: ClusterSettings) -> None:
        self.url = url
        self.settings = settings

    def describe(self) -> list[Metric]:
        return []  # nothing up front: registering must not query

    def collect(self) -> Iterator[Metric]:
        snapshot = queue_snapshot(self.url, stalled_after=self.settings.stalled_timeout)
        if snapshot is None:
            return
        workers = GaugeMetricFamily(
            "ingest_cluster_workers", "Workers registered in the queue, by heartbeat.",
            labels=["state"],
        )  # fmt: skip
        workers.add_metric(["alive"], snapshot.workers)
        workers.add_metric(["stalled"], snapshot.stalled_workers)
        yield workers
        jobs = GaugeMetricFamily(
            "ingest_cluster_jobs", "Jobs in the queue by status.", labels=["status"]
        )
        for status in JOB_STATUSES:
            jobs.add_metric([status], snapshot.jobs.get(status, 0))
        yield jobs
        queued = GaugeMetricFamily(
            "ingest_cluster_queue_depth", "Jobs waiting to run, by task.", labels=["task"]
        )
        for task, count in sorted(snapshot.queued_by_task.items()):
            queued.add_metric([task], count)
        yield queued
        yield GaugeMetricFamily(
            "ingest_cluster_stalled_jobs",
            "Running jobs whose worker stopped sending heartbeats (they will run again).",
            value=snapshot.stalled_jobs,
        )


def register_cluster_metrics(
    registry: CollectorRegistry, url: str, settings: ClusterSettings
) -> None:
    registry.register(ClusterCollector(url, settings))
