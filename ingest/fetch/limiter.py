"""Per-host politeness: at most N requests in flight to a host, starts spaced by a minimum delay.

One limiter is shared by feed polls and article fetches, so fifty new entries from one site do
not turn into fifty simultaneous requests to it. The clock and sleep are injectable so the
spacing can be tested without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Clock", "HostLimiter", "Sleep", "SlotLimiter"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Beyond this many remembered hosts, idle ones are forgotten: article links name thousands of
# hosts over months, and an idle host's state carries nothing worth keeping.
_PRUNE_ABOVE = 512


class SlotLimiter(Protocol):
    """What the fetcher asks of a limiter: hold one of a host's request slots.

    :class:`HostLimiter` holds them in this process; ``ingest worker`` plugs in
    :class:`ingest.cluster.limiter.ClusterLimiter`, which holds them across the cluster.
    """

    def slot(self, host: str) -> AbstractAsyncContextManager[None]: ...


@dataclass(slots=True)
class _Host:
    semaphore: asyncio.Semaphore
    next_start: float = float("-inf")
    users: int = 0


class HostLimiter:
    """Hand out request slots per host (see module docstring)."""

    def __init__(
        self,
        *,
        concurrency: int,
        min_delay: float,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._concurrency = concurrency
        self._min_delay = min_delay
        self._clock = clock
        self._sleep = sleep
        self._hosts: dict[str, _Host] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of ``host``'s slots, starting no sooner than ``min_delay`` after the last."""
        state = self._hosts.get(host)
        if state is None:
            self._prune()
            state = self._hosts[host] = _Host(asyncio.Semaphore(self._concurrency))
        state.users += 1
        try:
            async with state.semaphore:
                # Reserve the start time before sleeping, with no await in between, so that
                # concurrent waiters line up one min_delay apart instead of all waking together.
                now = self._clock()
                start = max(now, state.next_start)
                state.next_start = start + self._min_delay
                if start > now:
                    await self._sleep(start - now)
                yield
        finally:
            state.users -= 1

    def _prune(self) -> None:
        if len(self._hosts) < _PRUNE_ABOVE:
            return
        now = self._clock()
        for host in [h for h, s in self._hosts.items() if s.users == 0 and s.next_start <= now]:
            del self._hosts[host]

    def __len__(self) -> int:
        """How many hosts the limiter currently remembers."""
        return len(self._hosts)
