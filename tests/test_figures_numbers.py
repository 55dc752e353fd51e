"""Number parsing: digits with separators, scale words, number words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.figures.numbers import parse_digits, parse_words, scale_value


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("25,960", 25960),
        ("33.40", 33.4),
        ("1,899", 1899),
        (".08", 0.08),
        ("12,34,567.89", 1234567.89),
    ],
)
def test_parse_digits(raw: str, value: float) -> None:
    """Separators are dropped and decimals kept."""
    assert parse_digits(raw) == pytest.approx(value)


def test_parse_digits_rejects_non_finite() -> None:
    """A digit string too long for a float yields None, not inf."""
    assert parse_digits("9" * 400) is None


@given(st.integers(min_value=0, max_value=10**15))
def test_parse_digits_round_trips_grouped_integers(n: int) -> None:
    """Any integer written with thousands separators parses back to itself."""
    assert parse_digits(f"{n:,}") == n


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("one trillion", 1e12),
        ("twenty-one trillion three hundred", 21e12 + 300),
        ("one hundred and six", 106),
        ("a dozen", 12),
        ("three dozens", 36),
        ("half a million", 5e5),
        ("a quarter million", 2.5e5),
        ("three quarters billion", 7.5e8),
        ("fifty two", 52),
    ],
)
def test_parse_words(raw: str, value: float) -> None:
    """English number words are added and multiplied in order."""
    parsed = parse_words(raw)
    assert parsed is not None
    assert parsed[0] == pytest.approx(value)
    assert parsed[1] == len(raw)


def test_parse_words_stops_at_invalid_sequence() -> None:
    """ "five six" is not one number: parsing stops after "five"."""
    assert parse_words("five six") == (5, 4)


@pytest.mark.parametrize(
    ("raw", "mult"),
    [("bn", 1e9), ("B", 1e9), ("mn", 1e6), ("k", 1e3), ("Trillion", 1e12), ("millions", 1e6)],
)
def test_scale_value(raw: str, mult: float) -> None:
    """Scale words and abbreviations map to their multipliers."""
    assert scale_value(raw) == mult
