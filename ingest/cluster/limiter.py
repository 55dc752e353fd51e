"""Per-host politeness across every worker: ``per_host_concurrency`` and ``per_host_min_delay``
held cluster-wide, with the state in PostgreSQL.

The same interface as :class:`ingest.fetch.limiter.HostLimiter` (``async with
limiter.slot(host)``), so the fetcher does not know which one it has. A slot is a row of
``ingest_cluster_host_slots`` taken with one ``UPDATE ... FOR UPDATE SKIP LOCKED``; it is held
for ``hold`` seconds and renewed every third of that while the request runs, so a worker
killed mid-request frees its slot when the hold runs out (``ingest worker`` uses the stalled
timeout: its jobs and its slots come back together). Start times are reserved, one
``min_delay`` apart, by one atomic upsert of ``ingest_cluster_host_pace`` on the database's
clock (skipped when ``min_delay`` is 0). Inside one process a semaphore per host comes first,
so a worker does not poll the database for slots it could never get.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from ingest.fetch.limiter import Sleep
from ingest.schedule.leases import owner_id
from ingest.store.cluster import HostPaceQueries

__all__ = ["ClusterLimiter", "StartHook"]

log = logging.getLogger("ingest.cluster")

StartHook = Callable[[str, float], None]
"""``(host, reserved start as Unix time on the database clock)``, called as a slot starts
(with ``min_delay`` 0 nothing is reserved, and the start is this process's clock)."""

# While every slot of a host is taken, look again after this long, doubling up to the cap.
_POLL_FIRST = 0.05
_POLL_MAX = 0.5
_FORGET_ABOVE = 512


class ClusterLimiter:
    """Hand out request slots per host, shared by every worker on one database."""

    def __init__(
        self,
        queries: HostPaceQueries,
        *,
        concurrency: int,
        min_delay: float,
        hold: float,
        sleep: Sleep = asyncio.sleep,
        on_start: StartHook | None = None,
    ) -> None:
        self._db = queries
        self._concurrency = concurrency
        self._min_delay = min_delay
        self._hold = hold
        self._sleep = sleep
        self._on_start = on_start
        self._local: dict[str, asyncio.Semaphore] = {}
        self._known: set[str] = set()  # hosts whose slot rows exist
        self._holder = owner_id()

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of ``host``'s slots cluster-wide, starting ``min_delay`` after the last."""
        local = self._local.get(host)
        if local is None:
            if len(self._local) >= _FORGET_ABOVE:
                self._local = {h: s for h, s in self._local.items() if s.locked()}
            local = self._local[host] = asyncio.Semaphore(self._concurrency)
        async with local:
            holder = f"{self._holder}:{uuid.uuid4().hex[:12]}"
            taken = await self._take(host, holder)
            keep = asyncio.create_task(self._keep(host, taken, holder))
            try:
                if self._min_delay > 0:
                    start, wait = await self._db.reserve_start(host, self._min_delay)
                    if wait > 0:
                        await self._sleep(wait)
                else:  # nothing to space: no statement, no hot row every request updates
                    start = time.time()
                if self._on_start is not None:
                    self._on_start(host, start)
                yield
            finally:
                keep.cancel()
                await asyncio.gather(keep, return_exceptions=True)
                # Shielded: a cancelled fetch must still give its slot back (else it waits for
                # the hold to run out); a failure here only means the hold runs out instead.
                try:
                    await asyncio.shield(self._db.free_slot(host, taken, holder))
                except Exception as exc:
                    log.warning("could not free the request slot for %s: %s", host, exc)

    async def _keep(self, host: str, slot: int, holder: str) -> None:
        while True:
            await asyncio.sleep(self._hold / 3)
            try:
                await self._db.extend_slot(host, slot, holder, self._hold)
            except Exception as exc:  # the queue database is down: the hold may run out
                log.warning("could not renew the request slot for %s: %s", host, exc)

    async def _take(self, host: str, holder: str) -> int:
        if host not in self._known:
            if len(self._known) >= _FORGET_ABOVE:
                self._known.clear()
            await self._db.add_slots(host, self._concurrency)
            self._known.add(host)
        pause = _POLL_FIRST
        while True:
            slot = await self._db.take_slot(host, self._concurrency, holder, self._hold)
            if slot is not None:
                return slot
            await self._sleep(pause)
            pause = min(pause * 2, _POLL_MAX)
