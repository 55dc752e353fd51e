"""ingest.figures.lists: units written once for a list of numbers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.figures.core import Hints
from ingest.figures.lists import share_units
from ingest.figures.scan import scan


def units_of(text: str) -> list[tuple[str, float, str]]:
    return [(text[r.start : r.end], r.value, r.unit) for r in scan(text, Hints())]


def test_alternative_takes_the_unit_after_it() -> None:
    """ "8 or $9": the bare 8 is dollars too."""
    assert units_of("It costs 8 or $9.") == [("8", 8, "USD"), ("$9", 9, "USD")]


def test_alternative_takes_scale_and_sub_unit() -> None:
    """The shared unit brings its scale ("two or three billion") and sub-unit ("cents")."""
    assert units_of("two or three billion yuan")[0][1:] == (2e9, "CNY")
    assert units_of("It rose 4 or 5 cents.")[0][1:] == (0.04, "USD")


def test_fall_verb_signs_both_alternatives() -> None:
    """ "fell 8 or 9 percent": both numbers are falls."""
    assert [v for _, v, _ in units_of("Prices fell 8 or 9 percent.")] == [-8, -9]


def test_alternatives_must_be_of_one_size() -> None:
    """ "fell 90 or 0.3 percent" is points and a rate, not two rates."""
    assert units_of("The index fell 90 or 0.3 percent.")[0][2] == "count"


def test_counted_noun_keeps_its_count() -> None:
    """ "3 games or 5 percent": a number with a noun is a count, whatever follows."""
    assert units_of("It lost 3 games or 5 percent.")[0][2] == "count"


def test_bare_change_takes_rate_of_its_sentence_only() -> None:
    """The rate's unit does not cross a sentence end."""
    assert units_of("Sales rose 3 percent. Then they fell 1 in June.")[1][2] == "count"
    assert units_of("Sales rose 3 percent but fell 1 in June.")[1][1:] == (-1, "%")


def test_bare_change_to_a_level_is_points() -> None:
    """ "fell 45 to 8,100" is index points to a level, not a percentage."""
    assert units_of("Stocks rose 1 percent and the FTSE fell 4 to 8,100.")[1][2] == "count"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["8", " or ", "$9", " fell ", " by ", "2", " percent", ", ", " and ", "eight", " euros"]
        ),
        max_size=14,
    ).map("".join)
)
def test_share_units_keeps_spans(text: str) -> None:
    """share_units changes units and values only: spans and count stay as scanned."""
    raws = scan(text, Hints())
    again = share_units(text, raws)
    assert [(r.start, r.end) for r in again] == [(r.start, r.end) for r in raws]
