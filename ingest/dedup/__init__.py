"""Dedup stage: recognise what the corpus already holds (issue 3).

Public API (all pure; the index's SQL lives in :mod:`ingest.store.neardup`)::

    normalise_text(text) -> str            text_hash(text) -> str
    signature(text, settings) -> Signature band_keys(sig) -> list[int]
    classify(incoming, same_url_prior, candidates, settings, *, prepared=None) -> Decision
    prepare(text, settings) -> Prepared    (tokenise once for both signature and classify)
    word_diff(old, new) -> str

Flow for one incoming article (the pipeline's job): look up the article at the same canonical
URL / GUID; ``keys = band_keys(signature(text, settings))``; ``ids = neardup.candidates(conn,
keys, settings.candidate_limit)``; load those articles as :class:`Candidate`; ``classify``;
store the result; ``neardup.add_to_index(conn, article_id, keys)`` for new stories and
revisions (duplicates point at a story already indexed).
"""

from ingest.dedup.decide import (
    Candidate,
    Decision,
    Incoming,
    Prepared,
    Prior,
    classify,
    prepare,
    url_key,
)
from ingest.dedup.diff import word_diff
from ingest.dedup.normalise import normalise_text, text_hash, tokens
from ingest.dedup.settings import DedupSettings, settings_from_mapping
from ingest.dedup.sketch import (
    Signature,
    band_keys,
    estimated_jaccard,
    shingles,
    signature,
    signature_of_shingles,
)
from ingest.dedup.verify import Overlap, overlap
from ingest.models import DecisionKind

__all__ = [
    "Candidate",
    "Decision",
    "DecisionKind",
    "DedupSettings",
    "Incoming",
    "Overlap",
    "Prepared",
    "Prior",
    "Signature",
    "band_keys",
    "classify",
    "estimated_jaccard",
    "normalise_text",
    "overlap",
    "prepare",
    "settings_from_mapping",
    "shingles",
    "signature",
    "signature_of_shingles",
    "text_hash",
    "tokens",
    "url_key",
    "word_diff",
]
