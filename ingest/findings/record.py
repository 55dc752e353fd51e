"""The glue: judge the figures of a just-stored article revision and store the findings.

Called by ``corpus.save_article`` inside its transaction, after the figures are written, so an
article, its figures, the claim updates, the findings and their alert rows commit together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ingest.dedup import DecisionKind
from ingest.figures import FigureSettings
from ingest.findings.claims import (
    ClaimKey,
    claim_key,
    interval_of,
    is_prior_mention,
    relative_change,
)
from ingest.findings.compare import (
    KnownClaim,
    Observation,
    Verdict,
    VerdictKind,
    decide,
    revision_changes,
)
from ingest.findings.model import FigureRef, Finding, FindingKind, finding_to_dict
from ingest.findings.settings import FindingSettings
from ingest.store.findings import FindingQueries

__all__ = ["record_findings"]


def _observe(
    ref: FigureRef, key: ClaimKey, when: datetime, settings: FindingSettings
) -> Observation:
    source = ref.source or urlsplit(ref.article_url).hostname or ref.article_url
    # Imported documents have no feed: their host names the outlet, in the records too.
    ref = replace(ref, source=source)
    return Observation(ref, key, interval_of(ref.figure, settings), source, ref.published or when)


def _observations(
    store: FindingQueries, article_id: int, revision: int, now: datetime, settings: FindingSettings
) -> list[Observation]:
    """The figures of a revision that carry a claim. Conversions of a figure in the same article
    ("380 billion yuan (~$53 billion)") and the value a figure replaced ("480 billion yuan, up
    from 380 billion") restate something and are left out."""
    fetched = store.article_fetched_at(article_id) or now
    out = []
    for ref in store.revision_figures(article_id, revision):
        key = claim_key(ref.figure)
        # Conversions restate a figure of the article; "up from X" restates the old value.
        if (
            key is not None
            and ref.figure.equivalent_of is None
            and not is_prior_mention(ref.figure)
        ):
            out.append(_observe(ref, key, fetched, settings))
    return out


class _Recorder:
    """One call's state: the store, the clock, and claims loaded once per subject and metric."""

    def __init__(
        self, store: FindingQueries, now: datetime, settings: FindingSettings,
        labels: dict[str, str],
    ) -> None:  # fmt: skip
        self.store, self.now, self.settings, self.labels = store, now, settings, labels
        self.findings: list[Finding] = []

    def claims(self, key: ClaimKey) -> list[KnownClaim]:
        return self.store.claims_for(
            key.subject, key.metric, period=key.period, previous_limit=self.settings.max_previous
        )

    def finding(
        self, kind: FindingKind, obs: Observation, figure: FigureRef | None,
        previous: Sequence[FigureRef], claim_id: int | None, value_id: int | None,
        change: str | None = None,
    ) -> None:  # fmt: skip
        rel = relative_change(previous[0].figure, figure.figure) if figure and previous else None
        sources = self.store.value_sources(value_id) if value_id else ()
        found = Finding(
            kind=kind, subject=obs.key.subject or None, metric=obs.key.metric,
            period=(figure or obs.ref).figure.period, figure=figure, previous=tuple(previous),
            article_url=obs.ref.article_url, created_at=self.now,
            metric_label=self.labels.get(obs.key.metric), relative_change=rel,
            corroborations=sources, change=change, claim_id=claim_id,
        )  # fmt: skip
        figure_id = figure.figure_id if figure else None
        found_id = self.store.add_finding(
            found, value_id=value_id, figure_id=figure_id, article_id=obs.ref.article_id
        )
        stored = Finding(**{**_fields(found), "id": found_id})
        self.findings.append(stored)
        enqueue: Callable[..., Any] | None = getattr(self.store, "enqueue_alert", None)
        if enqueue is not None:
            enqueue(finding_to_dict(stored), now=self.now)

    def apply(self, obs: Observation, verdict: Verdict, *, emit: bool) -> tuple[int, int]:
        """Write what ``verdict`` decided about ``obs``; returns the claim and value ids."""
        store, now = self.store, self.now
        claim = verdict.claim
        if verdict.kind is VerdictKind.CONSISTENT:
            assert claim is not None and verdict.matched is not None
            store.corroborate(verdict.matched.id, obs, now=now)
            return claim.id, verdict.matched.id
        claim_id = claim.id if claim else store.create_claim(obs.key, now=now)
        if verdict.kind is VerdictKind.NEW:
            value_id = store.add_claim_value(claim_id, obs, "current", now=now)
            if emit:
                self.finding(FindingKind.NEW, obs, obs.ref, (), claim_id, value_id)
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
        if emit and verdict.kind is VerdictKind.CHANGED:
            self.finding(FindingKind.CHANGED, obs, obs.ref, previous, claim_id, value_id)
        elif emit and verdict.kind is VerdictKind.CONFLICT:
            self.finding(FindingKind.CONFLICT, obs, obs.ref, previous, claim_id, value_id)
        return claim_id, value_id

    def judge(self, observations: Sequence[Observation], *, duplicate: bool) -> None:
        """Judge an article's figures, a claim key at a time.

        All figures of one key are judged against the state before the article: those that
        agree corroborate, and only the first that does not is taken as the article's value
        ("480 billion yuan, up from 380 billion" changes the claim once, whatever the order).
        A duplicate appearance never starts a claim (``new``); when its figure disagrees with
        the known value, that disagreement is still reported like any other.
        """
        keys = list(dict.fromkeys(o.key for o in observations))
        for key in keys:
            group = [o for o in observations if o.key == key]
            claims = self.claims(key)
            verdicts = [(o, decide(o, claims, self.settings)) for o in group]
            claim_id: int | None = None
            for obs, verdict in verdicts:
                if verdict.kind is VerdictKind.CONSISTENT:
                    claim_id, _ = self.apply(obs, verdict, emit=False)
            other = next((o for o, v in verdicts if v.kind is not VerdictKind.CONSISTENT), None)
            if other is not None:
                # Re-decide: corroborations just written may have moved the value's as_of.
                verdict = decide(other, self.claims(key), self.settings)
                if not (duplicate and verdict.kind is VerdictKind.NEW):
                    claim_id, _ = self.apply(other, verdict, emit=True)
            for obs in group:
                if obs.ref.figure_id is not None:
                    self.store.set_figure_claim(obs.ref.figure_id, claim_id, 1.0, ())

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
            else:
                claim_id = next(
                    (c.id for c in self.claims(change.old.key) if c.key == change.old.key), None
                )
            self.finding(
                FindingKind.REVISED, change.new or change.old,
                change.new.ref if change.new else None, (change.old.ref,), claim_id, value_id,
                change="changed" if change.new else "removed",
            )  # fmt: skip
        return list(diff.added)


def _fields(finding: Finding) -> dict[str, Any]:
    return {name: getattr(finding, name) for name in Finding.__dataclass_fields__}


def record_findings(
    store: FindingQueries,
    article_id: int,
    revision: int,
    decision_kind: DecisionKind | str,
    now: datetime,
    settings: FindingSettings,
    *,
    figure_settings: FigureSettings | None = None,
) -> list[Finding]:
    """Compare the figures of one stored revision with the corpus; store and return findings.

    NEW articles: each figure is new, consistent (corroboration) or changed/conflict.
    DUPLICATE appearances corroborate and never start a claim (no ``new`` finding); a figure
    in one that disagrees is still reported. REVISION: figures changed or removed since the
    previous revision are ``revised``; figures added are judged like NEW.
    Runs inside ``store.transaction()`` (joining the caller's).
    """
    kind = DecisionKind(decision_kind)
    if kind not in (DecisionKind.NEW, DecisionKind.DUPLICATE, DecisionKind.REVISION):
        return []
    labels = {m.key: m.label for m in figure_settings.metrics} if figure_settings else {}
    recorder = _Recorder(store, now, settings, labels)
    with store.transaction():
        observations = _observations(store, article_id, revision, now, settings)
        if kind is DecisionKind.REVISION:
            before = store.previous_revision_with_figures(article_id, revision)
            if before is not None:
                old = _observations(store, article_id, before, now, settings)
                observations = recorder.revise(old, observations)
        recorder.judge(observations, duplicate=kind is DecisionKind.DUPLICATE)
    return recorder.findings
