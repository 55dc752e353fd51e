"""Saving an article into the corpus: decide what it is, then write all of it in one transaction.

The decision itself is pure (:func:`ingest.dedup.classify`); this module fetches what the
decision needs from the store and writes what it decided. Everything one entry produces (the
entry row, the article or its new revision, the near-duplicate index keys) is written inside one
``store.unit()``: a kill at any moment leaves all of it or none.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from ingest.dedup import (
    Candidate,
    Decision,
    DecisionKind,
    DedupSettings,
    Incoming,
    Prepared,
    band_keys,
    classify,
    signature_of_shingles,
    word_diff,
)
from ingest.dedup.align import figure_keys
from ingest.dedup.decide import prepared_candidate
from ingest.dedup.related import relate
from ingest.extract.dates import date_from_text
from ingest.figures import Figure, FigureSettings, extract_figures
from ingest.findings import FindingSettings
from ingest.findings.record import FindingSink, record_findings
from ingest.models import ExtractedArticle, utcnow
from ingest.ops.metrics import NULL_METRICS, Metrics
from ingest.store import EntryRecord, KnownArticle
from ingest.store.interfaces import SaveStore

__all__ = [
    "Decision",
    "PreparedArticle",
    "outlet_of",
    "prepare_article",
    "save_article",
    "save_prepared",
]


def outlet_of(url: str, source_id: int | None) -> str:
    """The outlet an article belongs to, for "same outlet" decisions.

    The source (feed) it came through when there is one; for imported documents, the host.
    An outlet with several feeds carrying one article is caught earlier, by its canonical URL.
    """
    if source_id is not None:
        return f"source:{source_id}"
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def _candidate(known: KnownArticle) -> Candidate:
    return Candidate(
        id=known.id,
        text=known.text,
        url=known.canonical_url,
        source=outlet_of(known.canonical_url, known.source_id),
        guid=known.guid,
        story_id=known.duplicate_of,
        revision_hashes=known.revision_hashes,
        published=known.published,
        earlier_texts=known.earlier_texts,
    )


# A dateline older than this before the fetch is a caption or a quoted date, not the article's:
# feeds are polled within days of publication.
_TEXT_AGE = timedelta(days=45)


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    """The CPU-bound part of saving an article, computed without the store (in a worker
    thread, so the event loop and its HTTP timers keep running)."""

    article: ExtractedArticle
    incoming: Incoming
    prepared: Prepared
    keys: list[int]
    figures: tuple[Figure, ...]
    story_keys: list[int] = field(default_factory=list)


def settle_date(
    article: ExtractedArticle, fetched: datetime, *, max_text_age: timedelta | None = _TEXT_AGE,
    clock: str = "fetched",
) -> ExtractedArticle:  # fmt: skip
    """The article with a publication date and where it came from.

    The feed's, page's or import's own date is kept; without one, a dateline at the top of the
    text ("September 24, 2025"), else the fetch time. Periods ("the June quarter") and the
    "same time" of conflicts are read against this date, so a dateless page must not be dated
    by accident: a text date later than the fetch, or older than ``max_text_age`` before it,
    is not taken.
    """
    if article.published is not None:
        return replace(article, published_source=article.published_source or article.extraction)
    found = date_from_text(article.text, not_after=fetched.date(), max_age=max_text_age)
    if found is not None:
        moment = datetime(found.year, found.month, found.day, 12, tzinfo=UTC)
        return replace(article, published=min(moment, fetched), published_source="text")
    # "fetched": a poll's fetch, or an archive's crawl time; "imported": only the import's own
    # clock, which says nothing of when the text was written.
    return replace(article, published=fetched, published_source=clock)


def prepare_article(
    article: ExtractedArticle,
    *,
    source_id: int | None,
    guid: str | None,
    settings: DedupSettings,
    figure_settings: FigureSettings | None = None,
    fetched: datetime | None = None,
    text_date_max_age: timedelta | None = _TEXT_AGE,
    clock: str = "fetched",
) -> PreparedArticle:
    """Tokens, signature, band keys and figures of an article: pure, no I/O.

    ``fetched`` (when the article was fetched) dates an article that carries no date;
    ``text_date_max_age`` bounds how old a dateline may be (None: any age, for backfills).
    """
    if fetched is not None:
        article = settle_date(article, fetched, max_text_age=text_date_max_age, clock=clock)
    figures: tuple[Figure, ...] = ()
    if figure_settings is not None:
        published = article.published.date() if article.published else None
        figures = extract_figures(article.text, figure_settings, published=published)
    incoming = Incoming(
        text=article.text,
        url=article.canonical_url,
        source=outlet_of(article.canonical_url, source_id),
        guid=guid,
        title=article.title or "",
        published=article.published,
    )
    # Tokenised once for both the signature and the decision: tokenising is the dearest part.
    # Through the candidates' cache (the same pure ``prepare``): a story stored now is proposed
    # as a candidate to the articles that follow it, and its text need not be prepared again.
    prepared = prepared_candidate(article.text, settings)
    sig = signature_of_shingles(prepared.shingles, settings)
    # Stubs (too few shingles) stay out of the index: they would match everything short.
    keys = band_keys(sig) if sig.indexable else []
    return PreparedArticle(
        article, incoming, prepared, keys, figures, story_keys=figure_keys(prepared.figures)
    )


def save_article(
    store: SaveStore,
    article: ExtractedArticle,
    *,
    entry: EntryRecord | None,
    source_id: int | None,
    now: datetime,
    settings: DedupSettings,
    figure_settings: FigureSettings | None = None,
    guid: str | None = None,
    finding_settings: FindingSettings | None = None,
    text_date_max_age: timedelta | None = _TEXT_AGE,
    clock: str = "fetched",
    alerts: FindingSink | None = None,
) -> Decision:
    """Classify ``article`` against the corpus and store the outcome atomically."""
    ready = prepare_article(
        article, source_id=source_id, guid=entry.guid if entry else guid, settings=settings,
        figure_settings=figure_settings, fetched=now, text_date_max_age=text_date_max_age,
        clock=clock,
    )  # fmt: skip
    return save_prepared(
        store, ready, entry=entry, source_id=source_id, now=now, settings=settings,
        figure_settings=figure_settings, finding_settings=finding_settings, alerts=alerts,
    )  # fmt: skip


def save_prepared(
    store: SaveStore,
    ready: PreparedArticle,
    *,
    entry: EntryRecord | None,
    source_id: int | None,
    now: datetime,
    settings: DedupSettings,
    figure_settings: FigureSettings | None = None,
    finding_settings: FindingSettings | None = None,
    metrics: Metrics = NULL_METRICS,
    alerts: FindingSink | None = None,
) -> Decision:
    """Store a prepared article: the decision and everything it implies, in one transaction.

    The figures were extracted beforehand (CPU work does not hold the write lock) and are
    written here with the article or its new revision, then the findings and their alerts.
    """
    article, incoming, keys = ready.article, ready.incoming, ready.keys
    with store.unit():
        prior_row = store.article_by_url_or_guid(
            article.canonical_url, incoming.guid, source_id=source_id
        )
        prior = _candidate(prior_row) if prior_row else None
        candidate_ids: list[int] = []
        if prior is None:
            limit = settings.candidate_limit
            bands = store.neardup_candidates(keys, limit=limit, per_key_cap=settings.per_key_cap)
            # Reworded copies and same-event stories keep their figures, not their shingles:
            # half of the verified candidates are kept for the figure-key index's best.
            figures = store.story_key_candidates(ready.story_keys, limit=limit)
            half = max(1, limit // 2)
            for other in [*bands[:half], *figures[:half], *bands[half:], *figures[half:]]:
                if other not in candidate_ids and len(candidate_ids) < limit:
                    candidate_ids.append(other)
        by_id = {k.id: k for k in store.known_articles(candidate_ids)}
        known = [by_id[i] for i in candidate_ids if i in by_id]  # ranked as the indexes ranked
        candidates = [_candidate(k) for k in known]
        decision = classify(incoming, prior, candidates, settings, prepared=ready.prepared)
        article_id, revision = _apply(
            store, decision, article, prior_row, known, source_id, incoming.guid, now, keys
        )
        if decision.kind in (DecisionKind.NEW, DecisionKind.REVISION) and article_id is not None:
            store.story_keys_add(article_id, ready.story_keys)
        if decision.kind is DecisionKind.NEW and article_id is not None:
            for link in relate(incoming, ready.prepared, candidates, settings):
                store.add_related(
                    article_id, link.story_id, shared_figures=link.shared_figures,
                    alignment=link.alignment, reason=link.reason, now=now,
                )  # fmt: skip
        if revision is not None and article_id is not None and figure_settings is not None:
            store.add_figures(article_id, revision, ready.figures, now=now)
            store.mark_figures_extracted(article_id, revision, len(ready.figures))
            metrics.figures_extracted(len(ready.figures))
            if finding_settings is not None:
                # Findings, and the alerts they raise, commit with the article or not at all.
                found = record_findings(
                    store, article_id, revision, decision.kind, now, finding_settings,
                    figure_settings=figure_settings, alerts=alerts,
                )  # fmt: skip
                for finding in found:
                    metrics.finding_recorded(finding.kind.value)
        if entry is not None:
            store.upsert_entry(entry, now=now, article_id=article_id)
    return decision


def _apply(
    store: SaveStore,
    decision: Decision,
    article: ExtractedArticle,
    prior: KnownArticle | None,
    known: list[KnownArticle],
    source_id: int | None,
    guid: str | None,
    now: datetime,
    keys: list[int],
) -> tuple[int | None, int | None]:
    """Write the decision; returns the article id and the revision that was stored (if any)."""
    if decision.kind is DecisionKind.NEW:
        article_id = store.insert_article(
            article, source_id=source_id, guid=guid, text_hash=decision.text_hash, now=now,
            duplicate_of=None,
        )  # fmt: skip
        store.neardup_add(article_id, keys)
        return article_id, 1
    if decision.kind is DecisionKind.DUPLICATE:
        assert decision.target_id is not None
        copy_id = store.insert_article(
            article, source_id=source_id, guid=guid, text_hash=decision.text_hash, now=now,
            duplicate_of=decision.target_id,
        )  # fmt: skip
        return copy_id, 1
    assert decision.target_id is not None
    if decision.kind is DecisionKind.REVISION:
        target = prior if prior and prior.id == decision.target_id else None
        target = target or next((k for k in known if k.id == decision.target_id), None)
        old_text = target.text if target else ""
        # The article keeps its first URL; a revision found at another URL of the same outlet
        # (slug edited with the headline) is the same article.
        revised = replace(article, url=target.canonical_url) if target else article
        revision = store.add_revision(
            decision.target_id, revised, text_hash=decision.text_hash,
            diff=word_diff(old_text, article.text), now=now,
        )  # fmt: skip
        store.neardup_add(decision.target_id, keys)
        return decision.target_id, revision
    return decision.target_id, None


def backfill_figures(
    store: SaveStore, settings: FigureSettings, *, batch: int = 200, limit: int | None = None
) -> int:
    """Extract figures for stored revisions that never went through the extractor.

    Articles stored before the figures stage existed, or while it was switched off, get their
    figures here; each article is its own transaction. At most ``limit`` articles per call (the
    daemon does a few each tick, so a large backlog never holds its event loop for long).
    Returns how many were processed.
    """
    done = 0
    while (limit is None or done < limit) and (
        ids := store.articles_without_figures(limit=min(batch, limit - done) if limit else batch)
    ):
        for known in store.known_articles(ids):
            row = store.get_article(known.id)
            published = row.published.date() if row and row.published else None
            figures = extract_figures(known.text, settings, published=published)
            with store.unit():
                store.add_figures(known.id, known.revision, figures, now=utcnow())
                store.mark_figures_extracted(known.id, known.revision, len(figures))
            done += 1
    return done
