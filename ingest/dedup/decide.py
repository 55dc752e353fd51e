"""The decision: is an incoming article new, a duplicate, a revision, or unchanged?

Pure: the caller (pipeline/store) looks up the article already stored at the same canonical URL
or GUID (``same_url_prior``) and the near-duplicate candidates from the band index, loads their
texts, and calls :func:`classify`. Order of the layers, cheapest and surest first:

1. Same document (same canonical URL, or same GUID from the same source): identical text or a
   flip-flop back to an earlier revision is ``unchanged``; a collapse of the text (extraction
   failure, paywall stub) is ``unchanged``; anything else is a ``revision``.
2. Identical normalised text elsewhere: ``duplicate`` of that story (``unchanged`` when it is the
   same outlet, i.e. the same article seen through another URL).
3. Same outlet, almost the same text at another URL (slug edited with the headline): ``revision``.
4. Verified near-duplicate from another outlet (the smaller text is almost all inside the larger,
   and covers a fair share of it): ``duplicate``. Separately written stories on one event share
   figures and a quote or two, never most of their 5-word shingles, so they stay ``new``.
5. Reworded copy from another outlet (synonym-spun, machine-translation round trip, a transcript
   of it): most of the shorter text's content words align, in order, with the other's
   (:mod:`ingest.dedup.align`), and when both state numbers they share one: ``duplicate``.
   Checked against the candidate's earlier revisions too, so a copy made before a correction
   still joins its story.
6. Reworded sentence by sentence (a thorough spin, a round trip of a body behind a preamble):
   most of the overlap lies in sentences that correspond in order, closely
   (:mod:`ingest.dedup.sentences`): ``duplicate``. Only for candidates past a cheap gate.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ingest.dedup import sentences
from ingest.dedup.align import (
    Alignment,
    align,
    content_words,
    figures_in,
    numbers_in,
    shared_words,
)
from ingest.dedup.normalise import tokens
from ingest.dedup.settings import DedupSettings
from ingest.dedup.sketch import U64, shingles_of_tokens
from ingest.dedup.verify import Overlap, overlap
from ingest.models import DecisionKind

# Below this many content words in the shorter text the alignment is not evidence: a short
# brief aligns with any long story on its topic.
MIN_ALIGNED_WORDS = 25


@dataclass(frozen=True, slots=True, kw_only=True)
class Incoming:
    """An article about to be stored: extracted text plus where it came from.

    ``url`` is the canonical URL (rel=canonical / og:url, tracking parameters stripped).
    """

    text: str
    url: str
    source: str
    guid: str | None = None
    title: str = ""
    published: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """An article already stored, offered for comparison.

    ``id`` is the article id; ``story_id`` the story it is an appearance of (None when it is a
    story itself). ``text`` is its current (latest) revision. ``revision_hashes`` are the
    :func:`text_hash` values of all its stored revisions, oldest first (may be empty for
    candidates; needed on the same-URL prior for flip-flop detection).
    """

    id: int
    text: str
    url: str
    source: str
    guid: str | None = None
    title: str = ""
    published: datetime | None = None
    story_id: int | None = None
    revision_hashes: tuple[str, ...] = ()
    # Texts of earlier revisions (oldest first, a bounded few): a copy made before a correction
    # is verified against the text it was copied from.
    earlier_texts: tuple[str, ...] = ()


# The article stored at the same canonical URL or GUID: same shape as a candidate.
Prior: TypeAlias = Candidate


@dataclass(frozen=True, slots=True)
class Decision:
    """Outcome of :func:`classify`.

    ``target_id``: for ``duplicate`` the story id; for ``revision`` and ``unchanged`` the article
    id that is revised / already holds the text; None for ``new``. Scores are those of the
    compared text that decided (or the best candidate for ``new``), None when nothing was
    compared. ``text_hash`` is the incoming text's hash, for the caller to store.
    """

    kind: DecisionKind
    target_id: int | None
    reason: str
    text_hash: str
    jaccard: float | None = None
    containment: float | None = None
    coverage: float | None = None
    alignment: float | None = None  # share of the shorter text's content words aligned in order


_TRACKING_PREFIXES = ("utm_",)
_TRACKING_NAMES = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid"})


def url_key(url: str) -> str:
    """A defensive URL identity for comparing candidates: host case, fragment, tracking
    parameters and a trailing slash do not count (the store canonicalises first; this only
    makes sure a candidate that slipped through is still seen as the same document)."""
    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_NAMES
    ]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), path, urlencode(sorted(query)), "")
    )


def _same_document(incoming: Incoming, cand: Candidate) -> bool:
    # A GUID is only an identity within one feed; aggregators copy other feeds' GUIDs.
    if incoming.guid and cand.guid == incoming.guid and cand.source == incoming.source:
        return True
    return bool(incoming.url) and url_key(incoming.url) == url_key(cand.url)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A text tokenised once: tokens, :func:`text_hash`, sorted shingle hashes, content words
    (for the alignment) and distinctive figures (for the story index and related stories).

    Tokenising is the dearest part of a decision; the caller that also needs the signature
    (``signature_of_shingles(prepared.shingles, settings)``) passes this to :func:`classify`
    so the incoming text is tokenised once, not twice.
    """

    words: list[str]
    hash: str
    shingles: U64
    content: list[str]
    figures: tuple[str, ...]
    numbers: frozenset[str]


