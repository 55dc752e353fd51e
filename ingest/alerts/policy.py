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

# Kinds that stand on a metric: without one there is nothing to compare or to name.
_NEEDS_METRIC = frozenset({"new", "changed"})


@dataclass(frozen=True, slots=True)
class Decision:
    alert: bool
    reason: str
    targets: tuple[str, ...] = ()


def _same(a: str | None, b: object) -> bool:
    return a is None or (isinstance(b, str) and a.casefold() == b.casefold())


def is_muted(finding: Mapping[str, Any], mute: Mute) -> bool:
    """Every field the mute names matches the finding (a mute naming nothing matches nothing)."""
    if mute == Mute():
        return False
    return (
        _same(mute.subject, finding.get("subject"))
        and _same(mute.metric, finding.get("metric"))
        and _same(mute.kind, finding.get("kind"))
    )


def threshold_for(policy: AlertPolicy, metric: str | None) -> float:
    if metric is not None and metric in policy.thresholds:
        return policy.thresholds[metric]
    return policy.min_change


def should_alert(finding: Mapping[str, Any], policy: AlertPolicy) -> tuple[bool, str]:
    """Whether this finding alerts at all, and why (or why not)."""
    kind = finding.get("kind")
    metric = finding.get("metric")
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
        change = finding.get("relative_change")
        limit = threshold_for(policy, metric if isinstance(metric, str) else None)
        # None: the values are not comparable (other units); a change we cannot size still is one.
        if isinstance(change, int | float) and abs(change) < limit:
            return False, f"change {abs(change):.1%} is below the threshold {limit:.1%}"
    return True, "alert"


def decide(finding: Mapping[str, Any], settings: AlertSettings) -> Decision:
    """The decision for one finding: alert or not, and the names of the targets it goes to."""
    ok, reason = should_alert(finding, settings.policy)
    if not ok:
        return Decision(False, reason)
    kind = finding.get("kind")
    targets = tuple(t.name for t in settings.targets if t.kinds is None or kind in t.kinds)
    return Decision(True, reason, targets)
