"""Shingles, MinHash signatures and band keys (ingest.dedup.sketch)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.dedup import (
    DedupSettings,
    band_keys,
    estimated_jaccard,
    overlap,
    shingles,
    signature,
)

SETTINGS = DedupSettings()
GOLDEN = Path(__file__).parent / "data" / "dedup" / "band_keys.json"
TEXT = (
    "Alibaba Cloud cut the price of its Qwen-VL model by up to 85% on Tuesday, the third "
    "round of reductions this year, as providers compete for corporate AI customers."
)


def _random_text(rng: random.Random, n: int) -> list[str]:
    return [f"w{rng.randrange(400)}" for _ in range(n)]


def test_band_keys_match_the_golden_file() -> None:
    """Band keys are persisted, so the keys of a fixed text must never change silently."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden["text"] == TEXT
    assert band_keys(signature(TEXT, SETTINGS)) == golden["keys"]


def test_keys_are_one_per_band_and_fit_a_signed_integer() -> None:
    """A signature yields one distinct key per band, each within SQLite's INTEGER range."""
    keys = band_keys(signature(TEXT, SETTINGS))
    assert len(keys) == SETTINGS.bands == len(set(keys))
    assert all(0 <= k < 2**63 for k in keys)


def test_signature_shape_follows_settings() -> None:
    """The signature holds bands x rows values and the shingle count."""
    settings = DedupSettings(bands=10, rows=3)
    sig = signature(TEXT, settings)
    assert len(sig.values) == 30
    assert (sig.bands, sig.rows) == (10, 3)
    assert sig.shingle_count == len(shingles(TEXT)) > 0
    assert len(band_keys(sig)) == 10


def test_stubs_are_not_indexed() -> None:
    """Empty and very short texts get no band keys (they would all share one bucket)."""
    assert band_keys(signature("", SETTINGS)) == []
    assert band_keys(signature("Subscribe to read.", SETTINGS)) == []
    assert signature("", SETTINGS).shingle_count == 0


def test_short_text_is_one_shingle() -> None:
    """A text shorter than the shingle size is a single shingle, not none."""
    assert len(shingles("Qwen three", size=5)) == 1


def test_estimate_tracks_exact_jaccard() -> None:
    """The MinHash estimate is close to the exact shingle Jaccard over many pairs."""
    rng = random.Random(3)
    errors = []
    for _ in range(60):
        base = _random_text(rng, 200)
        other = list(base)
        for _ in range(rng.randrange(0, 120)):
            other[rng.randrange(len(other))] = f"x{rng.randrange(10**6)}"
        a, b = " ".join(base), " ".join(other)
        exact = overlap(shingles(a), shingles(b)).jaccard
        errors.append(
            abs(estimated_jaccard(signature(a, SETTINGS), signature(b, SETTINGS)) - exact)
        )
    assert sum(errors) / len(errors) < 0.05
    assert max(errors) < 0.25


def test_near_copies_share_keys_and_unrelated_texts_do_not() -> None:
    """A copy with a few words changed shares band keys; an unrelated text shares none."""
    rng = random.Random(5)
    base = _random_text(rng, 300)
    copy = list(base)
    for i in range(0, 300, 30):
        copy[i] = "changed"
    keys = set(band_keys(signature(" ".join(base), SETTINGS)))
    assert keys & set(band_keys(signature(" ".join(copy), SETTINGS)))
    unrelated = " ".join(_random_text(random.Random(6), 300)).replace("w", "v")
    assert not keys & set(band_keys(signature(unrelated, SETTINGS)))


@given(st.text(min_size=0, max_size=300))
def test_signature_is_deterministic(text: str) -> None:
    """The same text always yields the same signature and keys."""
    assert signature(text, SETTINGS) == signature(text, SETTINGS)
    assert band_keys(signature(text, SETTINGS)) == band_keys(signature(text, SETTINGS))


@given(st.lists(st.sampled_from(["alibaba", "qwen", "cloud", "7%", "rose", "the"]), max_size=60))
def test_presentation_does_not_change_the_signature(parts: list[str]) -> None:
    """Case and spacing variants of a text have identical signatures."""
    text = " ".join(parts)
    assert signature(text.upper().replace(" ", "\n "), SETTINGS) == signature(text, SETTINGS)


@pytest.mark.parametrize("seed", [1, 2])
def test_seed_changes_keys(seed: int) -> None:
    """Another seed gives other keys (which is why the index records the seed)."""
    other = DedupSettings(seed=SETTINGS.seed + seed)
    assert band_keys(signature(TEXT, other)) != band_keys(signature(TEXT, SETTINGS))
