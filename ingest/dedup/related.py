"""Related stories: the same event, written separately. A link, never a merge.

Two stories written separately about one event share their figures and the names in them,
rarely their sentences; two stories about different events of one company share a figure or
two of background (last quarter's revenue, a pledge) and little else. The rule, in order:

- not related when both publication dates are known and further apart than
  ``related_max_days`` (a follow-up months later is another event, however alike);
- related when the two share at least ``related_min_figures`` distinctive figures;
- related when they share at least one and ``related_alignment`` of the shorter text's content
  words align, in order, with the other (a heavy paraphrase of the same wire story).

Copies never reach this stage: the decision made them ``duplicate`` first. Measured on the
labelled corpus (docs/dedup.md): precision 1.00 at recall about 0.3 of same-event pairs; the
rule is tuned for precision, an analyst's grouping must not mix events.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.dedup.align import align
from ingest.dedup.decide import Candidate, Incoming, Prepared, prepared_candidate
from ingest.dedup.settings import DedupSettings


@dataclass(frozen=True, slots=True)
class RelatedLink:
    """An incoming story's link to a story already stored (``story_id``), with the evidence."""

    story_id: int
    shared_figures: int
    alignment: float
    reason: str


def relate(
    incoming: Incoming,
    inc: Prepared,
    candidates: list[Candidate],
    settings: DedupSettings,
) -> list[RelatedLink]:
    """The stories among ``candidates`` that report the same event as ``incoming``.

    One link per story (a candidate that is a copy stands for its story), the strongest
    evidence kept; ordered by story id.
    """
    best: dict[int, RelatedLink] = {}
    mine = set(inc.figures)
    for cand in candidates:
        story = cand.story_id or cand.id
        if incoming.published and cand.published:
            apart = abs((incoming.published - cand.published).total_seconds()) / 86400
            if apart > settings.related_max_days:
                continue
        prep = prepared_candidate(cand.text, settings)
        shared = len(mine & set(prep.figures))
        if shared == 0:
            continue
        # With enough shared figures the alignment is only recorded; below that it decides.
        needed = 0.0 if shared >= settings.related_min_figures else settings.related_alignment
        aligned = align(inc.content, prep.content, needed=needed).contained
        if shared >= settings.related_min_figures:
            reason = f"{shared} distinctive figures in common"
        elif aligned >= settings.related_alignment:
            reason = f"{aligned:.0%} of the content words in the same order, {shared} figure(s)"
        else:
            continue
        link = RelatedLink(story, shared, round(aligned, 4), reason)
        old = best.get(story)
        if old is None or (link.shared_figures, link.alignment) > (
            old.shared_figures,
            old.alignment,
        ):
            best[story] = link
    return [best[k] for k in sorted(best)]
