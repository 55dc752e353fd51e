"""extract_figures: Chinese amounts, spaced approximate signs and glued "B" counts."""

from __future__ import annotations

import pytest

from ingest.figures import Figure, FigureSettings, extract_figures
from ingest.figures import load_figure_settings as _load


@pytest.fixture(scope="module")
def cfg() -> FigureSettings:
    return _load()


def one(text: str, cfg: FigureSettings) -> Figure:
    figures = extract_figures(text, cfg)
    assert len(figures) == 1, [f.text for f in figures]
    return figures[0]


def test_chinese_sentence_yi_yuan(cfg: FigureSettings) -> None:
    """A Chinese sentence with 亿元 gives the amount in yuan."""
    f = one("阿里巴巴宣布未来三年投入3800亿元。", cfg)
    assert (f.value, f.unit, f.text) == (380_000_000_000.0, "CNY", "3800亿元")


def test_yi_yuan_in_english_sentence(cfg: FigureSettings) -> None:
    """亿元 written inside an English sentence is CNY, not a count."""
    f = one("阿里巴巴 will invest 3800亿元 in AI.", cfg)
    assert (f.value, f.unit, f.text) == (380_000_000_000.0, "CNY", "3800亿元")


def test_yuan_sign_before_english_scale(cfg: FigureSettings) -> None:
    """元 before digits and an English scale word is CNY."""
    f = one("元500 million", cfg)
    assert (f.value, f.unit) == (500_000_000.0, "CNY")


@pytest.mark.parametrize(
    ("text", "value", "unit", "surface"),
    [
        ("投入3.8万亿元。", 3.8e12, "CNY", "3.8万亿元"),
        ("用户达3800万。", 3.8e7, "count", "3800万"),
        ("投入３８００亿元。", 3.8e11, "CNY", "３８００亿元"),
        ("人民币500亿", 5e10, "CNY", "人民币500亿"),
        ("人民币 3800亿元", 3.8e11, "CNY", "人民币 3800亿元"),
        ("500亿人民币", 5e10, "CNY", "500亿人民币"),
        ("融资50亿美元。", 5e9, "USD", "50亿美元"),
        ("市值增加50亿港元。", 5e9, "HKD", "50亿港元"),
    ],
)
def test_chinese_scales_and_currencies(
    cfg: FigureSettings, text: str, value: float, unit: str, surface: str
) -> None:
    """万, 亿, 万亿 (with decimals, full-width digits) and 元/人民币/美元 read as written."""
    f = one(text, cfg)
    assert f.value == pytest.approx(value)
    assert (f.unit, f.text) == (unit, surface)


@pytest.mark.parametrize("text", ["收入增长了15%。", "营收增长15％，"])
def test_percent_after_chinese_text(cfg: FigureSettings, text: str) -> None:
    """A percent glued to Chinese text is still a percent."""
    f = one(text, cfg)
    assert (f.value, f.unit) == (15.0, "%")


def test_year_ad_is_not_yuan(cfg: FigureSettings) -> None:
    """公元2025年 is a year, not 2025 yuan."""
    assert extract_figures("公元2025年", cfg) == ()


def test_time_elsewhere_in_chinese_sentence(cfg: FigureSettings) -> None:
    """A time earlier in a space-free Chinese sentence does not block a later amount."""
    f = one("会议于10:30开始，阿里巴巴投入3800亿元。", cfg)
    assert (f.value, f.unit) == (3.8e11, "CNY")


def test_english_paths_unchanged(cfg: FigureSettings) -> None:
    """RMB and yuan written in English still give CNY."""
    assert one("RMB 380 billion", cfg).value == 380e9
    assert one("380 billion yuan", cfg).unit == "CNY"


@pytest.mark.parametrize("text", ["≈ 6%", "~ 6%", "≈6%", "(≈ 6%)"])
def test_spaced_approx_sign(cfg: FigureSettings, text: str) -> None:
    """≈ or ~ with or without a space before the number is approx."""
    f = one(text, cfg)
    assert (f.value, f.unit, f.qualifier) == (6.0, "%", "approx")
    assert f.text.lstrip("(").startswith(("≈", "~"))


def test_tilde_range_still_a_range(cfg: FigureSettings) -> None:
    """ "5 ~ 6%" stays a range, not an approximate 6%."""
    f = one("rose 5 ~ 6%", cfg)
    assert (f.qualifier, f.low, f.high) == ("range", 5.0, 6.0)


@pytest.mark.parametrize(
    ("text", "value", "noun"),
    [
        ("2B users", 2e9, "users"),
        ("The model has 70B parameters.", 7e10, "parameters"),
        ("a 70B-parameter model", 7e10, "parameters"),
    ],
)
def test_glued_b_before_counted_noun(
    cfg: FigureSettings, text: str, value: float, noun: str
) -> None:
    """A glued B scale followed by a counted plural noun is a count."""
    f = one(text, cfg)
    assert (f.value, f.unit, f.noun) == (value, "count", noun)


@pytest.mark.parametrize(
    "text", ["Claude 3B?", "Qwen2.5-7B", "a 70B model", "the 405B model", "the 7B models", "405B"]
)
def test_model_sizes_are_not_figures(cfg: FigureSettings, text: str) -> None:
    """Model size names without a counted noun stay out."""
    assert extract_figures(text, cfg) == ()
