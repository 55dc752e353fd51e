"""Which findings alert, and to which targets. Pure: a finding and the settings in, a decision out.

The default follows what an analyst asks for: a first value or a moved value of a catalogue
metric, an article correcting its own figure, and sources disagreeing. A figure without a
catalogue metric is too vague to page anyone about ("up 12%" of what?).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ingest.alerts.settings import AlertPolicy, AlertSettings, Mute
from ingest.findings.model import Finding

# Kinds that stand on a metric: without one there is nothing to compare or to name.
_NEEDS_METRIC = frozenset({"new", "changed"})


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What the policy reads of a finding: its kind, what it is about, how far it moved."""

    kind: str
    subject: str | None
    metric: str | None
    relative_change: float | None = None

    @classmethod
    def of(cls, finding: Finding) -> AlertFacts:
        return cls(finding.kind.value, finding.subject, finding.metric, finding.relative_change)

    @classmethod
    def of_record(cls, record: Mapping[str, Any]) -> AlertFacts:
        """From a finding's JSON record (``ingest findings --json``, synthetic findings)."""
        change = record.get("relative_change")
        metric, subject = record.get("metric"), record.get("subject")
        return cls(
            kind=str(record.get("kind")),
            subject=subject if isinstance(subject, str) else None,
            metric=metric if isinstance(metric, str) and metric else None,
            relative_change=float(change) if isinstance(change, int | float) else None,
        )


@dataclass(frozen=True, slots=True)
class Decision:
    alert: bool
    reason: str
    targets: tuple[str, ...] = ()


def _same(a: str | None, b: str | None) -> bool:
    return a is None or (b is not None and a.casefold() == b.casefold())


def is_muted(finding: AlertFacts, mute: Mute) -> bool:
    """Every field the mute names matches the finding (a mute naming nothing matches nothing)."""
    if mute == Mute():
        return False
    return (
        _same(mute.subject, finding.subject)
        and _same(mute.metric, finding.metric)
        and _same(mute.kind, finding.kind)
    )


def threshold_for(policy: AlertPolicy, metric: str | None) -> float:
    if metric is not None and metric in policy.thresholds:
        return policy.thresholds[metric]
    return policy.min_change


def should_alert(finding: AlertFacts, policy: AlertPolicy) -> tuple[bool, str]:
    """Whether this finding alerts at all, and why (or why not)."""
    kind, metric = finding.kind, finding.metric
    if kind not in policy.kinds:
        return False, f"kind {kind!r} is not alerted"
    if kind in _NEEDS_METRIC and not metric:
        return False, "no catalogue metric"
    if policy.metrics and metric not in policy.metrics:
        return False, f"metric {metric!r} is not in alerts.metrics"
    for mute in policy.mutes:
        if is_muted(finding, mute):
            return False, "muted"
    if kind == "changed":
        change = finding.relative_change
        limit = threshold_for(policy, metric)
        # None: the values are not comparable (other units); a change we cannot size still is one.
        if change is not None and abs(change) < limit:
            return False, f"change {abs(change):.1%} is below the threshold {limit:.1%}"
    return True, "alert"


def decide(finding: AlertFacts, settings: AlertSettings) -> Decision:
    """The decision for one finding: alert or not, and the names of the targets it goes to."""
    ok, reason = should_alert(finding, settings.policy)
    if not ok:
        return Decision(False, reason)
    kind = finding.kind
    targets = tuple(t.name for t in settings.targets if t.kinds is None or kind in t.kinds)
    return Decision(True, reason, targets)
