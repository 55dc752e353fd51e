"""scan: qualifier, sign and range read from the words around a number core."""

from __future__ import annotations

import pytest

from ingest.figures.scan import scan


def test_qualifier_span_starts_at_the_qualifier() -> None:
    """The raw figure's span includes its qualifier words."""
    text = "It has (approximately 300 models)."
    (raw,) = scan(text, "CNY")
    assert text[raw.start : raw.end] == "approximately 300"
    assert raw.qualifier == "approx"


def test_negated_minimum_becomes_maximum() -> None:
    """A loss "exceeding" 10 billion is at most -10 billion."""
    (raw,) = scan("a loss exceeding 10 billion yuan", "CNY")
    assert (raw.value, raw.qualifier, raw.high) == (-10e9, "max", -10e9)


@pytest.mark.parametrize(
    ("text", "count"),
    [("from 12% to 35%", 2), ("rose 26% to 33.4 billion yuan", 2), ("12% to 15%", 1)],
)
def test_to_is_a_range_only_when_nothing_says_otherwise(text: str, count: int) -> None:
    """ "from X to Y" and unit changes keep two figures; "X to Y" alone is a range."""
    assert len(scan(text, "CNY")) == count


def test_years_are_not_candidates() -> None:
    """A bare year is dropped, a year with a currency is not."""
    assert [r.value for r in scan("In 2024 it paid 2024 yuan.", "CNY")] == [2024.0]


def test_split_and_the_word_pattern_agree_on_whitespace() -> None:
    """_left_context splits with str.split where it once used the \\S+ pattern: both must cut at
    exactly the same characters, for every code point."""
    import re
    import sys

    nonspace = re.compile(r"\S+")
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        text = f"a{ch}b"
        assert text.split() == nonspace.findall(text), hex(code)
