"""Periods resolved to intervals with the article's date (ingest.findings.periods)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.findings.periods import fiscal_quarter, period_order, resolve_period

AUG_29 = date(2025, 8, 29)


@pytest.mark.parametrize(
    ("clause", "key"),
    [
        ("revenue for the June quarter climbed 2%", "2025Q2"),
        ("sales in the three months ended December 31, 2024 rose", "2024Q4"),
        ("in the quarter ending Sept. 30 the unit grew", "2024Q3"),
        ("results for the December-ended quarter", "2024Q4"),
        ("Q3 2025 revenue", "2025Q3"),
        ("in the third quarter of 2024", "2024Q3"),
        ("cloud sales in H1 2025", "2025H1"),
        ("during the first half of 2024", "2024H1"),
        ("a budget for 2026", "2026"),
        ("spending this year", "2025"),
        ("over the next three years", "next 3 years"),
        ("a five-year plan", "next 5 years"),
    ],
)
def test_resolves_wordings_to_one_key(clause: str, key: str) -> None:
    """Each outlet's wording of a period gives the key of its interval."""
    assert resolve_period(clause, AUG_29).key == key


def test_month_quarter_is_the_latest_one_ended_before_the_article() -> None:
    """ "The September quarter" in an article of August is last year's: results come after."""
    assert resolve_period("the September quarter", AUG_29).key == "2024Q3"
    assert resolve_period("the June quarter", AUG_29).key == "2025Q2"


def test_fiscal_quarters_follow_the_company_calendar() -> None:
    """Alibaba's fiscal year ends in March: its fiscal Q2 2026 is July-September 2025."""
    found = resolve_period("fiscal Q2 2026 results", AUG_29, fiscal_year_end_month=3)
    assert (found.key, found.start, found.end) == ("2025Q3", date(2025, 7, 1), date(2025, 9, 30))
    fy = resolve_period("in fiscal 2025", AUG_29, fiscal_year_end_month=6)
    assert (fy.start, fy.end) == (date(2024, 7, 1), date(2025, 6, 30))


def test_the_previous_quarter_is_an_earlier_period() -> None:
    """ "The previous quarter" is the one before the reported quarter, marked as prior."""
    found = resolve_period("the previous quarter saw growth of 26%", date(2025, 11, 25))
    assert found.key == "2025Q2" and found.prior


def test_the_quarter_is_read_only_for_quarterly_metrics() -> None:
    """ "Last quarter" names the latest completed quarter only where figures come quarterly."""
    assert resolve_period("revenue last quarter", AUG_29, prefer_quarter=True).key == "2025Q2"
    assert resolve_period("revenue last quarter", AUG_29).key == ""


def test_past_spending_is_not_a_horizon() -> None:
    """Money "invested over the past four quarters" is a past period, not the plan ahead."""
    found = resolve_period("it invested over the past four quarters", AUG_29)
    assert found.kind == "past"
    assert resolve_period("to invest over the next three years", AUG_29).kind == "horizon"


def test_no_period() -> None:
    """A clause without time words has no period."""
    assert resolve_period("more than 1 trillion parameters", AUG_29).key == ""


@given(st.integers(2000, 2040), st.integers(1, 4), st.integers(1, 12))
def test_fiscal_quarter_lands_within_the_fiscal_year(fy: int, q: int, end_month: int) -> None:
    """Fiscal quarter q of FY ends no later than the fiscal year's end and within a year of it."""
    year, cq = fiscal_quarter(fy, q, end_month)
    end_q = (end_month - 1) // 3 + 1
    assert 0 <= (fy * 4 + end_q) - (year * 4 + cq) <= 3


@given(st.integers(2000, 2040), st.integers(1, 4))
def test_period_order_sorts_quarters_in_time(year: int, q: int) -> None:
    """Keys sort in time: a quarter before the next, a year after its own last quarter's start."""
    nxt = (year, q + 1) if q < 4 else (year + 1, 1)
    assert period_order(f"{year}Q{q}") < period_order(f"{nxt[0]}Q{nxt[1]}")
