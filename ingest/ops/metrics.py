"""The counters the pipeline feeds, behind a small interface that costs nothing when unused.

:class:`Metrics` (the interface, a no-op; defined in :mod:`ingest.ops.metrics_api` so the
Prometheus implementation can subclass it without importing this module) is re-exported here;
:func:`metrics_for` returns the Prometheus-backed implementation only when the ``[server]``
endpoint is on. Gauges (outbox depth, sources failing) are not fed from here: they are read
from the store when ``/metrics`` is scraped, so they are right even after a restart or when
another process did the work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.ops.metrics_api import NULL_METRICS as NULL_METRICS
from ingest.ops.metrics_api import Metrics as Metrics

if TYPE_CHECKING:
    from ingest.config import Config


def metrics_for(config: Config) -> Metrics:
    """Prometheus-backed metrics when ``[server] listen`` is set, else the free no-op."""
    if not config.server.enabled:
        return NULL_METRICS
    from ingest.ops.prometheus import PrometheusMetrics

    return PrometheusMetrics()
