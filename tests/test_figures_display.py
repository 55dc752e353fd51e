"""format_value: figures as people write them, in tables (JSON keeps numbers)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.figures import format_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4.8e11, "480 billion"),
        (39.8e9, "39.8 billion"),
        (1.25e12, "1.25 trillion"),
        (3e6, "3 million"),
        (-2.5e9, "-2.5 billion"),
        (12_500.0, "12,500"),
        (999_999.0, "999,999"),
        (26.0, "26"),
        (0.00709, "0.00709"),
        (0.1 + 0.2, "0.3"),
        (0.0, "0"),
        (-0.0, "0"),
    ],
)
def test_values_read_as_written(value: float, text: str) -> None:
    """Big amounts use million/billion/trillion, small ones thousands separators, never an
    exponent or float noise."""
    assert format_value(value) == text


_WORDS = {"million": 1e6, "billion": 1e9, "trillion": 1e12}


def _read_back(text: str) -> float:
    number, _, word = text.partition(" ")
    return float(number.replace(",", "")) * _WORDS.get(word, 1.0)


@given(st.floats(min_value=-1e16, max_value=1e16, allow_nan=False))
def test_round_trip_within_six_digits(value: float) -> None:
    """Reading the text back gives the value to six significant digits; no exponent appears."""
    text = format_value(value)
    assert "e" not in text.replace("million", "").replace("billion", "").replace("trillion", "")
    assert math.isclose(_read_back(text), value, rel_tol=1e-5, abs_tol=1e-6)
