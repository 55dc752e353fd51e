"""From a finding to outbox rows: the policy decides, the store records.

The findings stage hands each finding it stores to an :class:`Alerter` (in the same unit of
work), which asks the policy whether it alerts and to which targets, works out when it is first
due (at once, or at the next digest slot) and which of those targets a 410 Gone switched off,
and tells the outbox store to write exactly that.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ingest.alerts.policy import AlertFacts, decide
from ingest.alerts.settings import AlertSettings
from ingest.alerts.timing import first_attempt
from ingest.findings.model import Finding, finding_to_dict
from ingest.store.alerts import NewAlert, NewDelivery

if TYPE_CHECKING:
    from ingest.store.interfaces import OutboxStore


class Alerter:
    """Enqueues the alerts of findings under one set of ``[alerts]`` settings."""

    def __init__(self, store: OutboxStore, settings: AlertSettings) -> None:
        self.store = store
        self.settings = settings

    def __call__(self, finding: Finding, *, now: datetime) -> int | None:
        """Enqueue a stored finding (it has its id); returns the alert id, or None when the
        policy does not alert it."""
        return self._enqueue(AlertFacts.of(finding), finding_to_dict(finding), now=now)

    def enqueue_record(self, record: Mapping[str, Any], *, now: datetime) -> int | None:
        """Enqueue a finding given as its JSON record (``ingest findings --json``), as the
        synthetic findings of ``ingest alerts test`` and the drills are."""
        return self._enqueue(AlertFacts.of_record(record), record, now=now)

    def _enqueue(
        self, facts: AlertFacts, record: Mapping[str, Any], *, now: datetime
    ) -> int | None:
        decision = decide(facts, self.settings)
        if not decision.alert:
            return None
        disabled = self.store.disabled_targets()
        deliveries = [
            NewDelivery(target, "disabled", f"target disabled: {disabled[target]}")
            if target in disabled
            else NewDelivery(target)
            for target in decision.targets
        ]
        alert = NewAlert(
            id=int(record["id"]),
            kind=facts.kind,
            subject=facts.subject,
            metric=facts.metric,
            record=record,
        )
        due = first_attempt(now, self.settings)
        return self.store.record_alert(alert, deliveries, due=due, now=now)
