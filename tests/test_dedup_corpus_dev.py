"""Copies and related stories on real coverage (corpus-dev), through the product's import path.

Reads ``$INGEST_SHARED/corpus-dev/corpus-dev.jsonl`` (never copied into the repository) and
runs it through ``bench/bench_copies.py``'s harness: the texts imported into a fresh store by
``ingest.extract.importer`` and ``ingest.dedup.corpus.save_article``. Skips, saying why, when
the data is absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ingest.dedup import DedupSettings

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_copies.py"


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_copies", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_copies"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scored() -> dict[str, Any]:
    b = bench()
    path = b.corpus_path()
    if not path.is_file():
        pytest.skip(f"corpus-dev not found at {path}; set INGEST_SHARED")
    rows = b.load(path)
    result: dict[str, Any] = b.score(rows, b.run(rows, DedupSettings()))
    return result


def test_text_reusing_copies_join(scored: dict[str, Any]) -> None:
    """Every copy sharing >= 0.3 of its 5-word shingles (the README's text-reusing copies:
    verbatim, cut, promo inserted, spinning, MT round trip, transcript) joins its original."""
    measured = scored["text_reusing_measured"]
    assert measured["pairs"] >= 7
    assert measured["recall"] >= 0.95, scored["copies_not_joined"]


def test_text_reusing_copies_by_label_join(scored: dict[str, Any]) -> None:
    """Every copy labelled text-reusing joins its original, including the two that measure like
    paraphrases on shingles: the synonym-spun copy (0.05 of its shingles) and the round trip
    of a body whose stored original is mostly a preamble (0.04); both through the sentence
    correspondence (ingest.dedup.sentences)."""
    by_label = scored["text_reusing"]
    assert by_label["pairs"] >= 9
    assert by_label["recall"] >= 0.95, scored["copies_not_joined"]


def test_no_wrong_merge_of_independent_stories(scored: dict[str, Any]) -> None:
    """No two texts that are not copies of one another end up in one story."""
    assert scored["wrong_merges"] == []


def test_related_story_precision(scored: dict[str, Any]) -> None:
    """Related links (same event, written separately) are right at least 95% of the time,
    and there are some."""
    related = scored["related"]
    assert related["tp"] >= 10
    assert related["precision"] >= 0.95, related["false"]


def test_split_is_deterministic_and_covers_both_halves() -> None:
    """The tune/score split depends only on the cluster name and uses both halves."""
    b = bench()
    names = [f"cluster-{i}" for i in range(40)]
    halves = [b.half_of(n) for n in names]
    assert halves == [b.half_of(n) for n in names]
    assert set(halves) == {"A", "B"}
