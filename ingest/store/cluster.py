"""The cluster's own SQL: the job queue's schema, the per-host politeness tables, queue figures.

Only ``ingest worker`` (:mod:`ingest.cluster`) and the cluster lines of ``ingest status`` and
``/metrics`` use this module; it needs the ``cluster`` extra (procrastinate, psycopg). The
queue lives in procrastinate's tables (``procrastinate_jobs``, ``procrastinate_workers``), in
the PostgreSQL database named by the worker's URL; politeness state lives beside them in two
small tables of ours (``ingest_cluster_host_pace``, ``ingest_cluster_host_slots``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, LiteralString

import psycopg

from ingest.errors import ClusterError

if TYPE_CHECKING:
    from procrastinate.connector import BaseAsyncConnector, BaseConnector

# pg_advisory_lock key of "ingest worker is setting up the queue schema" (any constant bigint
# works; this one is "ingestCL" read as ASCII, so it will not clash with another app's by chance).
SCHEMA_LOCK = 0x696E67657374434C

_OWN_TABLES: LiteralString = """
CREATE TABLE IF NOT EXISTS ingest_cluster_host_pace (
    host text PRIMARY KEY,
    next_start timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ingest_cluster_host_slots (
    host text NOT NULL,
    slot integer NOT NULL,
    holder text,
    until timestamptz,
    PRIMARY KEY (host, slot)
);
"""


def _connect(url: str) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise ClusterError(f"cannot reach the queue database: {exc}".strip()) from exc


def ensure_queue_schema(url: str) -> bool:
    """Create procrastinate's schema and our tables unless present; True when it was created.

    Idempotent, and safe when several workers start at once: the check and the creation run
    under one advisory lock, so the second worker waits and then finds the schema there.
    """
    from procrastinate.schema import SchemaManager

    try:
        with _connect(url) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                row = conn.execute(
                    "SELECT to_regclass('procrastinate_jobs') IS NOT NULL"
                ).fetchone()
                created = not (row and row[0])
                with conn.transaction():
                    if created:
                        conn.execute(SchemaManager.get_schema())
                    conn.execute(_OWN_TABLES)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
    except psycopg.Error as exc:
        raise ClusterError(f"cannot set up the queue schema: {exc}".strip()) from exc
    return created


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """What the cluster is doing, for ``ingest status`` and ``/metrics``."""

    workers: int  # registered workers with a fresh heartbeat
    stalled_workers: int  # registered, heartbeat older than the stalled timeout
    jobs: dict[str, int]  # status (todo, doing, failed...) -> count
    queued_by_task: dict[str, int]  # task name -> jobs waiting (todo)
    stalled_jobs: int  # doing, on a stalled or vanished worker


def queue_snapshot(url: str, *, stalled_after: float) -> QueueSnapshot | None:
    """The queue's figures, or None when the database has no queue (never ran a worker)."""
    try:
        with _connect(url) as conn:
            row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
            if not (row and row[0]):
                return None
            stale = "NOW() - make_interval(secs => %(s)s::float8)"
            workers = conn.execute(
                "SELECT COUNT(*) FILTER (WHERE last_heartbeat >= " + stale + "),"
                " COUNT(*) FILTER (WHERE last_heartbeat < " + stale + ")"
                " FROM procrastinate_workers",
                {"s": stalled_after},
            ).fetchone()
            jobs = conn.execute(
                "SELECT status::text, COUNT(*) FROM procrastinate_jobs GROUP BY status"
            ).fetchall()
            queued = conn.execute(
                "SELECT task_name, COUNT(*) FROM procrastinate_jobs WHERE status = 'todo'"
                " GROUP BY task_name"
            ).fetchall()
            stalled = conn.execute(
                "SELECT COUNT(*) FROM procrastinate_jobs j"
                " LEFT JOIN procrastinate_workers w ON w.id = j.worker_id"
                " WHERE j.status = 'doing' AND (w.id IS NULL OR w.last_heartbeat < " + stale + ")",
                {"s": stalled_after},
            ).fetchone()
    except psycopg.Error as exc:
        raise ClusterError(f"cannot read the queue: {exc}".strip()) from exc
    return QueueSnapshot(
        workers=int(workers[0]) if workers else 0,
        stalled_workers=int(workers[1]) if workers else 0,
        jobs={str(k): int(n) for k, n in jobs},
        queued_by_task={str(k): int(n) for k, n in queued},
        stalled_jobs=int(stalled[0]) if stalled else 0,
    )


@dataclass(frozen=True, slots=True)
class CheckQueue:
    """The source checks in the queue, as the scheduling job sees them each tick."""

    waiting: frozenset[int]  # sources with a check job waiting (todo)
    running: frozenset[int]  # sources with a check job running (doing), live or stalled worker
    live_workers: int  # workers whose heartbeat is fresh

    @property
    def queued(self) -> frozenset[int]:
        return self.waiting | self.running


async def check_queue(connector: BaseConnector, task: str, *, stalled_after: float) -> CheckQueue:
    """Which sources have a check job (``task``) waiting or running, and how many workers are
    alive: two statements on the queue's partial indexes."""
    from procrastinate.connector import BaseAsyncConnector

    if not isinstance(connector, BaseAsyncConnector):
        raise ClusterError("the job queue needs an asynchronous connector")
    rows = await connector.execute_query_all_async(
        "SELECT (args->>'source_id')::bigint AS source_id, status::text AS status"
        " FROM procrastinate_jobs WHERE task_name = %(task)s AND status IN ('todo', 'doing')",
        task=task,
    )
    alive = await connector.execute_query_one_async(
        "SELECT COUNT(*) AS n FROM procrastinate_workers"
        " WHERE last_heartbeat >= NOW() - make_interval(secs => %(s)s::float8)",
        s=stalled_after,
    )
    waiting = {int(r["source_id"]) for r in rows if r["status"] == "todo" and r["source_id"]}
    running = {int(r["source_id"]) for r in rows if r["status"] == "doing" and r["source_id"]}
    return CheckQueue(frozenset(waiting), frozenset(running), int(alive["n"]))


class HostPaceQueries:
    """The per-host politeness state, through the worker's procrastinate connector (its pool).

    Times are the database's clock, so workers on hosts whose clocks disagree still space
    their requests to one site correctly.
    """

    def __init__(self, connector: BaseAsyncConnector) -> None:
        self._db = connector

    async def reserve_start(self, host: str, min_delay: float) -> tuple[float, float]:
        """Reserve the next start for ``host``, ``min_delay`` after the last one reserved.

        Returns ``(start, wait)``: the reserved start (Unix time, database clock) and how long
        to sleep until it. One atomic statement: concurrent reservations line up one
        ``min_delay`` apart, whichever worker makes them.
        """
        row = await self._db.execute_query_one_async(
            """
            WITH now AS (SELECT clock_timestamp() AS t)
            INSERT INTO ingest_cluster_host_pace AS p (host, next_start)
            SELECT %(host)s, t + make_interval(secs => %(delay)s::float8) FROM now
            ON CONFLICT (host) DO UPDATE
               SET next_start = GREATEST(p.next_start, EXCLUDED.next_start
                                         - make_interval(secs => %(delay)s::float8))
                                + make_interval(secs => %(delay)s::float8)
            RETURNING
              EXTRACT(EPOCH FROM p.next_start)::float8 - %(delay)s::float8 AS start,
              EXTRACT(EPOCH FROM p.next_start - (SELECT t FROM now))::float8
                - %(delay)s::float8 AS wait
            """,
            host=host,
            delay=min_delay,
        )
        return float(row["start"]), max(float(row["wait"]), 0.0)

    async def add_slots(self, host: str, count: int) -> None:
        await self._db.execute_query_async(
            "INSERT INTO ingest_cluster_host_slots (host, slot)"
            " SELECT %(host)s, s FROM generate_series(0, %(n)s::int - 1) AS s"
            " ON CONFLICT DO NOTHING",
            host=host,
            n=count,
        )

    async def take_slot(self, host: str, count: int, holder: str, hold: float) -> int | None:
        """Take a free (or expired) slot of ``host`` among its first ``count``; None if none."""
        rows = await self._db.execute_query_all_async(
            """
            UPDATE ingest_cluster_host_slots AS h
               SET holder = %(holder)s,
                   until = clock_timestamp() + make_interval(secs => %(hold)s::float8)
             WHERE (h.host, h.slot) = (
                   SELECT host, slot FROM ingest_cluster_host_slots
                    WHERE host = %(host)s AND slot < %(n)s::int
                      AND (holder IS NULL OR until < clock_timestamp())
                    ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING h.slot
            """,
            host=host,
            n=count,
            holder=holder,
            hold=hold,
        )
        return int(rows[0]["slot"]) if rows else None

    async def extend_slot(self, host: str, slot: int, holder: str, hold: float) -> None:
        await self._db.execute_query_async(
            "UPDATE ingest_cluster_host_slots"
            " SET until = clock_timestamp() + make_interval(secs => %(hold)s::float8)"
            " WHERE host = %(host)s AND slot = %(slot)s AND holder = %(holder)s",
            host=host,
            slot=slot,
            holder=holder,
            hold=hold,
        )

    async def free_slot(self, host: str, slot: int, holder: str) -> None:
        await self._db.execute_query_async(
            "UPDATE ingest_cluster_host_slots SET holder = NULL, until = NULL"
            " WHERE host = %(host)s AND slot = %(slot)s AND holder = %(holder)s",
            host=host,
            slot=slot,
            holder=holder,
        )
