"""The Zyte article-extraction benchmark's scoring, as its README describes it.

Texts are tokenised with ``\\w+`` (Unicode, case kept) into 4-token shingles counted as a
multiset. Per page, true positives are the shingles both texts share (by count), false positives
the prediction's extra ones, false negatives the truth's missed ones, normalised to sum to one.
Precision and recall are averaged over pages and F1 is taken of those two averages (not the mean
of per-page F1). Accuracy is the share of pages whose token list equals the truth's exactly. The
spread is the standard deviation of each number over bootstrap resamples of the pages.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from random import Random

_TOKEN = re.compile(r"\w+")
SHINGLE = 4


@dataclass(frozen=True, slots=True)
class PageScore:
    precision: float
    recall: float
    exact: bool


@dataclass(frozen=True, slots=True)
class Score:
    """Macro precision and recall over pages, F1 of the two, accuracy, and bootstrap spreads."""

    f1: float
    precision: float
    recall: float
    accuracy: float
    pages: int
    f1_std: float = 0.0
    precision_std: float = 0.0
    recall_std: float = 0.0


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def shingles(words: Sequence[str], size: int = SHINGLE) -> Counter[tuple[str, ...]]:
    return Counter(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


def score_page(truth: str, prediction: str) -> PageScore:
    """One page's precision and recall on shingles (both 1.0 when both texts are empty)."""
    truth_words, predicted_words = tokens(truth), tokens(prediction)
    expected, found = shingles(truth_words), shingles(predicted_words)
    tp = sum((expected & found).values())
    fp = sum(found.values()) - tp
    fn = sum(expected.values()) - tp
    # The README normalises tp, fp, fn to sum to one; precision and recall are ratios, so the
    # normalisation cancels except for the all-empty page, which scores as a perfect match.
    if tp + fp + fn == 0:
        return PageScore(1.0, 1.0, truth_words == predicted_words)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return PageScore(precision, recall, truth_words == predicted_words)


def _aggregate(pages: Sequence[PageScore]) -> tuple[float, float, float, float]:
    n = len(pages)
    precision = sum(p.precision for p in pages) / n
    recall = sum(p.recall for p in pages) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall, sum(p.exact for p in pages) / n


def summarise(pages: Sequence[PageScore], *, resamples: int = 1000, seed: int = 0) -> Score:
    """Aggregate per-page scores; ``resamples`` bootstrap draws give the spreads (0 = none)."""
    if not pages:
        raise ValueError("no pages to score")
    f1, precision, recall, accuracy = _aggregate(pages)
    spreads = (0.0, 0.0, 0.0)
    if resamples > 1:
        rng = Random(seed)
        draws = [
            _aggregate([pages[rng.randrange(len(pages))] for _ in pages]) for _ in range(resamples)
        ]
        spreads = (_std([d[0] for d in draws]), _std([d[1] for d in draws]),
                   _std([d[2] for d in draws]))  # fmt: skip
    return Score(f1, precision, recall, accuracy, len(pages), *spreads)


def score_all(
    truths: Mapping[str, str], predictions: Mapping[str, str], *, resamples: int = 1000
) -> tuple[Score, dict[str, PageScore]]:
    """Score every page of ``truths``; a page missing from ``predictions`` counts as empty."""
    per_page = {key: score_page(truth, predictions.get(key, "")) for key, truth in truths.items()}
    return summarise(list(per_page.values()), resamples=resamples), per_page


def _std(values: Sequence[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
