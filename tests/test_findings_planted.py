"""The planted scenario of issue 10, through corpus.save_article on a real SQLite file.

An article states the three-year pledge; a copy at another outlet says 480 instead of 380
billion yuan (one `changed`); a copy whose only difference is a dollar conversion rounded
otherwise ($53bn vs $52.4bn) is silent; the identical text published seven months later is
silent too (the same yuan amount compared in yuan, not through two months' dollar rates).
Every sentence is written for this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest.dedup import DedupSettings
from ingest.dedup.corpus import save_article
from ingest.figures import load_figure_settings
from ingest.findings import FindingSettings
from ingest.findings.listing import finding_records
from ingest.models import ExtractedArticle
from ingest.store import Store

T0 = datetime(2025, 2, 24, 9, tzinfo=UTC)
FIGS = load_figure_settings()

BODY = (
    "Alibaba Group said on Monday it will invest {amount} billion yuan ({usd}) in cloud "
    "computing and AI infrastructure over the next three years, more than it spent on the "
    "two together in the past decade.\n"
    "Chief executive Eddie Wu told analysts that demand for computing from enterprise customers "
    "had outrun the group's own forecasts, and that the spending would go to data centres, "
    "servers and the networks that join them.\n"
    "Shares of the company rose in Hong Kong trading after the announcement, and brokers said "
    "suppliers of cooling and power equipment stood to benefit from orders over several years.\n"
    "The group did not say how the money would be split between its domestic and overseas "
    "regions, and a spokesperson declined to add to the statement filed with the exchange."
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "planted.db")
    yield s
    s.close()


def publish(store: Store, host: str, when: datetime, amount: str, usd: str) -> list[Any]:
    """Save one outlet's article as the pipeline does; return the findings it raised."""
    before = {f["id"] for f in finding_records(store)}
    url = f"https://{host}/business/alibaba-ai-plan"
    article = ExtractedArticle(
        url=url, canonical_url=url, title="Alibaba's three-year AI plan", author=None,
        published=when, language="en", text=BODY.format(amount=amount, usd=usd),
        extraction="page",
    )  # fmt: skip
    save_article(store, article, entry=None, source_id=None, now=when,
                 settings=DedupSettings(), figure_settings=FIGS,
                 finding_settings=FindingSettings())  # fmt: skip
    return [f for f in finding_records(store) if f["id"] not in before]


def test_planted_scenario(store: Store) -> None:
    """new; changed 380 -> 480 once; rounding of the conversion silent; identical copy seven
    months later silent."""
    first = publish(store, "harbour-ledger.example", T0, "380", "about $53 billion")
    assert [(f["kind"], f["figure"]["text"]) for f in first] == [("new", "380 billion yuan")]

    rounded = publish(store, "lantern-markets.example", T0 + timedelta(hours=5), "380",
                      "about $52.4 billion")  # fmt: skip
    assert rounded == [], "a conversion rounded otherwise is not a disagreement"

    raised = publish(store, "northgate.example", T0 + timedelta(days=3), "480",
                     "about $67 billion")  # fmt: skip
    assert [(f["kind"], f["figure"]["text"]) for f in raised] == [("changed", "480 billion yuan")]
    changed = raised[0]
    assert [p["text"] for p in changed["previous"]] == ["380 billion yuan"]
    assert changed["confidence"] >= FindingSettings().min_confidence
    assert any("period: next 3 years" in cue for cue in changed["cues"])

    later = publish(store, "copper-coast.example", T0 + timedelta(days=212), "480",
                    "about $67 billion")  # fmt: skip
    assert later == [], "the same yuan amount months later is the same value"


def test_identical_copy_months_later_compares_in_its_own_currency(store: Store) -> None:
    """The bug of the first release: two months' dollar rates made 380 billion yuan two values."""
    publish(store, "harbour-ledger.example", T0, "380", "about $53 billion")
    later = publish(store, "riverbend.example", T0 + timedelta(days=210), "380",
                    "about $53 billion")  # fmt: skip
    assert later == []


