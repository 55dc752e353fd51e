"""Running many awaitables under one deadline, a few at a time: what a check of one source
does with its entries.

Pure asyncio, no I/O of its own. What the deadline cuts is cancelled at an ``await``, so a
worker that writes only between awaits (each entry is its own transaction) leaves nothing
half-written; the items it did not finish are reported, for the caller to leave for later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Bounded", "run_bounded"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Bounded(Generic[R]):
    """The results of the items that finished (in item order) and how many did not."""

    results: tuple[R, ...]
    unfinished: int

    @property
    def cut(self) -> bool:
        return self.unfinished > 0


async def run_bounded(
    items: Sequence[T],
    worker: Callable[[T], Awaitable[R]],
    *,
    concurrency: int,
    deadline: float,
) -> Bounded[R]:
    """``worker(item)`` for every item, at most ``concurrency`` at once, until the event
    loop's clock reaches ``deadline`` (``loop.time()`` units); then the rest is cancelled.

    An exception raised by a worker is raised here, after the other workers are cancelled.
    """
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(item: T) -> R:
        async with gate:
            return await worker(item)

    tasks = [asyncio.create_task(one(item)) for item in items]
    if not tasks:
        return Bounded((), 0)
    try:
        _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - loop.time()))
    finally:
        # Also on our own cancellation (SIGTERM past the grace period): no orphan workers.
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    results: list[R] = []
    for task in tasks:
        if task in pending or task.cancelled():
            continue
        error = task.exception()
        if error is not None:
            raise error
        results.append(task.result())
    return Bounded(tuple(results), sum(1 for t in tasks if t in pending or t.cancelled()))
