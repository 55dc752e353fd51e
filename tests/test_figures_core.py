"""Number cores: where candidates start and what a core reads."""

from __future__ import annotations

from ingest.figures.core import Hints, candidates, read_core


def cores(text: str) -> list[tuple[str, float, str | None]]:
    out = []
    for m, _ in candidates(text):
        core = read_core(text, m, Hints(yen="CNY"))
        if core is not None and not core.glued:
            out.append((text[core.start : core.end], core.value, core.unit))
    return out


def test_prefix_before_digits_is_part_of_the_core() -> None:
    """A currency prefix written before the digits ("HK$ 4.8 billion") is read with them."""
    assert cores("It booked a HK$ 4.8 billion charge.") == [("HK$ 4.8 billion", 4.8e9, "HKD")]


def test_suffix_unit_and_scale_after_code() -> None:
    """A unit after the number is consumed, with a scale after an ISO code ("75 USD million")."""
    assert cores("They lost 75 USD million.") == [("75 USD million", 75e6, "USD")]


def test_glued_letters_mark_non_figures() -> None:
    """Digits glued to letters that are no unit ("5G", "10th") are flagged as glued."""
    assert cores("5G and the 10th") == []


def test_number_words_and_multipliers_trigger() -> None:
    """Number words and multiplier words start candidates."""
    assert cores("twenty-one trillion and tenfold") == [
        ("twenty-one trillion", 21e12, None),
        ("tenfold", 10.0, "x"),
    ]