def prepare(text: str, settings: DedupSettings) -> Prepared:
    """Tokens, hash and shingles of ``text`` under ``settings``."""
    words = tokens(text)
    digest = hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()
    return Prepared(
        words,
        digest,
        shingles_of_tokens(words, settings.shingle_size),
        content_words(words),
        figures_in(words, limit=settings.figure_key_limit),
        numbers_in(words),
    )


@functools.lru_cache(maxsize=256)
def prepared_candidate(text: str, settings: DedupSettings) -> Prepared:
    """:func:`prepare` of a stored candidate's text, cached: the same popular stories are
    proposed as candidates again and again (bounded: 256 texts, a few MB)."""
    return prepare(text, settings)


def _scored(
    kind: DecisionKind,
    target: int | None,
    reason: str,
    digest: str,
    ov: Overlap | None,
    al: Alignment | None = None,
) -> Decision:
    if ov is None:
        return Decision(kind, target, reason, digest)
    return Decision(
        kind,
        target,
        reason,
        digest,
        jaccard=round(ov.jaccard, 4),
        containment=round(ov.containment, 4),
        coverage=round(ov.coverage, 4),
        alignment=None if al is None else round(al.contained, 4),
    )


def _against_prior(inc: Prepared, prior: Prior, settings: DedupSettings) -> Decision:
    old = prepare(prior.text, settings)
    ov = overlap(inc.shingles, old.shingles)
    history = prior.revision_hashes or (old.hash,)
    if inc.hash in (old.hash, history[-1]):
        return _scored(
            DecisionKind.UNCHANGED, prior.id, "same text as the stored revision", inc.hash, ov
        )
    if inc.hash in history:
        number = history.index(inc.hash) + 1
        return _scored(
            DecisionKind.UNCHANGED,
            prior.id,
            f"flip-flop back to revision {number}, not a new revision",
            inc.hash,
            ov,
        )
    if len(inc.words) < settings.collapse_ratio * len(old.words):
        return _scored(
            DecisionKind.UNCHANGED,
            prior.id,
            f"text collapsed from {len(old.words)} to {len(inc.words)} words "
            "(extraction failure or paywall stub), not a revision",
            inc.hash,
            ov,
        )
    return _scored(DecisionKind.REVISION, prior.id, "same document, text changed", inc.hash, ov)


