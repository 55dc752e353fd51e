"""Cluster mode: ``ingest worker`` processes sharing one PostgreSQL job queue (procrastinate).

Modules: ``settings`` (the ``[cluster]`` table), ``tasks`` (the jobs), ``limiter`` (per-host
politeness held across workers), ``worker`` (running one worker), ``metrics`` (the cluster's
lines in ``ingest status`` and gauges in ``/metrics``). Needs the ``cluster`` extra; nothing
outside ``ingest worker`` and cluster-mode ``status`` imports this package. See docs/cluster.md.
"""
