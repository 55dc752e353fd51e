"""The glue: judge the figures of a just-stored article revision and store the findings.

Called by ``corpus.save_article`` inside its transaction, after the figures are written, so an
article, its figures, the claim updates, the findings and their alert rows commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from ingest.figures import FigureSettings
from ingest.findings.claims import (
    ClaimKey,
    consistent,
    interval_of,
    narrowed,
    relative_change,
)
from ingest.findings.compare import (
    KnownClaim,
    KnownValue,
    Observation,
    Verdict,
    VerdictKind,
    decide,
    place_in_series,
    revision_changes,
)
from ingest.findings.identity import (
    ArticleFacts,
    ClaimIdentity,
    entity_mentions,
    identify_all,
    is_garbled,
    is_vague,
    main_subject,
)
from ingest.findings.model import FigureRef, Finding, FindingKind
from ingest.findings.periods import NO_PERIOD
from ingest.findings.settings import FindingSettings
from ingest.models import DecisionKind

if TYPE_CHECKING:
    from ingest.store.interfaces import FindingStore

__all__ = ["FindingSink", "record_findings"]


def _observe(
    ref: FigureRef, identity: ClaimIdentity, when: datetime, settings: FindingSettings
) -> Observation:
    source = ref.source or urlsplit(ref.article_url).hostname or ref.article_url
    # Imported documents have no feed: their host names the outlet, in the records too.
    ref = replace(ref, source=source)
    period = identity.period
    interval = (
        (period.start.isoformat(), period.end.isoformat()) if period.start and period.end else None
    )
    return Observation(
        ref, identity.key, interval_of(ref.figure, settings), source, ref.published or when,
        role=identity.role, confidence=identity.confidence, cues=identity.cues,
        period_interval=interval, in_focus=identity.in_focus,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Read:
    """The figures of a revision as claims: those judged, and conversions with their base."""

    observations: list[Observation]
    conversions: list[tuple[Observation, Observation]]


def _observations(
    store: FindingStore, article_id: int, revision: int, now: datetime,
    settings: FindingSettings, figure_settings: FigureSettings | None,
) -> _Read:  # fmt: skip
    """The figures of a revision read as claims (:func:`identify`). A conversion of a figure in
    the same article ("380 billion yuan (~$53 billion)") restates its base figure: it is kept
    apart, to be checked against the base and linked to its claim."""
    fetched_at, date_source, text = store.article_row_facts(article_id)
    fetched = fetched_at or now
    refs = store.revision_figures(article_id, revision)
    if figure_settings is None:
        return _Read([], [])
    published = (refs[0].published if refs and refs[0].published else fetched).date()
    mentions = entity_mentions(text, figure_settings)
    facts = ArticleFacts(
        published, main_subject(text, figure_settings, mentions), mentions,
        date_source=date_source, garbled=is_garbled(text),
    )  # fmt: skip
    identities = identify_all([ref.figure for ref in refs], facts, figure_settings)
    by_position: dict[int, Observation] = {}
    out: list[Observation] = []
    conversions: list[tuple[Observation, Observation]] = []
    for position, (ref, identity) in enumerate(zip(refs, identities, strict=True)):
        equivalent = ref.figure.equivalent_of
        base = by_position.get(equivalent) if equivalent is not None else None
        if base is not None:
            # A conversion restates its base figure: the same claim, read the same way.
            converted = ClaimIdentity(
                base.key, base.role, NO_PERIOD, base.confidence,  # type: ignore[arg-type]
                (*base.cues, "converts the figure before it"),
            )  # fmt: skip
            conversions.append((_observe(ref, converted, fetched, settings), base))
        elif identity is not None:
            by_position[position] = obs = _observe(ref, identity, fetched, settings)
            out.append(obs)
    return _Read(out, conversions)


class _Recorder:
    """One call's state: the store, the clock, and claims loaded once per subject and metric."""

    def __init__(
        self, store: FindingStore, now: datetime, settings: FindingSettings,
        labels: dict[str, str], alerts: FindingSink | None,
    ) -> None:  # fmt: skip
        self.store, self.now, self.settings, self.labels = store, now, settings, labels
        self.alerts = alerts
        self.findings: list[Finding] = []
        self.linked: dict[int, tuple[int | None, Observation]] = {}

    def claims(self, key: ClaimKey) -> list[KnownClaim]:
        found = self.store.claims_for(
            key.subject, key.metric, period=key.period, previous_limit=self.settings.max_previous
        )
        # Intervals are read again from each value's figure: the stored ones are in dollars,
        # and one currency is compared in itself.
        return [replace(c, values=tuple(self._reread(v) for v in c.values)) for c in found]

    def _reread(self, value: KnownValue) -> KnownValue:
        fresh = interval_of(value.ref.figure, self.settings)
        if value.interval.native is not None:
            fresh = replace(fresh, native=value.interval.native)
        return replace(value, interval=fresh)

    def finding(
        self, kind: FindingKind, obs: Observation, figure: FigureRef | None,
        previous: Sequence[FigureRef], claim_id: int | None, value_id: int | None,
        change: str | None = None, *, verdict: Verdict | None = None,
        against_cues: Sequence[str] = (),
    ) -> None:  # fmt: skip
        rel = relative_change(previous[0].figure, figure.figure) if figure and previous else None
        sources = self.store.value_sources(value_id) if value_id else ()
        metric = obs.key.metric.split("/", 1)[0]
        series = verdict.series_previous if verdict is not None else None
        series_value = series.current if series is not None else None
        found = Finding(
            kind=kind, subject=obs.key.subject or None, metric=metric,
            period=(figure or obs.ref).figure.period, figure=figure, previous=tuple(previous),
            article_url=obs.ref.article_url, created_at=self.now,
            metric_label=self.labels.get(metric), relative_change=rel,
            corroborations=sources, change=change, claim_id=claim_id,
            confidence=obs.confidence, cues=obs.cues, quantity=obs.key.metric, role=obs.role,
            period_key=obs.key.period or None, period_interval=obs.period_interval,
            series_previous=series_value.ref if series_value else None,
            series_previous_period=series.key.period if series is not None else None,
            against_cues=tuple(against_cues),
        )  # fmt: skip
        figure_id = figure.figure_id if figure else None
        found_id = self.store.add_finding(
            found, value_id=value_id, figure_id=figure_id, article_id=obs.ref.article_id
        )
        stored = Finding(**{**_fields(found), "id": found_id})
        self.findings.append(stored)
        if self.alerts is not None:
            self.alerts(stored, now=self.now)

    def link(self, obs: Observation, claim_id: int | None) -> None:
        if obs.ref.figure_id is not None:
            self.linked[obs.ref.figure_id] = (claim_id, obs)

    def confident(self, obs: Observation) -> bool:
        return obs.can_change and obs.confidence >= self.settings.min_confidence

    def apply(self, obs: Observation, verdict: Verdict, *, emit: bool) -> tuple[int, int | None]:
        """Write what ``verdict`` decided about ``obs``; returns the claim and value ids."""
        store, now = self.store, self.now
        claim = verdict.claim
        if verdict.kind is VerdictKind.CONSISTENT:
            assert claim is not None and verdict.matched is not None
            native = None
            if self.confident(obs):
                # Confident statements narrow the value; a hedged or misread one must not.
                native = narrowed(verdict.matched.interval, obs.interval).native
            store.corroborate(verdict.matched.id, obs, now=now, native=native)
            return claim.id, verdict.matched.id
        if verdict.kind is VerdictKind.UNSURE:
            assert claim is not None
            return claim.id, None
        claim_id = claim.id if claim else store.create_claim(obs.key, now=now)
        if verdict.kind is VerdictKind.NEW:
            value_id = store.add_claim_value(claim_id, obs, "current", now=now)
            # A newer period of a series is news; an older one restated later is not.
            # News of its own only about what the article is about: a rival's figure quoted for
            # comparison is stored (and can still change or conflict later), not announced.
            if (emit and self.confident(obs) and verdict.newer and not is_vague(obs.ref.figure.text)
                    and obs.in_focus):  # fmt: skip
                self.finding(FindingKind.NEW, obs, obs.ref, (), claim_id, value_id,
                             verdict=verdict)  # fmt: skip
            return claim_id, value_id
        status = {VerdictKind.CHANGED: "current", VerdictKind.CONFLICT: "contender"}.get(
            verdict.kind, "previous"
        )
        value_id = store.add_claim_value(claim_id, obs, status, now=now)  # type: ignore[arg-type]
        if status == "contender":
            # Contenders are read with every figure of the claim: keep the newest few, the
            # rest become history.
            store.trim_contenders(claim_id, keep=2 * self.settings.max_previous)
        previous = [v.ref for v in verdict.against]
        cues = verdict.against[0].cues if verdict.against else ()
        if emit and verdict.kind is VerdictKind.CHANGED:
            self.finding(FindingKind.CHANGED, obs, obs.ref, previous, claim_id, value_id,
                         against_cues=cues)  # fmt: skip
        elif emit and verdict.kind is VerdictKind.CONFLICT:
            self.finding(FindingKind.CONFLICT, obs, obs.ref, previous, claim_id, value_id,
                         against_cues=cues)  # fmt: skip
        return claim_id, value_id

    def decide(self, obs: Observation) -> Verdict:
        claims = self.claims(obs.key)
        verdict = decide(obs, claims, self.settings)
        if verdict.kind is VerdictKind.NEW and verdict.claim is None and obs.key.period:
            series = self.store.series_claims(obs.key.subject, obs.key.metric)
            return place_in_series(obs, [c for c in series if c.key.period != obs.key.period])
        return verdict

    def judge(self, observations: Sequence[Observation], *, duplicate: bool) -> None:
        """Judge an article's figures, a claim key at a time.

        All figures of one key are judged against the state before the article: those that
        agree corroborate, and only the first that does not is taken as the article's value
        ("480 billion yuan, up from 380 billion" changes the claim once, whatever the order).
        A duplicate appearance never starts a claim (``new``); when its figure disagrees with
        the known value, that disagreement is still reported like any other. Figures that
        cannot change (estimates, earlier values, market moves) and figures read with low
        confidence are stored and linked, and raise nothing.
        """
        observations = self.demote_ambiguous(observations)
        keys = list(dict.fromkeys(o.key for o in observations))
        for key in keys:
            group = [o for o in observations if o.key == key]
            # Confident actuals first: they decide the article's value of the claim.
            group.sort(key=lambda o: not self.confident(o))
            verdicts = [(o, self.decide(o)) for o in group]
            claim_id: int | None = None
            for obs, verdict in verdicts:
                if verdict.kind is VerdictKind.CONSISTENT:
                    claim_id, _ = self.apply(obs, verdict, emit=False)
                    self.link(obs, claim_id)
            other = next(
                (
                    o
                    for o, v in verdicts
                    if v.kind is not VerdictKind.CONSISTENT and self.confident(o)
                ),
                None,
            ) or next((o for o, v in verdicts if v.kind is not VerdictKind.CONSISTENT), None)
            if other is not None:
                # Re-decide: corroborations just written may have moved the value's as_of.
                verdict = self.decide(other)
                if not (duplicate and verdict.kind is VerdictKind.NEW):
                    claim_id, _ = self.apply(other, verdict, emit=True)
                elif verdict.claim is not None:
                    claim_id = verdict.claim.id
            for obs in group:
                if obs.ref.figure_id not in self.linked:
                    self.link(obs, claim_id)

    def demote_ambiguous(self, observations: Sequence[Observation]) -> list[Observation]:
        """An article that states two different values for what reads as one claim (not as a
        change: no "up from") has been misread, or speaks of two things: neither value is a
        confident reading of the claim."""
        out = list(observations)
        for i, a in enumerate(out):
            if not self.confident(a):
                continue
            for b in out[i + 1 :]:
                if (
                    b.key == a.key
                    and self.confident(b)
                    and not consistent(a.interval, b.interval, self.settings)
                ):
                    cue = "the article states another value for this claim"
                    for idx, item in enumerate(out):
                        if item is a or item is b:
                            out[idx] = replace(
                                item, confidence=min(item.confidence, 0.5), cues=(*item.cues, cue)
                            )
                    break
        return out

    def check_conversions(self, pairs: Sequence[tuple[Observation, Observation]]) -> None:
        """A conversion agrees with the figure it converts (rates drift: ``fx_tolerance``) and
        is linked to its claim; one that does not ("380 billion yuan (about $38 billion)") is
        a conflict with that figure, when the reading is confident."""
        for conv, base in pairs:
            linked = self.linked.get(base.ref.figure_id) if base.ref.figure_id else None
            claim_id = linked[0] if linked else None
            self.link(conv, claim_id)
            if consistent(conv.interval, base.interval, self.settings):
                continue
            if not self.confident(base):
                continue
            self.finding(
                FindingKind.CONFLICT, conv, conv.ref, (base.ref,), claim_id, None,
                against_cues=("the figure this one converts, at the table's rate",),
            )  # fmt: skip

    def store_links(self) -> None:
        self.store.set_figure_claims(
            [(figure_id, claim_id, obs.confidence, obs.cues)
             for figure_id, (claim_id, obs) in self.linked.items()]
        )  # fmt: skip

    def revise(self, old: Sequence[Observation], new: Sequence[Observation]) -> list[Observation]:
        """``revised`` findings for changed/removed figures; returns the added ones."""
        diff = revision_changes(old, new, self.settings)
        for change in diff.changes:
            claim_id: int | None = None
            value_id: int | None = None
            if change.new is not None:
                # The corrected value updates the claim without a second finding for it.
                claim_id, value_id = self.apply(
                    change.new, decide(change.new, self.claims(change.new.key), self.settings),
                    emit=False,
                )  # fmt: skip
                self.link(change.new, claim_id)
            else:
                claim_id = next(
                    (c.id for c in self.claims(change.old.key) if c.key == change.old.key), None
                )
            if not self.confident(change.new or change.old):
                continue
            self.finding(
                FindingKind.REVISED, change.new or change.old,
                change.new.ref if change.new else None, (change.old.ref,), claim_id, value_id,
                change="changed" if change.new else "removed",
            )  # fmt: skip
        for item in diff.unchanged:
            claims = self.claims(item.key)
            self.link(item, claims[0].id if claims else None)
        return list(diff.added)


