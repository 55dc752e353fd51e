"""The Prometheus implementation of :class:`ingest.ops.metrics.Metrics`.

Each instance has its own ``CollectorRegistry`` rather than the library's global one, so two
daemons in one process (the tests) never share or double-register series.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from ingest.ops.health import latest
from ingest.ops.metrics_api import Metrics
from ingest.store.interfaces import OpsQueries

NAMESPACE = "ingest"

# Known label values are created up front so a counter shows 0 rather than no series at all:
# rate() and alert rules over a missing series silently see nothing.
POLL_OUTCOMES = ("ok", "not_modified", "unchanged", "error", "disabled")
FETCH_KINDS = ("feed", "article")
DECISIONS = ("new", "duplicate", "revision", "unchanged")
REJECTIONS = ("topic", "empty", "failed")
FINDING_KINDS = ("new", "changed", "conflict", "revised")
DELIVERY_STATUSES = ("delivered", "retry", "dead")

# Feed and page fetches on a small server: most finish in tens of milliseconds, slow sites in
# seconds, and the client gives up at total_timeout (30 s by default).
FETCH_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class PrometheusMetrics(Metrics):
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.polls = Counter(
            "polls", "Source checks by outcome.", ["outcome"], namespace=NAMESPACE, registry=r
        )
        self.poll_seconds = Histogram(
            "poll_duration_seconds",
            "Time of one source check, from the feed request to the last stored entry.",
            namespace=NAMESPACE,
            registry=r,
            buckets=FETCH_BUCKETS,
        )
        self.fetch_seconds = Histogram(
            "fetch_duration_seconds",
            "Time of one HTTP fetch (feed or article page), failed ones included.",
            ["kind"],
            namespace=NAMESPACE,
            registry=r,
            buckets=FETCH_BUCKETS,
        )
        self.articles = Counter(
            "articles",
            "Articles saved, by dedup decision.",
            ["decision"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.rejected = Counter(
            "entries_rejected",
            "Feed entries not stored, by reason.",
            ["reason"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.figures = Counter(
            "figures_extracted",
            "Figures stored with article revisions.",
            namespace=NAMESPACE,
            registry=r,
        )
        self.findings = Counter(
            "findings", "Findings recorded, by kind.", ["kind"], namespace=NAMESPACE, registry=r
        )
        self.alerts = Counter(
            "alert_deliveries",
            "Alert delivery attempts, by result.",
            ["status"],
            namespace=NAMESPACE,
            registry=r,
        )
        for outcome in POLL_OUTCOMES:
            self.polls.labels(outcome)
        for kind in FETCH_KINDS:
            self.fetch_seconds.labels(kind)
        for decision in DECISIONS:
            self.articles.labels(decision)
        for reason in REJECTIONS:
            self.rejected.labels(reason)
        for kind in FINDING_KINDS:
            self.findings.labels(kind)
        for status in DELIVERY_STATUSES:
            self.alerts.labels(status)

    def poll_finished(self, outcome: str, duration_s: float) -> None:
        self.polls.labels(outcome).inc()
        self.poll_seconds.observe(max(duration_s, 0.0))

    def fetch_finished(self, kind: str, duration_s: float) -> None:
        self.fetch_seconds.labels(kind).observe(max(duration_s, 0.0))

    def article_stored(self, decision: str) -> None:
        self.articles.labels(decision).inc()

    def entry_rejected(self, reason: str) -> None:
        self.rejected.labels(reason).inc()

    def figures_extracted(self, count: int) -> None:
        if count > 0:
            self.figures.inc(count)

    def finding_recorded(self, kind: str) -> None:
        self.findings.labels(kind).inc()

    def alert_delivery(self, status: str) -> None:
        self.alerts.labels(status).inc()


class DaemonTimes(Protocol):
    @property
    def last_tick(self) -> datetime | None: ...

    @property
    def last_success(self) -> datetime | None: ...


class StoreCollector(Collector):
    """Gauges read from the store (and the daemon) at scrape time.

    The store is the truth for these: it survives restarts and sees the work of every daemon
    sharing the database, where counters in this process would not.
    """

    def __init__(self, store: OpsQueries, daemon: DaemonTimes) -> None:
        self.store = store
        self.daemon = daemon

    def describe(self) -> list[Metric]:
        # Nothing declared up front, so registering does not run a query.
        return []

    def collect(self) -> Iterator[Metric]:
        summary = self.store.source_summary()
        sources = GaugeMetricFamily(
            "ingest_sources", "Sources by state (new, ok, failing, disabled).", labels=["state"]
        )
        for state in ("new", "ok", "failing", "disabled"):
            sources.add_metric([state], summary.by_status.get(state, 0))
        yield sources
        yield GaugeMetricFamily(
            "ingest_sources_failing",
            "Sources whose last check failed (retried with backoff).",
            value=summary.failing,
        )
        success = latest(self.daemon.last_success, summary.last_success)
        # 0 (the epoch) until the first success rather than no series: the usual rule
        # "time() - ingest_last_success_timestamp_seconds > N" then fires for a daemon that
        # never succeeded, where a missing series would keep it silent forever.
        yield GaugeMetricFamily(
            "ingest_last_success_timestamp_seconds",
            "When a source was last polled successfully (Unix time; 0: never).",
            value=success.timestamp() if success is not None else 0.0,
        )
        if self.daemon.last_tick is not None:
            yield GaugeMetricFamily(
                "ingest_last_tick_timestamp_seconds",
                "When the scheduler last started a tick (Unix time).",
                value=self.daemon.last_tick.timestamp(),
            )
        deliveries = self.store.alert_deliveries()
        if deliveries is not None:
            yield GaugeMetricFamily(
                "ingest_alert_outbox_depth",
                "Alert deliveries waiting to be sent (first try or retrying).",
                value=deliveries.get("pending", 0),
            )
            # Not "ingest_alert_deliveries": OpenMetrics makes that one family with the counter
            # ingest_alert_deliveries_total, and parsers (and promtool) reject the clash.
            by_status = GaugeMetricFamily(
                "ingest_alert_outbox_deliveries",
                "Alert deliveries in the outbox by status (pending, sent, dead, disabled).",
                labels=["status"],
            )
            for status in ("pending", "sent", "dead", "disabled"):
                by_status.add_metric([status], deliveries.get(status, 0))
            yield by_status
