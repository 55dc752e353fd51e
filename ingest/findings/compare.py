"""Deciding what a figure means for its claim: new, consistent, changed, conflict (or stale).

Pure functions over :class:`KnownClaim` snapshots; :mod:`ingest.findings.record` loads the
snapshots from the store and writes back what was decided.

A claim keeps one *current* value, the *contenders* raised by a conflict, and the *previous*
values it has had. "Same time" is publication time within ``conflict_window_hours`` of the
newest statement of the current value: two outlets that disagree then are a conflict (the
current value stays), while a different value from later is a change (it becomes current).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from ingest.figures import Figure
from ingest.findings.claims import ClaimKey, Interval, consistent
from ingest.findings.model import FigureRef
from ingest.findings.periods import period_order
from ingest.findings.settings import FindingSettings

ValueStatus = Literal["current", "contender", "previous"]


@dataclass(frozen=True, slots=True)
class Observation:
    """A figure about to be compared: its key, interval, source and publication time, and how
    it was read (:class:`ingest.findings.identity.ClaimIdentity`: role, confidence, cues)."""

    ref: FigureRef
    key: ClaimKey
    interval: Interval
    source: str
    when: datetime
    role: str = "actual"
    confidence: float = 1.0
    cues: tuple[str, ...] = ()
    period_interval: tuple[str, str] | None = None
    in_focus: bool = True

    @property
    def can_change(self) -> bool:
        """Only actuals and plans can change or conflict; estimates, earlier values mentioned
        for comparison and market moves of a day are recorded and linked, never alerted."""
        return self.role in ("actual", "plan")


@dataclass(frozen=True, slots=True)
class KnownValue:
    """A value a claim has had: the figure that first stated it and who has stated it since."""

    id: int
    ref: FigureRef
    interval: Interval
    sources: tuple[str, ...]
    first_seen: datetime
    as_of: datetime
    status: ValueStatus
    confidence: float = 1.0
    cues: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KnownClaim:
    """A claim key and its values (current first, then contenders, then previous, newest first)."""

    id: int
    key: ClaimKey
    values: tuple[KnownValue, ...]
    last_seen: datetime

    @property
    def current(self) -> KnownValue | None:
        return next((v for v in self.values if v.status == "current"), None)

    def with_status(self, status: ValueStatus) -> list[KnownValue]:
        return sorted(
            (v for v in self.values if v.status == status), key=lambda v: v.as_of, reverse=True
        )


class VerdictKind(StrEnum):
    NEW = "new"
    CONSISTENT = "consistent"
    CHANGED = "changed"
    CONFLICT = "conflict"
    # Older than the current value by more than the window: history, not news.
    STALE = "stale"
    # Disagrees, but one side is not a confident reading of the claim (or cannot change):
    # linked to the claim, no value written, no finding.
    UNSURE = "unsure"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision for one observation.

    ``claim`` is the claim it was compared with (None: a new claim); ``matched`` the value it
    agrees with (consistent); ``against`` the values it disagrees with, current first.
    """

    kind: VerdictKind
    claim: KnownClaim | None = None
    matched: KnownValue | None = None
    against: tuple[KnownValue, ...] = ()
    # A NEW claim of a periodic series: the newest earlier period's claim, and whether this
    # period is newer than every known one (news) or older (a restatement: silent).
    series_previous: KnownClaim | None = None
    newer: bool = True


def _magnitude_misread(a: Figure, b: Figure) -> bool:
    """Values a thousand (million, billion) times apart: a scale word lost in one of them
    ("RMB 380 bln" read without "bln"), not a change."""
    if a.unit != b.unit:
        return False
    mid_a, mid_b = abs(a.value), abs(b.value)
    if mid_a <= 0 or mid_b <= 0:
        return False
    exponent = math.log10(max(mid_a, mid_b) / min(mid_a, mid_b))
    return exponent >= 2.9 and abs(exponent - round(exponent)) < 0.02


def place_in_series(obs: Observation, series: Sequence[KnownClaim]) -> Verdict:
    """A first figure for its period, placed among the other periods of its series."""
    mine = period_order(obs.key.period)
    ordered = [c for c in series if period_order(c.key.period) != (0, 0) and c.current]
    if mine == (0, 0) or not ordered:
        return Verdict(VerdictKind.NEW)
    earlier = [c for c in ordered if period_order(c.key.period) < mine]
    newest = max(period_order(c.key.period) for c in ordered)
    previous = max(earlier, key=lambda c: period_order(c.key.period)) if earlier else None
    return Verdict(VerdictKind.NEW, series_previous=previous, newer=mine > newest)