def _fields(finding: Finding) -> dict[str, Any]:
    return {name: getattr(finding, name) for name in Finding.__dataclass_fields__}


class FindingSink(Protocol):
    """Where each stored finding goes next, in the same unit of work: the alerts stage's
    :class:`ingest.alerts.enqueue.Alerter`, or nothing."""

    def __call__(self, finding: Finding, *, now: datetime) -> object: ...


def record_findings(
    store: FindingStore,
    article_id: int,
    revision: int,
    decision_kind: DecisionKind | str,
    now: datetime,
    settings: FindingSettings,
    *,
    figure_settings: FigureSettings | None = None,
    alerts: FindingSink | None = None,
) -> list[Finding]:
    """Compare the figures of one stored revision with the corpus; store and return findings.

    NEW articles: each figure is new, consistent (corroboration) or changed/conflict.
    DUPLICATE appearances corroborate and never start a claim (no ``new`` finding); a figure
    in one that disagrees is still reported. REVISION: figures changed or removed since the
    previous revision are ``revised``; figures added are judged like NEW.
    Runs inside the caller's unit of work (``store.unit()``), so the findings and their alerts
    commit with the article or not at all; without one it raises :class:`UnitOfWorkError`.
    """
    store.require_unit("record_findings")
    kind = DecisionKind(decision_kind)
    if kind not in (DecisionKind.NEW, DecisionKind.DUPLICATE, DecisionKind.REVISION):
        return []
    labels = {m.key: m.label for m in figure_settings.metrics} if figure_settings else {}
    recorder = _Recorder(store, now, settings, labels, alerts)
    read = _observations(store, article_id, revision, now, settings, figure_settings)
    observations = read.observations
    if kind is DecisionKind.REVISION:
        before = store.previous_revision_with_figures(article_id, revision)
        if before is not None:
            old = _observations(store, article_id, before, now, settings, figure_settings)
            observations = recorder.revise(old.observations, observations)
    recorder.judge(observations, duplicate=kind is DecisionKind.DUPLICATE)
    recorder.check_conversions(read.conversions)
    recorder.store_links()
    return recorder.findings