def test_wrong_conversion_is_a_conflict(store: Store) -> None:
    """A conversion that disagrees with the figure it converts ("380 billion yuan (about $38
    billion)") is reported against that figure."""
    publish(store, "harbour-ledger.example", T0, "380", "about $53 billion")
    wrong = publish(store, "summit.example", T0 + timedelta(hours=2), "380", "about $38 billion")
    assert [(f["kind"], f["figure"]["text"]) for f in wrong] == [("conflict", "about $38 billion")]
    assert [p["text"] for p in wrong[0]["previous"]] == ["380 billion yuan"]


def test_figures_carry_their_claim(store: Store) -> None:
    """Figures of one claim in different articles share its id; conversions join it too."""
    publish(store, "harbour-ledger.example", T0, "380", "about $53 billion")
    publish(store, "lantern-markets.example", T0 + timedelta(hours=5), "380", "US$52.4 billion")
    rows = [r for r in store.list_figures() if r.figure.metric == "ai_investment_commitment"]
    assert len(rows) == 4
    assert len({r.claim_id for r in rows}) == 1 and rows[0].claim_id is not None
    assert all(r.claim_confidence is not None and r.claim_cues for r in rows)


RESULTS = (
    "Alibaba Cloud revenue grew {growth} year on year in the {quarter} quarter, {host} reported "
    "from the group's results statement."
)
# Each outlet's own paragraphs, so that dedup sees independent stories, not copies.
OWN_WORDS = {
    "harbour-ledger.example": "Brokers in Hong Kong said the pace of orders from carmakers and "
    "banks for model training had surprised them, and several raised their targets for the stock.",
    "lantern.example": "A fund manager in Singapore said the unit's pricing cuts last spring were "
    "paying off, since smaller customers who came for cheap inference were now buying storage.",
    "summit.example": "The company's chairman, speaking at a conference in Shanghai, repeated "
    "that the group would keep building data centres abroad despite higher power prices.",
    "riverbend.example": "Suppliers of liquid cooling equipment in Shenzhen told our reporter "
    "that their order books for Alibaba's new halls now run well into the next calendar year.",
}


def results(store: Store, host: str, when: datetime, growth: str, quarter: str) -> list[Any]:
    before = {f["id"] for f in finding_records(store)}
    url = f"https://{host}/markets/alibaba-results-{quarter.lower()}"
    text = RESULTS.format(growth=growth, quarter=quarter, host=host) + "\n" + OWN_WORDS[host]
    article = ExtractedArticle(
        url=url, canonical_url=url, title=f"Alibaba results, {quarter} quarter", author=None,
        published=when, language="en", text=text, extraction="page",
    )  # fmt: skip
    save_article(store, article, entry=None, source_id=None, now=when,
                 settings=DedupSettings(), figure_settings=FIGS,
                 finding_settings=FindingSettings())  # fmt: skip
    return [f for f in finding_records(store) if f["id"] not in before]


def test_quarterly_series(store: Store) -> None:
    """A newer quarter is news with the previous one beside it; an older quarter restated later
    is silent; two outlets disagreeing on one quarter is a conflict."""
    june = results(
        store, "harbour-ledger.example", datetime(2025, 8, 30, tzinfo=UTC), "26%", "June"
    )
    assert [(f["kind"], f["period_key"]) for f in june] == [("new", "2025Q2")]
    sept = results(store, "lantern.example", datetime(2025, 11, 26, tzinfo=UTC), "34%", "September")
    assert [(f["kind"], f["period_key"]) for f in sept] == [("new", "2025Q3")]
    assert sept[0]["series"]["period"] == "2025Q2"
    assert sept[0]["series"]["previous"]["text"] == "26%"
    again = results(store, "summit.example", datetime(2025, 11, 27, tzinfo=UTC), "26%", "June")
    assert again == [], "an older quarter restated later is silent"
    other = results(store, "riverbend.example", datetime(2025, 11, 26, 6, tzinfo=UTC), "30%",
                    "September")  # fmt: skip
    assert [(f["kind"], f["figure"]["text"]) for f in other] == [("conflict", "30%")]
    assert [p["text"] for p in other[0]["previous"]] == ["34%"]
