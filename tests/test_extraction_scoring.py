"""The Zyte benchmark scorer: shingles, per-page precision/recall, macro F1, bootstrap spread."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.extract.scoring import PageScore, score_all, score_page, shingles, summarise

WORDS = "one two three four five six seven eight nine ten"


def test_shingles_are_four_token_multisets() -> None:
    """Four-token windows, counted: a repeated window counts twice."""
    grams = shingles("a b c d a b c d".split())
    assert grams[("a", "b", "c", "d")] == 2 and sum(grams.values()) == 5


def test_identical_texts_score_perfectly() -> None:
    """Same tokens (punctuation and spacing aside) is precision 1, recall 1 and exact."""
    assert score_page(WORDS, f"  {WORDS.replace(' ', ', ')}!") == PageScore(1.0, 1.0, True)


def test_extra_and_missing_text() -> None:
    """Extra predicted shingles lower precision; missed truth shingles lower recall."""
    half = " ".join(WORDS.split()[:5])
    missing = score_page(WORDS, half)
    assert missing.precision == 1.0 and missing.recall == 2 / 7
    extra = score_page(half, WORDS)
    assert extra.precision == 2 / 7 and extra.recall == 1.0


def test_empty_prediction_scores_zero() -> None:
    """Nothing extracted from a page with an article is precision 0 and recall 0."""
    assert score_page(WORDS, "") == PageScore(0.0, 0.0, False)


def test_f1_of_macro_averages_not_mean_of_f1() -> None:
    """F1 is taken of the averaged precision and recall, as the README says."""
    score = summarise([PageScore(1.0, 0.5, False), PageScore(0.5, 1.0, False)], resamples=0)
    assert score.precision == 0.75 and score.recall == 0.75 and score.f1 == 0.75


def test_missing_prediction_counts_as_empty() -> None:
    """A page absent from the predictions is scored as an empty extraction."""
    score, per_page = score_all({"a": WORDS, "b": WORDS}, {"a": WORDS}, resamples=0)
    assert per_page["b"].recall == 0.0 and score.recall == 0.5 and score.accuracy == 0.5


def test_bootstrap_spread_is_deterministic_and_zero_for_equal_pages() -> None:
    """Equal pages have no spread; the same seed gives the same spread."""
    same = summarise([PageScore(0.9, 0.8, False)] * 10, resamples=50)
    assert same.f1_std == pytest.approx(0.0, abs=1e-12)
    mixed = [PageScore(1.0, 1.0, True), PageScore(0.0, 0.0, False)] * 5
    first, second = summarise(mixed, resamples=50), summarise(mixed, resamples=50)
    assert first.f1_std == second.f1_std > 0.0


@given(st.text(max_size=200), st.text(max_size=200))
def test_scores_are_bounded(truth: str, prediction: str) -> None:
    """Precision and recall stay in [0, 1] for any pair of texts."""
    page = score_page(truth, prediction)
    assert 0.0 <= page.precision <= 1.0 and 0.0 <= page.recall <= 1.0


@given(st.lists(st.sampled_from(WORDS.split()), min_size=4, max_size=40))
def test_a_text_scores_perfectly_against_itself(words: list[str]) -> None:
    """Any text compared with itself is an exact, perfect match."""
    text = " ".join(words)
    assert score_page(text, text) == PageScore(1.0, 1.0, True)
