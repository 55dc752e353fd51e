"""extract_figures: forms, traps, records and totality."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.figures import Figure, FigureSettings, extract_figures, figure_to_dict
from ingest.figures import load_figure_settings as _load

GOLDEN = Path(__file__).parent / "data" / "figures" / "golden"


@pytest.fixture(scope="module")
def cfg() -> FigureSettings:
    return _load()


def one(text: str, cfg: FigureSettings) -> Figure:
    figures = extract_figures(text, cfg)
    assert len(figures) == 1, [f.text for f in figures]
    return figures[0]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("Alibaba will spend 380 billion yuan on AI.", 380e9, "CNY"),
        ("The stock traded at 25,960 ARS on Friday.", 25960, "ARS"),
        ("Revenue was 33.40 billion yuan in the period.", 33.40e9, "CNY"),
        ("It raised US$3.2 billion from investors.", 3.2e9, "USD"),
        ("The deal was worth HK$13.1 billion.", 13.1e9, "HKD"),
        ("Mistral raised €1.7bn last month.", 1.7e9, "EUR"),
        ("Graphcore sold for £500m.", 500e6, "GBP"),
        ("Prices start at 1,899 yuan per unit.", 1899, "CNY"),
        ("Kakao pays 4.7 trillion won.", 4.7e12, "KRW"),
        ("The loan is USD 200 million.", 200e6, "USD"),
        ("A $53-billion pledge was made.", 53e9, "USD"),
        ("The app costs 100元 a month.", 100, "CNY"),
        ("The fund holds 250 million Swiss francs.", 250e6, "CHF"),
        ("Capex was RMB 38.7 billion.", 38.7e9, "CNY"),
        ("Shares fell 34 cents in late trade.", -0.34, "USD"),
        ("The model has 72 billion parameters.", 72e9, "count"),
        ("Its cloud runs in 29 regions.", 29, "count"),
        ("Cloud revenue rose 26% in the quarter.", 26, "%"),
        ("Margins widened 1.5 percentage points.", 1.5, "pp"),
        ("The bank cut rates by 25 basis points.", 0.25, "pp"),
        ("Demand could rise tenfold.", 10, "x"),
        ("Usage is up 3.5x on last year.", 3.5, "x"),
        ("Trading volume was five times the average.", 5, "x"),
        ("Energy use doubled.", 2, "x"),
        ("The market fell -3% on the news.", -3, "%"),
        ("Qwen3-Max, a trillion-parameter model, launched.", 1e12, "count"),
        ("The team trained a 13-billion-parameter model.", 13e9, "count"),
        ("There are a dozen bidders.", 12, "count"),
        ("It has one trillion parameters.", 1e12, "count"),
    ],
)
def test_value_and_unit(text: str, value: float, unit: str, cfg: FigureSettings) -> None:
    """Each number form is read to its plain value and unit."""
    fig = one(text, cfg)
    assert fig.value == pytest.approx(value)
    assert fig.unit == unit


@pytest.mark.parametrize(
    ("text", "qualifier", "low", "high"),
    [
        ("It will invest more than 380 billion yuan.", "min", 380e9, None),
        ("It has over one trillion parameters.", "min", 1e12, None),
        ("Spending of up to $4 billion is expected.", "max", None, 4e9),
        ("Cash burn of up to $4 billion is expected.", "min", -4e9, None),
        ("It is worth about $52 billion.", "approx", None, None),
        ("The pledge (~$53 billion) stands.", "approx", None, None),
        ("Only five to six platforms will survive.", "range", 5, 6),
        ("Returns of 15-20% are projected.", "range", 15, 20),
        ("Between 3 and 5 players will win.", "range", 3, 5),
        ("Sales of $3bn-$5bn are likely.", "range", 3e9, 5e9),
        ("Growth of 5 to 6 billion yuan is expected.", "range", 5e9, 6e9),
        ("AI revenue posted triple-digit growth.", "min", 100, None),
        ("Capex more than tripled in the quarter.", "min", 3, None),
        ("Exactly 300 models were released.", "exact", None, None),
    ],
)
def test_qualifier(
    text: str, qualifier: str, low: float | None, high: float | None, cfg: FigureSettings
) -> None:
    """Qualifier words set qualifier, low and high."""
    fig = one(text, cfg)
    assert fig.qualifier == qualifier
    assert fig.low == (pytest.approx(low) if low is not None else None)
    assert fig.high == (pytest.approx(high) if high is not None else None)


@pytest.mark.parametrize(
    "text",
    [
        "Qwen3-Max beat GPT-5 and Gemini 2.5 Pro on Tau2-Bench.",
        "DeepSeek-V3.1 and Claude 3 were compared with Llama 3.",
        "Nvidia's H100 and A800 chips support 5G base stations.",
        "The summit was held on September 24, 2025 in Hangzhou.",
        "The call starts at 10:30 a.m. on Sept. 30.",
        "Call +1-222-2222-2222 or (852) 2215-5100 for details.",
        "See https://example.com/report?year=2025&share=30%25 for more.",
        "It was the 10th anniversary and the third launch.",
        "By 2032 the plan runs through fiscal 2026 and 2027.",
        "One of the firms said three months was enough.",
        "Shares of BABA (NYSE: BABA; HKEX: 9988) were halted.",
    ],
)
def test_not_figures(text: str, cfg: FigureSettings) -> None:
    """Model names, versions, dates, times, phones, URLs, ordinals and years are not figures."""
    assert extract_figures(text, cfg) == ()


def test_outflow_is_negative(cfg: FigureSettings) -> None:
    """An outflow is a negative amount."""
    fig = one("Free cash flow was an outflow of $2.6 billion.", cfg)
    assert fig.value == pytest.approx(-2.6e9)
    assert fig.metric == "free_cash_flow"


def test_fall_is_negative_but_level_is_not(cfg: FigureSettings) -> None:
    """ "fell 3% to $5" signs the change and keeps the level positive."""
    change, level = extract_figures("The stock fell 3% to $5.20 on Monday.", cfg)
    assert change.value == pytest.approx(-3)
    assert level.value == pytest.approx(5.20)


def test_conversion_points_at_original(cfg: FigureSettings) -> None:
    """The dollar conversion beside a yuan figure points at it and shares its metric."""
    text = "Alibaba will invest 380 billion yuan (~$53 billion) in AI over three years."
    yuan, usd = extract_figures(text, cfg)
    assert yuan.equivalent_of is None
    assert usd.equivalent_of == 0
    assert usd.metric == yuan.metric == "ai_investment_commitment"
    assert usd.period == yuan.period == "over three years"
    assert yuan.subject == usd.subject == "Alibaba"


def test_usd_first_conversion_points_at_yuan(cfg: FigureSettings) -> None:
    """ "US$53 billion (380 billion yuan)": the dollar figure still points at the yuan one."""
    usd, yuan = extract_figures("It pledged US$53 billion (380 billion yuan).", cfg)
    assert usd.equivalent_of == 1
    assert yuan.equivalent_of is None


def test_yen_sign_reads_as_yuan_in_chinese_context(cfg: FigureSettings) -> None:
    """ "¥" is CNY in coverage about China and JPY otherwise."""
    china = one("Alibaba's Chinese cloud unit earned ¥30 billion.", cfg)
    japan = one("SoftBank in Tokyo earned ¥30 billion.", cfg)
    assert china.unit == "CNY"
    assert japan.unit == "JPY"


def test_value_usd_uses_dated_table(cfg: FigureSettings) -> None:
    """value_usd converts with the FX table valid on the publication date."""
    early = extract_figures("It spent 100 yuan.", cfg, published=date(2024, 6, 1))[0]
    late = extract_figures("It spent 100 yuan.", cfg, published=date(2025, 9, 1))[0]
    assert early.value_usd == pytest.approx(14.08)
    assert late.value_usd == pytest.approx(13.96)


def test_count_has_noun_and_metric(cfg: FigureSettings) -> None:
    """A count names what it counts and maps the noun to a metric."""
    fig = one("Alibaba Cloud has open-sourced more than 300 models.", cfg)
    assert (fig.noun, fig.metric, fig.subject) == (
        "models",
        "open_source_model_count",
        "Alibaba Cloud",
    )


def test_sentence_and_period(cfg: FigureSettings) -> None:
    """The record carries its sentence and the period stated beside it."""
    text = "First sentence here. Cloud revenue rose 11% year-on-year. Other news."
    fig = one(text, cfg)
    assert fig.sentence == "Cloud revenue rose 11% year-on-year."
    assert fig.period == "year-on-year"
    assert fig.metric == "cloud_revenue_growth"


def test_figure_to_dict_is_json_ready(cfg: FigureSettings) -> None:
    """figure_to_dict gives every record field, serialisable as JSON."""
    fig = one("Revenue rose 7% to 236.5 billion yuan.".replace("7% to ", ""), cfg)
    data = figure_to_dict(fig)
    assert list(data) == [
        "text", "start", "end", "sentence", "value", "unit", "noun", "qualifier", "low",
        "high", "subject", "metric", "period", "equivalent_of", "value_usd",
    ]  # fmt: skip
    assert json.loads(json.dumps(data))["unit"] == "CNY"


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.txt")), ids=lambda p: p.stem)
def test_golden(path: Path, cfg: FigureSettings) -> None:
    """Extraction of each golden article matches its reviewed .jsonl output."""
    text = path.read_text(encoding="utf-8")
    got = [figure_to_dict(f) for f in extract_figures(text, cfg, published=date(2025, 11, 14))]
    expected_path = path.with_suffix(".jsonl")
    if os.environ.get("INGEST_UPDATE_GOLDEN"):
        lines = [json.dumps(d, ensure_ascii=False) for d in got]
        expected_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = [json.loads(line) for line in expected_path.read_text("utf-8").splitlines()]
    assert got == expected


_NEWSY = st.lists(
    st.sampled_from(
        [
            *"0123456789 .,-–%$€£¥~≈()/:+xXkmMbBn\n",
            "billion",
            " yuan",
            " to ",
            "about ",
            "more than ",
            "US$",
            "HK$",
            "RMB",
            "percent",
            " times",
            "fold",
            "one",
            "twenty-",
            "hundred",
            "a ",
            "between ",
            " and ",
            "Qwen",
            "GPT-",
            "元",
            "outflow of ",
            "fell ",
            "Alibaba",
            " revenue",
            "September",
            "http://",
            "@",
            "Claude ",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=200), _NEWSY))
def test_never_raises_and_spans_reproduce(text: str) -> None:
    """No input makes the extractor raise; every span lies in the text and reproduces it."""
    for fig in extract_figures(text, _SETTINGS):
        assert 0 <= fig.start < fig.end <= len(text)
        assert text[fig.start : fig.end] == fig.text
        assert fig.equivalent_of is None or 0 <= fig.equivalent_of < len(text)


_SETTINGS = _load()
