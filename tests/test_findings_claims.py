"""Claim keys, the interval a figure stands for, and consistency between figures."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.figures import Figure, extract_figures, load_figure_settings
from ingest.findings import FindingSettings
from ingest.findings.claims import (
    ClaimKey,
    Interval,
    consistent,
    half_unit,
    interval_of,
    is_prior_mention,
    normalise_period,
    relative_change,
)

S = FindingSettings()
SETTINGS = load_figure_settings()
CNY = 0.1396  # USD per yuan in the 2025-07 table


def fig(text: str, value: float, unit: str = "USD", **kw: object) -> Figure:
    """A figure as the extractor would give it; value_usd from a fixed yuan rate."""
    usd = value if unit == "USD" else value * CNY if unit == "CNY" else None
    base = Figure(text=text, start=0, end=len(text), sentence=text, value=value, unit=unit,
                  metric="ai_investment_commitment", subject="Alibaba", value_usd=usd)  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def agree(a: Figure, b: Figure) -> bool:
    return consistent(interval_of(a, S), interval_of(b, S), S)


def test_rounding_interval_from_digits_written() -> None:
    """`$53 billion` stands for 52.5-53.5 billion; `$52.44 billion` for 52.435-52.445."""
    iv = interval_of(fig("$53 billion", 53e9), S)
    assert (iv.low, iv.high, iv.basis) == (pytest.approx(52.5e9), pytest.approx(53.5e9), "USD")
    assert half_unit(fig("$52.44 billion", 52.44e9)) == pytest.approx(0.005e9)
    assert half_unit(fig("RMB380bn", 380e9, "CNY")) == pytest.approx(0.5e9)
    assert half_unit(fig("1,200 jobs", 1200, "count")) == pytest.approx(0.5)


def test_number_in_words_has_one_significant_digit() -> None:
    """`one trillion` and `a trillion` stand for 0.5-1.5 trillion."""
    assert half_unit(fig("one trillion", 1e12, "count")) == pytest.approx(0.5e12)
    assert half_unit(fig("trillion", 1e12, "count")) == pytest.approx(0.5e12)


def test_issue_currency_examples_are_one_claim() -> None:
    """380 billion yuan, RMB380bn, $53 billion, $52.44 billion, US$53.4 billion all agree."""
    anchor = fig("380 billion yuan", 380e9, "CNY")
    others = [
        fig("RMB380bn", 380e9, "CNY"),
        fig("$53 billion", 53e9),
        fig("$52.44 billion", 52.44e9),
        fig("US$53.4 billion", 53.4e9),
    ]
    assert all(agree(anchor, o) for o in others)
    assert not agree(anchor, fig("480 billion yuan", 480e9, "CNY"))


def test_fx_tolerance_only_across_currencies() -> None:
    """Two dollar figures 1.8% apart disagree; a dollar and a yuan figure that far apart agree."""
    assert not agree(fig("$52.44 billion", 52.44e9), fig("US$53.4 billion", 53.4e9))
    yuan = fig("375.6 billion yuan", 375.6e9, "CNY")  # $52.43bn at the table rate
    assert agree(yuan, fig("US$53.4 billion", 53.4e9))
    strict = FindingSettings(fx_tolerance=0.0)
    assert not consistent(
        interval_of(yuan, strict), interval_of(fig("US$53.4 billion", 53.4e9), strict), strict
    )


def test_min_reaches_only_a_margin_above() -> None:
    """`more than 380 billion` agrees with 450 billion but not with 550 billion (margin 25%)."""
    more = fig("more than 380 billion yuan", 380e9, "CNY", qualifier="min", low=380e9)
    assert agree(more, fig("450 billion yuan", 450e9, "CNY"))
    assert not agree(more, fig("550 billion yuan", 550e9, "CNY"))
    assert not agree(more, fig("300 billion yuan", 300e9, "CNY"))
    loose = FindingSettings(min_margin=0.5)
    assert consistent(
        interval_of(more, loose), interval_of(fig("550 billion yuan", 550e9, "CNY"), loose), loose
    )


def test_max_reaches_only_a_margin_below() -> None:
    """`up to 10%` agrees with 8% and not with 5% or 12%."""
    up_to = fig("up to 10%", 10, "%", qualifier="max", high=10)
    assert agree(up_to, fig("8%", 8, "%"))
    assert not agree(up_to, fig("5%", 5, "%"))
    assert not agree(up_to, fig("12%", 12, "%"))


def test_approx_widens() -> None:
    """`about $50 billion` agrees with $53 billion (within 10%) but not with $60 billion."""
    about = fig("about $50 billion", 50e9, qualifier="approx")
    assert agree(about, fig("$53 billion", 53e9))
    assert not agree(about, fig("$60 billion", 60e9))
    assert not agree(fig("$50 billion", 50e9), fig("$53 billion", 53e9))


def test_range_is_its_interval() -> None:
    """`20-25%` agrees with 22% and 25.4% and not with 27%."""
    rng = fig("20-25%", 20, "%", qualifier="range", low=20, high=25)
    assert agree(rng, fig("22%", 22, "%"))
    assert agree(rng, fig("25.4%", 25.4, "%"))
    assert not agree(rng, fig("27%", 27, "%"))


def test_triple_digit_is_100_to_999() -> None:
    """`triple-digit growth` agrees with 120% and 850% but not with 90% or 1,200%."""
    words = fig("triple-digit", 100, "%", qualifier="min", low=100)
    assert agree(words, fig("120%", 120, "%"))
    assert agree(words, fig("850%", 850, "%"))
    assert not agree(words, fig("90%", 90, "%"))
    assert not agree(words, fig("1,200%", 1200, "%"))
    iv = interval_of(fig("double-digit", 10, "%", qualifier="min", low=10), S)
    assert (iv.low, iv.high) == (10, 99.5)


def test_trillion_parameter_phrases_are_one_claim() -> None:
    """`over one trillion parameters` and `a trillion-parameter model` agree."""
    over = fig("over one trillion", 1e12, "count", qualifier="min", low=1e12)
    bare = fig("trillion", 1e12, "count")
    assert agree(over, bare)


def test_units_must_match() -> None:
    """A percentage never agrees with a count, or a dollar figure with a share of a percent."""
    assert not agree(fig("26%", 26, "%"), fig("26", 26, "count"))
    assert not agree(fig("5 pp", 5, "pp"), fig("5%", 5, "%"))
    # A currency without a rate is compared only in its own currency.
    vnd = fig("5 trillion dong", 5e12, "VND", value_usd=None)
    assert interval_of(vnd, S).basis == "VND"
    assert not agree(vnd, fig("$5 trillion", 5e12))


def test_period_normalisation() -> None:
    """Period wordings of one span give one key (the report groups figures by it)."""
    assert normalise_period("over the next three years") == normalise_period("over three years")
    assert normalise_period("over the next three years") == "3 year"
    assert normalise_period("year-on-year") == normalise_period("YoY") == "yoy"
    assert normalise_period("in the September quarter") == "september quarter"
    assert normalise_period(None) == ""


def test_period_compatibility() -> None:
    """Same period or one side without a period is compatible; two stated periods must match."""
    a = ClaimKey("Alibaba", "revenue", "september quarter")
    assert a.period_compatible(ClaimKey("Alibaba", "revenue", ""))
    assert not a.period_compatible(ClaimKey("Alibaba", "revenue", "june quarter"))
    assert not a.period_compatible(ClaimKey("Tencent", "revenue", "september quarter"))


def test_relative_change() -> None:
    """Relative change compares USD values across currencies; None for other units."""
    old, new = fig("380 billion yuan", 380e9, "CNY"), fig("480 billion yuan", 480e9, "CNY")
    assert relative_change(old, new) == pytest.approx(100 / 380)
    assert relative_change(fig("26%", 26, "%"), fig("$1", 1.0)) is None
    assert relative_change(fig("0%", 0, "%"), fig("5%", 5, "%")) is None


# --- properties -----------------------------------------------------------------------------

values = st.floats(min_value=1e-3, max_value=1e13, allow_nan=False, allow_infinity=False)
qualifiers = st.sampled_from(["exact", "approx", "min", "max"])
units = st.sampled_from(["USD", "CNY", "%", "count"])


@st.composite
def figures(draw: st.DrawFn) -> Figure:
    value = draw(values)
    digits = draw(st.integers(min_value=0, max_value=3))
    text = f"{value:.{digits}f}"
    return fig(text, float(text), draw(units), qualifier=draw(qualifiers))


@given(figures())
def test_consistency_is_reflexive(a: Figure) -> None:
    """Every figure agrees with itself."""
    assert agree(a, a)


@given(figures(), figures())
def test_consistency_is_symmetric(a: Figure, b: Figure) -> None:
    """consistent(a, b) == consistent(b, a)."""
    assert agree(a, b) == agree(b, a)


@given(
    st.floats(min_value=0.01, max_value=1e9, allow_nan=False),
    st.integers(min_value=0, max_value=4),
    st.sampled_from(["USD", "CNY", "%", "count"]),
    st.sampled_from(["", " billion"]),
)
def test_value_agrees_with_its_own_rounding(
    value: float, decimals: int, unit: str, scale_word: str
) -> None:
    """A precise value agrees with itself rounded at any written decimal place.

    (Trailing zeros of a whole number are read as significant: "10" is 9.5-10.5; see
    docs/findings.md. So rounding is generated at decimal places, never to tens.)
    """
    scale = 1e9 if scale_word else 1.0
    precise_text = f"{value:.6f}"
    rounded_text = f"{value:.{decimals}f}"
    if float(rounded_text) == 0:
        return
    precise = fig(precise_text + scale_word, float(precise_text) * scale, unit)
    rounded = fig(rounded_text + scale_word, float(rounded_text) * scale, unit)
    assert agree(precise, rounded), (precise.text, rounded.text)


@given(figures())
def test_interval_contains_the_value(a: Figure) -> None:
    """The interval of a figure contains its own value (in the interval's basis)."""
    iv: Interval = interval_of(a, S)
    stated = a.value_usd if iv.basis == "USD" and a.value_usd is not None else a.value
    assert iv.low <= stated <= iv.high


@pytest.mark.parametrize(
    ("sentence", "prior"),
    [
        (
            "Alibaba raised its pledge to 480 billion yuan, up from 380 billion yuan.",
            "380 billion yuan",
        ),
        ("Alibaba lifted the plan from 380 billion yuan to 480 billion yuan.", "380 billion yuan"),
        ("Cloud revenue rose 26% compared with 18% a year earlier.", "18%"),
        ("Alibaba now runs data centres in 32 regions, versus 29 a year ago.", "29"),
    ],
)
def test_prior_mentions_are_recognised(sentence: str, prior: str) -> None:
    """The value a figure replaced ("up from X", "from X to Y", "versus X") is a prior mention;
    the new value and a "more than" qualifier are not."""
    figures = extract_figures(sentence, SETTINGS)
    marked = {f.text for f in figures if is_prior_mention(f)}
    assert marked == {prior}


def test_more_than_is_not_a_prior_mention() -> None:
    """'more than 380 billion' is a lower bound, not an old value."""
    (fig,) = extract_figures("Alibaba will spend more than 380 billion yuan on AI.", SETTINGS)
    assert not is_prior_mention(fig)