def decide(obs: Observation, claims: Sequence[KnownClaim], settings: FindingSettings) -> Verdict:
    """Compare one observation with the known claims of its subject and metric.

    A claim whose period differs from the observation's (both stated) is another claim. Among
    the rest, agreeing with any current or contending value is corroboration; otherwise the
    observation is judged against the claim with the same period (or, failing that, the most
    recently seen one).
    """
    compatible = [c for c in claims if c.key.period_compatible(obs.key)]
    if not compatible:
        return Verdict(VerdictKind.NEW)
    # Exact period first, then the most recently seen: the likeliest referent of the figure.
    compatible.sort(key=lambda c: (c.key.period != obs.key.period, -c.last_seen.timestamp()))
    for claim in compatible:
        for value in (*claim.with_status("current"), *claim.with_status("contender")):
            if consistent(value.interval, obs.interval, settings):
                return Verdict(VerdictKind.CONSISTENT, claim, value)
    claim = compatible[0]
    current = claim.current
    if current is None:
        return Verdict(VerdictKind.NEW, claim)
    if (
        not obs.can_change
        or obs.confidence < settings.min_confidence
        or current.confidence < settings.min_confidence
        or _magnitude_misread(obs.ref.figure, current.ref.figure)
    ):
        return Verdict(VerdictKind.UNSURE, claim, against=(current,))
    window = timedelta(hours=settings.conflict_window_hours)
    gap = obs.when - current.as_of
    if gap < -window:
        return Verdict(VerdictKind.STALE, claim, against=(current,))
    if abs(gap) <= window and obs.source not in current.sources:
        contenders = tuple(claim.with_status("contender"))
        # The newest contenders only: a claim disputed for months must not make every new
        # finding (and its alert) carry its whole history.
        newest = contenders[len(contenders) - (settings.max_previous - 1) :] if contenders else ()
        against = (current, *newest) if settings.max_previous > 1 else (current,)
        return Verdict(VerdictKind.CONFLICT, claim, against=against)
    earlier = (*claim.with_status("contender"), *claim.with_status("previous"))
    against = (current, *earlier)[: settings.max_previous]
    return Verdict(VerdictKind.CHANGED, claim, against=against)


@dataclass(frozen=True, slots=True)
class RevisionChange:
    """A figure of an article's previous revision that the new revision changed or removed."""

    old: Observation
    new: Observation | None


@dataclass(frozen=True, slots=True)
class RevisionDiff:
    """What a revision did to the article's figures.

    ``changes``: changed (``new`` set) or removed (``new`` None) figures. ``added``: figures of
    the new revision with no counterpart before, which are judged like any article's figures.
    ``unchanged``: figures that the previous revision already stated.
    """

    changes: tuple[RevisionChange, ...]
    added: tuple[Observation, ...]
    unchanged: tuple[Observation, ...]


def revision_changes(
    old: Sequence[Observation], new: Sequence[Observation], settings: FindingSettings
) -> RevisionDiff:
    """Pair the figures of two revisions of one article by claim key.

    Within a key, a new figure consistent with an old one is unchanged; the remaining ones are
    paired in text order (changed); old ones left over were removed, new ones left over added.
    """
    keys = list(dict.fromkeys([o.key for o in old] + [n.key for n in new]))
    changes: list[RevisionChange] = []
    added: list[Observation] = []
    unchanged: list[Observation] = []
    for key in keys:
        olds = [o for o in old if o.key == key]
        news = [n for n in new if n.key == key]
        left_new: list[Observation] = []
        for item in news:
            twin = next((o for o in olds if consistent(o.interval, item.interval, settings)), None)
            if twin is None:
                left_new.append(item)
            else:
                olds.remove(twin)
                unchanged.append(item)
        for before, after in zip(olds, left_new, strict=False):
            changes.append(RevisionChange(before, after))
        changes.extend(RevisionChange(o, None) for o in olds[len(left_new) :])
        added.extend(left_new[len(olds) :])
    return RevisionDiff(tuple(changes), tuple(added), tuple(unchanged))
