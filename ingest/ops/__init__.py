"""Operating the daemon: the HTTP endpoint (``/healthz``, ``/metrics``), structured logs, the
status screen and the HTML report.

Nothing here is imported by the pipeline on its hot path except :class:`ingest.ops.metrics.Metrics`
(a no-op base with no third-party import), so commands that do not serve metrics never pay for
``prometheus_client``.
"""
