"""Delivering what the outbox holds: one attempt for every due alert, per target.

``deliver_due`` is called once per daemon tick and once at the end of ``ingest poll``. Targets
are served concurrently; within one target alerts go oldest first, and the first failure that
says the receiver is unreachable or overloaded (no response, 5xx, 429) ends that target's turn:
the rest stay due and go out on a later pass, without each spending an attempt against a
receiver that is down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from ingest.alerts.payload import DIGEST_TYPE, Message, event_type
from ingest.alerts.senders import Sender, SendResult
from ingest.alerts.settings import AlertSettings
from ingest.alerts.timing import outcome_after
from ingest.schedule.leases import owner_id, release_dead

if TYPE_CHECKING:
    from ingest.store.alerts import DueItem
    from ingest.store.interfaces import OutboxStore

log = logging.getLogger("ingest.alerts")


@dataclass(frozen=True, slots=True)
class TargetReport:
    target: str
    sent: int = 0
    failed: int = 0
    dead: int = 0
    disabled: bool = False
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    targets: tuple[TargetReport, ...]

    @property
    def sent(self) -> int:
        return sum(t.sent for t in self.targets)

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.targets)

    @property
    def dead(self) -> int:
        return sum(t.dead for t in self.targets)


def release_dead_leases(store: OutboxStore) -> list[str]:
    """Free the leases of processes on this host that died mid-delivery (SIGKILL, OOM), so
    their alerts go out again now rather than when the lease expires."""
    return release_dead(store.alert_lease_owners(), store.release_alert_leases)


def message_for(item: DueItem) -> Message:
    kind = DIGEST_TYPE if item.digest else event_type(item.kind)
    return Message(id=item.uid, type=kind, timestamp=item.created_at, findings=item.findings)


def _unreachable(result: SendResult) -> bool:
    return result.status is None or result.status >= 500 or result.status == 429


async def _deliver_target(
    store: OutboxStore,
    sender: Sender,
    settings: AlertSettings,
    now: datetime,
    rng: Random,
    owner: str,
) -> TargetReport:
    name = sender.name
    if settings.mode == "digest":
        store.form_digests(name, now=now, max_size=settings.digest_max)
    items = store.claim_due(
        name, now=now, owner=owner, lease=timedelta(seconds=settings.lease), limit=settings.batch
    )
    sent = failed = dead = 0
    last_error = None
    started = time.monotonic()
    for index, item in enumerate(items):
        if time.monotonic() - started + sender.deadline > settings.lease:
            # The next attempt could outlive the lease, and another process could then claim
            # and send the same alert: stop here, the rest stays due for the next pass.
            store.release(items[index:])
            break
        result = await sender.send(message_for(item), now=now)
        outcome = outcome_after(
            ok=result.ok,
            gone=result.gone,
            retry_after=result.retry_after,
            attempts=item.attempts + 1,
            horizon_from=item.horizon_from,
            now=now,
            retry=settings.retry,
            rng=rng,
        )
        store.record_attempt(item, outcome, now=now, status=result.status, error=result.error)
        count = len(item.findings)
        if result.ok:
            sent += count
            log.info("alert %s sent to %s (%d finding(s))", item.uid, name, count)
            continue
        failed += count
        last_error = result.error
        if outcome.status == "dead":
            dead += count
            log.error(
                "alert %s to %s is dead after %d attempts: %s",
                item.uid,
                name,
                item.attempts + 1,
                result.error,
            )
        else:
            log.warning(
                "alert %s to %s failed (%s); next attempt %s",
                item.uid,
                name,
                result.error,
                outcome.next_attempt,
            )
        if result.gone:
            store.disable_target(name, result.error or "410 Gone", now=now)
            store.release(items[index + 1 :])
            return TargetReport(name, sent, failed, dead, True, last_error)
        if _unreachable(result):
            # Retry-After speaks for the target, not one alert: hold the rest of its queue too.
            hold = now + timedelta(seconds=result.retry_after) if result.retry_after else None
            store.release(items[index + 1 :], not_before=hold)
            break
    return TargetReport(name, sent, failed, dead, False, last_error)


async def deliver_due(
    store: OutboxStore,
    senders: Mapping[str, Sender],
    settings: AlertSettings,
    now: datetime,
    *,
    rng: Random | None = None,
    owner: str | None = None,
) -> DeliveryReport:
    """Make one attempt for every alert that is due now, on every enabled target."""
    release_dead_leases(store)
    rng = rng or Random()
    owner = owner or owner_id()
    disabled = store.disabled_targets()
    jobs = [
        _deliver_target(store, sender, settings, now, rng, owner)
        for name, sender in senders.items()
        if name not in disabled
    ]
    reports: list[Any] = list(await asyncio.gather(*jobs))
    return DeliveryReport(tuple(reports))