def classify(
    incoming: Incoming,
    same_url_prior: Prior | None,
    candidates: list[Candidate],
    settings: DedupSettings,
    *,
    prepared: Prepared | None = None,
) -> Decision:
    """Decide what ``incoming`` is, given the article at its URL and the index's candidates.

    ``prepared``, when given, must be ``prepare(incoming.text, settings)``: it saves tokenising
    the text again when the caller already did so for the signature.
    """
    inc = prepared if prepared is not None else prepare(incoming.text, settings)
    prior = same_url_prior
    if prior is None:
        prior = next((c for c in candidates if _same_document(incoming, c)), None)
    if prior is not None:
        return _against_prior(inc, prior, settings)

    scored = [
        (cand, prepared_candidate(cand.text, settings))
        for cand in candidates[: settings.candidate_limit]
    ]
    for cand, prep in scored:
        # An earlier revision's text counts too: a copy made before a correction, or the
        # outlet's own page flip-flopping under a second URL.
        if inc.hash == prep.hash or inc.hash in cand.revision_hashes:
            ov = overlap(inc.shingles, prep.shingles)
            if cand.source == incoming.source:
                reason = "same outlet, same text at another URL"
                return _scored(DecisionKind.UNCHANGED, cand.id, reason, inc.hash, ov)
            story = cand.story_id or cand.id
            return _scored(DecisionKind.DUPLICATE, story, "identical normalised text", inc.hash, ov)

    # Earlier revisions count as well as the current text: the copy may predate a correction.
    versions = [
        [prep, *(prepared_candidate(t, settings) for t in cand.earlier_texts)]
        for cand, prep in scored
    ]
    overlaps = [
        (cand, max((overlap(inc.shingles, v.shingles) for v in vs), key=_by_containment))
        for (cand, _), vs in zip(scored, versions, strict=True)
    ]
    same_outlet = [
        (cand, ov)
        for cand, ov in overlaps
        if cand.source == incoming.source and ov.jaccard >= settings.same_source_revision_jaccard
    ]
    if same_outlet:
        cand, ov = max(same_outlet, key=lambda pair: pair[1].jaccard)
        reason = f"same outlet, almost the same text (Jaccard {ov.jaccard:.2f}) at another URL"
        return _scored(DecisionKind.REVISION, cand.id, reason, inc.hash, ov)

    copies = [
        (cand, ov)
        for cand, ov in overlaps
        if ov.containment >= settings.duplicate_containment
        and ov.coverage >= settings.duplicate_min_overlap
    ]
    if copies:
        cand, ov = max(copies, key=lambda pair: (pair[1].containment, pair[1].jaccard))
        reason = (
            f"republished text: {ov.containment:.0%} of the smaller text is in the other, "
            f"covering {ov.coverage:.0%} of the larger"
        )
        return _scored(DecisionKind.DUPLICATE, cand.story_id or cand.id, reason, inc.hash, ov)

    # Reworded copies: the ordered content-word alignment, against the current text and the
    # earlier revisions (the copy may predate a correction). The larger text must be covered
    # as for verbatim copies, so a one-paragraph brief does not join a long story.
    # A rewrite keeps the numbers: when both texts state numbers and share none, they report
    # different facts (another story in the same house template), not one story reworded.
    aligned: list[tuple[Candidate, Overlap, Alignment]] = []
    # Versions worth the sentence-by-sentence test (rule 6), a cost gate: numbers agree, a
    # distinctive figure in common and enough shared vocabulary (ingest.dedup.sentences).
    gated: list[tuple[Candidate, Overlap, str]] = []
    my_figures = set(inc.figures)
    for (cand, ov), vs in zip(overlaps, versions, strict=True):
        top = Alignment(0, len(inc.content), len(vs[0].content))
        for text, v in zip((cand.text, *cand.earlier_texts), vs, strict=True):
            if not _numbers_agree(inc.numbers, v.numbers):
                continue
            shared = shared_words(inc.content, v.content)
            al = align(inc.content, v.content, needed=settings.copy_alignment, shared=shared)
            if al.contained > top.contained:
                top = al
            if shared >= sentences.GATE_SHARE * min(
                len(inc.content), len(v.content)
            ) and not my_figures.isdisjoint(v.figures):
                gated.append((cand, ov, text))
        aligned.append((cand, ov, top))
    reworded = [
        (cand, ov, al)
        for cand, ov, al in aligned
        if al.contained >= settings.copy_alignment
        and al.covered >= settings.duplicate_min_overlap
        and min(al.a_len, al.b_len) >= MIN_ALIGNED_WORDS
    ]
    if reworded:
        cand, ov, al = max(reworded, key=lambda t: (t[2].contained, t[2].covered))
        reason = (
            f"reworded copy: {al.contained:.0%} of the shorter text's content words align in "
            f"order with the other, covering {al.covered:.0%} of the longer"
        )
        return _scored(DecisionKind.DUPLICATE, cand.story_id or cand.id, reason, inc.hash, ov, al)

    # Reworded sentence by sentence (heavy spin, translation round trip): most of the overlap
    # lies in sentences that correspond in order (ingest.dedup.sentences), covering the larger
    # text as for the other copy rules.
    if gated:
        mine = sentences.sentences_of(incoming.text)
        found: list[tuple[Candidate, Overlap, sentences.Correspondence]] = []
        for cand, ov, text in gated:
            cor = sentences.correspondence(mine, sentences.sentences_of(text))
            if _sentence_copy(cor, settings):
                found.append((cand, ov, cor))
        if found:
            cand, ov, cor = max(found, key=lambda t: (t[2].share, t[2].sentences))
            reason = (
                f"reworded copy, sentence by sentence: {cor.sentences} sentences correspond in "
                f"order, holding {cor.share:.0%} of the overlapping text"
            )
            story = cand.story_id or cand.id
            return _scored(DecisionKind.DUPLICATE, story, reason, inc.hash, ov)

    best = max(aligned, key=lambda t: (t[2].contained, t[1].containment), default=None)
    reason = "no candidate" if best is None else "no candidate passed verification"
    if best is None:
        return _scored(DecisionKind.NEW, None, reason, inc.hash, None)
    return _scored(DecisionKind.NEW, None, reason, inc.hash, best[1], best[2])


def _sentence_copy(cor: sentences.Correspondence, settings: DedupSettings) -> bool:
    """The chain has a copy's shape, holds most of the overlap, its sentences follow each
    other closely, it is long enough to be evidence and covers the larger text as much as any
    copy must (``duplicate_min_overlap``)."""
    return (
        cor.is_copy_shape
        and cor.share >= sentences.COPY_SHARE
        and cor.aligned >= sentences.ALIGNED_SHARE
        and min(cor.matched) >= MIN_ALIGNED_WORDS
        and cor.covered >= settings.duplicate_min_overlap
    )


def _numbers_agree(mine: frozenset[str], theirs: frozenset[str]) -> bool:
    return not (mine and theirs) or not mine.isdisjoint(theirs)


def _by_containment(ov: Overlap) -> tuple[float, float]:
    return (ov.containment, ov.coverage)
