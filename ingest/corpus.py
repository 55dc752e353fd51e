"""Saving an article into the corpus: decide what it is, then write all of it in one transaction.

The decision itself is pure (:func:`ingest.dedup.classify`); this module fetches what the
decision needs from the store and writes what it decided. Everything one entry produces (the
entry row, the article or its new revision, the near-duplicate index keys) is written inside one
``store.transaction()``: a kill at any moment leaves all of it or none.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from ingest.dedup import (
    Candidate,
    Decision,
    DecisionKind,
    DedupSettings,
    Incoming,
    band_keys,
    classify,
    signature,
    word_diff,
)
from ingest.models import ExtractedArticle
from ingest.store import EntryRecord, KnownArticle, Store

__all__ = ["Decision", "outlet_of", "save_article"]


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
    )


def save_article(
    store: Store,
    article: ExtractedArticle,
    *,
    entry: EntryRecord | None,
    source_id: int | None,
    now: datetime,
    settings: DedupSettings,
) -> Decision:
    """Classify ``article`` against the corpus and store the outcome atomically."""
    incoming = Incoming(
        text=article.text,
        url=article.canonical_url,
        source=outlet_of(article.canonical_url, source_id),
        guid=entry.guid if entry else None,
        title=article.title or "",
        published=article.published,
    )
    sig = signature(article.text, settings)
    # Stubs (too few shingles) stay out of the index: they would match everything short.
    keys = band_keys(sig) if sig.indexable else []
    with store.transaction():
        prior_row = store.article_by_url_or_guid(
            article.canonical_url, incoming.guid, source_id=source_id
        )
        prior = _candidate(prior_row) if prior_row else None
        candidate_ids: list[int] = []
        if prior is None:
            candidate_ids = store.neardup_candidates(
                keys, limit=settings.candidate_limit, per_key_cap=settings.per_key_cap
            )
        known = store.known_articles(candidate_ids)
        decision = classify(incoming, prior, [_candidate(k) for k in known], settings)
        article_id = _apply(
            store, decision, article, prior_row, known, source_id, incoming.guid, now, keys
        )
        if entry is not None:
            store.upsert_entry(entry, now=now, article_id=article_id)
    return decision


def _apply(
    store: Store,
    decision: Decision,
    article: ExtractedArticle,
    prior: KnownArticle | None,
    known: list[KnownArticle],
    source_id: int | None,
    guid: str | None,
    now: datetime,
    keys: list[int],
) -> int | None:
    if decision.kind is DecisionKind.NEW:
        article_id = store.insert_article(
            article, source_id=source_id, guid=guid, text_hash=decision.text_hash, now=now,
            duplicate_of=None,
        )  # fmt: skip
        store.neardup_add(article_id, keys)
        return article_id
    if decision.kind is DecisionKind.DUPLICATE:
        assert decision.target_id is not None
        return store.insert_article(
            article, source_id=source_id, guid=guid, text_hash=decision.text_hash, now=now,
            duplicate_of=decision.target_id,
        )  # fmt: skip
    assert decision.target_id is not None
    if decision.kind is DecisionKind.REVISION:
        target = prior if prior and prior.id == decision.target_id else None
        target = target or next((k for k in known if k.id == decision.target_id), None)
        old_text = target.text if target else ""
        # The article keeps its first URL; a revision found at another URL of the same outlet
        # (slug edited with the headline) is the same article.
        revised = replace(article, url=target.canonical_url) if target else article
        store.add_revision(
            decision.target_id, revised, text_hash=decision.text_hash,
            diff=word_diff(old_text, article.text), now=now,
        )  # fmt: skip
        store.neardup_add(decision.target_id, keys)
    return decision.target_id
