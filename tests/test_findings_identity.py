"""What claim a figure states (ingest.findings.identity): one regression test per kind of false
alarm counted on real coverage (issue 10), each in sentences written for this file."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.figures import FigureSettings, extract_figures, load_figure_settings
from ingest.findings.identity import ArticleFacts, ClaimIdentity, identify_all, main_subject


@pytest.fixture(scope="module")
def settings() -> FigureSettings:
    return load_figure_settings()


def read(
    text: str, settings: FigureSettings, *, on: date = date(2025, 11, 26)
) -> dict[str, ClaimIdentity]:
    """Identities of the figures of ``text``, by the figure's text."""
    facts = ArticleFacts(on, main_subject(text, settings))
    figures = extract_figures(text, settings, published=on)
    out = {}
    for fig, ident in zip(figures, identify_all(list(figures), facts, settings), strict=True):
        if ident is not None:
            out[fig.text] = ident
    return out


def test_possessive_owner_is_the_subject(settings: FigureSettings) -> None:
    """A figure owned by a rival ("Tencent's 100 billion yuan fund") is the rival's, and the
    pledge named before it stays the article's company's."""
    text = (
        "Alibaba said it would invest 380 billion yuan in AI infrastructure over the next three "
        "years. The 380 billion yuan commitment dwarfs Tencent's 100 billion yuan AI fund."
    )
    found = read(text, settings)
    assert found["100 billion yuan"].key.subject == "Tencent"
    assert found["380 billion yuan"].key.subject == "Alibaba"


def test_segment_metric_belongs_to_the_segment(settings: FigureSettings) -> None:
    """Cloud revenue said of the group, or by "the cloud division", is Alibaba Cloud's; group
    revenue stays the group's: two quantities, never one claim."""
    text = (
        "Alibaba reported revenue of 247.8 billion yuan for the September quarter. The cloud "
        "division grew revenue 34% to 39.8 billion yuan in the same quarter."
    )
    found = read(text, settings)
    group, cloud = found["247.8 billion yuan"], found["39.8 billion yuan"]
    assert (group.key.subject, group.key.metric) == ("Alibaba", "revenue")
    assert (cloud.key.subject, cloud.key.metric) == ("Alibaba Cloud", "cloud_revenue")
    assert group.key.period == cloud.key.period == "2025Q3"


def test_counted_nouns_are_different_quantities(settings: FigureSettings) -> None:
    """91 availability zones and 29 regions in one sentence are two counts."""
    text = "Alibaba Cloud runs 91 availability zones in 29 regions worldwide."
    found = read(text, settings)
    assert found["91"].key != found["29"].key


def test_pledge_is_not_money_already_spent(settings: FigureSettings) -> None:
    """ "Plans to invest ... over the next three years" is a plan; "invested ... over the past
    four quarters" is spending already done: different quantities."""
    text = (
        "Alibaba plans to invest 380 billion yuan over the next three years. Alibaba has "
        "invested about 120 billion yuan in AI and cloud over the past four quarters."
    )
    found = read(text, settings)
    plan, spent = found["380 billion yuan"], found["about 120 billion yuan"]
    assert plan.role == "plan" and plan.key.period == "next 3 years"
    assert spent.key.metric.endswith("/spent")
    assert plan.key != spent.key


def test_analyst_estimate_is_not_an_actual(settings: FigureSettings) -> None:
    """The consensus an outlet quotes beside the result is someone else's estimate."""
    text = (
        "Alibaba Cloud revenue rose 34% in the September quarter. Analysts had forecast cloud "
        "revenue growth of 30% for the quarter."
    )
    found = read(text, settings)
    assert found["30%"].role == "estimate"
    assert found["34%"].role == "actual"
    assert found["30%"].key != found["34%"].key


def test_previous_quarter_mention_is_an_earlier_period(settings: FigureSettings) -> None:
    """ "The previous quarter saw cloud revenue expand 26%" is the June quarter's figure in a
    November article, not a change back from the September quarter's 34%."""
    text = (
        "Alibaba Cloud revenue grew 34% in the September quarter. The previous quarter saw "
        "cloud revenue expand 26%."
    )
    found = read(text, settings)
    assert found["34%"].key.period == "2025Q3"
    assert found["26%"].key.period == "2025Q2"
    assert found["26%"].role == "prior"


def test_share_price_move_is_an_event_of_its_day(settings: FigureSettings) -> None:
    """A share-price move is keyed by the article's day and can never change."""
    text = "Alibaba shares rose 9% in Hong Kong after the announcement."
    move = read(text, settings, on=date(2025, 9, 24))["9%"]
    assert move.role == "event" and not move.can_change
    assert move.key.period == "2025-09-24"


def test_budget_raise_names_a_change_and_a_level(settings: FigureSettings) -> None:
    """ "Raised its budget by 25% to 200 billion yuan": the 25% is the size of the change, the
    200 billion yuan the new level; a part of it spent on chips is its own quantity."""
    text = (
        "ByteDance raised its 2026 capital expenditure budget by 25% to 200 billion yuan. "
        "ByteDance will spend about 85 billion yuan on AI chips in 2026."
    )
    found = read(text, settings)
    assert found["25%"].role == "delta"
    assert found["200 billion yuan"].key.period == "2026"
    assert "on chip" in found["about 85 billion yuan"].key.metric


def test_unknown_party_and_listed_companies_are_not_confident(settings: FigureSettings) -> None:
    """A figure led by a party the catalogue does not know, or after several companies named
    together, is not a confident reading of anyone's claim."""
    text = (
        "Microsoft, Alphabet, Amazon and Meta are expected to spend more than $300 billion on "
        "AI this year. SoftBank will invest $10 billion in OpenAI."
    )
    found = read(text, settings)
    assert found["more than $300 billion"].confidence < 0.75
    assert found["$10 billion"].confidence < 0.75


def test_periodic_figure_without_period_takes_the_articles_quarter(
    settings: FigureSettings,
) -> None:
    """Results coverage names its quarter once; the other figures are that quarter's."""
    text = (
        "Alibaba reported revenue of 280.2 billion yuan for the December quarter. Net income "
        "came to 48.9 billion yuan."
    )
    found = read(text, settings, on=date(2025, 2, 21))
    assert found["48.9 billion yuan"].key.period == "2024Q4"
    assert any("article's quarter" in cue for cue in found["48.9 billion yuan"].cues)


def test_every_identity_explains_itself(settings: FigureSettings) -> None:
    """Cues name the metric, how the subject was found and the period; confidence is 0-1."""
    found = read("Alibaba will invest 380 billion yuan over the next three years.", settings)
    ident = found["380 billion yuan"]
    assert 0 < ident.confidence <= 1
    assert any(c.startswith("metric:") for c in ident.cues)
    assert any("Alibaba" in c for c in ident.cues)
    assert any(c.startswith("period:") for c in ident.cues)


def test_a_countrys_figure_is_a_markets(settings: FigureSettings) -> None:
    """ "China's cloud spending reached $11.6 billion" is the market's, not the company named
    in the article."""
    text = (
        "Alibaba Cloud kept its lead. China's cloud spending reached $11.6 billion in the first "
        "quarter of 2025."
    )
    found = read(text, settings)
    assert found["$11.6 billion"].key.subject == "(market)"


def test_ratio_is_not_a_count(settings: FigureSettings) -> None:
    """ "2 out of 64 experts" is a ratio inside a description, not a count to track."""
    found = read("Baidu's ERNIE model activates 2 out of 64 expert models per token.", settings)
    assert "2" not in found


def test_a_name_in_the_figures_noun_phrase_lowers_confidence(settings: FigureSettings) -> None:
    """ "the $100 billion investment in the Stargate plan" is Stargate's, not the article's."""
    text = (
        "Alibaba will invest 380 billion yuan over three years. The plan matches half of the "
        "$100 billion investment in the Stargate plan."
    )
    assert read(text, settings)["$100 billion"].confidence < 0.75


def test_scraped_text_with_words_run_together_is_not_confident() -> None:
    """Sentences glued to the next and function words glued to names mark a scrape that lost
    its spaces; a clean article with brand names like ByteDance does not."""
    from ingest.findings.identity import is_garbled

    assert is_garbled("Revenue rose.Alibaba led the market.Huawei followed andTencent trailed.")
    assert not is_garbled("ByteDance and SoftBank met OpenAI. DeepSeek said it would follow.")
