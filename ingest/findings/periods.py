"""The period a figure is about, resolved to a concrete interval with the article's date.

Pure functions. "The June quarter" in an article of 2025-08-29 is the quarter of 2025-04-01 to
2025-06-30; "the previous quarter" in the same article is the one before; "fiscal Q2 2026" of a
company whose fiscal year ends on March 31 is July to September 2025; "over the next three
years" is a horizon anchored at the article's date. Two outlets' wordings of one period give one
:attr:`ResolvedPeriod.key`, so a quarterly series is compared quarter by quarter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

from ingest.extract.dates import MONTH_NUMBERS

PeriodKind = Literal["quarter", "half", "year", "fiscal_year", "horizon", "past", "none"]


@dataclass(frozen=True, slots=True)
class ResolvedPeriod:
    """A period as an interval of days. ``key`` identifies it ("2025Q3", "FY2025-06", "2025",
    "next 3 years"); ``prior`` is set when the words point before the article's own period
    ("the previous quarter", "a year earlier"); ``cue`` is the words it was read from."""

    kind: PeriodKind
    key: str
    start: date | None = None
    end: date | None = None
    cue: str = ""
    prior: bool = False


NO_PERIOD: Final = ResolvedPeriod("none", "")

_ORDINAL: Final = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2,
                   "3rd": 3, "4th": 4}  # fmt: skip
_NUMBER: Final = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "a": 1, "an": 1,
}  # fmt: skip
_MONTHS_RX: Final = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR: Final = r"(?:19|20)\d{2}"

# Ordered: the first pattern that matches in the figure's clause wins over later ones.
_PATTERNS: Final = [
    # "the three months ended December 31", "the quarter ended June 30, 2025"
    ("q_ended", re.compile(
        rf"(?i)\b(?:three[- ]months?|quarter)\s+(?:ended|ending|to|through)\s+(?:on\s+)?"
        rf"(?P<month>{_MONTHS_RX})\.?\s*(?:\d{{1,2}})?(?:,?\s*(?P<year>{_YEAR}))?")),
    # "the June quarter", "September-quarter"
    ("q_month", re.compile(
        rf"(?i)\b(?:{_MONTHS_RX}\s*[-–—]\s*|{_MONTHS_RX}\s+(?:to|through)\s+)?"
        rf"(?P<month>{_MONTHS_RX})[- ](?:ended[- ]|ending[- ])?(?:quarter|qtr)\b"
        rf"(?:\s+(?:of\s+)?(?P<year>{_YEAR}))?")),
    # "fiscal Q2 2026", "Q3 FY2025", "fiscal second quarter of 2026"
    ("q_fiscal", re.compile(
        rf"(?i)\b(?:fiscal\s+(?:year\s+)?(?:(?P<fy1>{_YEAR})\s+)?(?:Q(?P<q1>[1-4])|(?P<o1>first|second|third|"
        rf"fourth)\s+quarter)(?:\s+(?:of\s+)?(?:fiscal\s+)?(?:year\s+)?(?P<fy2>{_YEAR}))?"
        rf"|Q(?P<q2>[1-4])\s*(?:FY|fiscal\s+)'?(?P<fy3>\d{{2,4}})"
        rf"|(?P<o2>first|second|third|fourth)\s+(?:fiscal\s+)?quarter\s+of\s+(?:its\s+|the\s+)?"
        rf"(?:fiscal|FY)\s*(?:year\s+)?'?(?P<fy4>{_YEAR}|\d{{2}}))")),
    # "Q3 2025", "3Q25", "the third quarter of 2025", "the second quarter"
    ("q_calendar", re.compile(
        rf"(?i)\b(?:Q(?P<q1>[1-4])\s*'?(?P<y1>{_YEAR}|\d{{2}})?\b"
        rf"|(?P<q2>[1-4])Q\s*'?(?P<y2>\d{{2,4}})"
        rf"|(?P<o>first|second|third|fourth|1st|2nd|3rd|4th)[- ]quarter"
        rf"(?:\s+(?:of\s+)?(?P<y3>{_YEAR}))?)")),
    ("previous_quarter", re.compile(
        r"(?i)\b(?:previous|prior|preceding|sequential)\s+quarter\b|\bquarter\s+before\b"
        r"|\ba\s+quarter\s+(?:earlier|ago)\b")),
    ("year_ago", re.compile(r"(?i)\b(?:a|one|the)\s+year\s+(?:earlier|ago|before)\b"
                            r"|\bsame\s+(?:period|quarter)\s+(?:a\s+year\s+)?(?:last|a)\s+year\b")),
    ("half", re.compile(
        rf"(?i)\b(?:H(?P<h1>[12])\s*'?(?P<y1>{_YEAR}|\d{{2}})|(?P<o>first|second)\s+half"
        rf"(?:\s+of\s+(?P<y2>{_YEAR}))?|(?P<y3>{_YEAR})\s+H(?P<h2>[12]))\b")),
    ("horizon", re.compile(
        r"(?i)\b(?:over|in|within|during|for|across)\s+the\s+(?:next|coming|following)\s+"
        r"(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten|few)\s+"
        r"(?P<unit>years?|months?|quarters?)"
        r"|\b(?P<n2>\d+|one|two|three|four|five|six|seven|eight|nine|ten)[- ]"
        r"(?P<unit2>year|month)s?[- ]?"
        r"(?:plan|pledge|programme|program|investment|period|commitment|horizon|budget)\b"
        r"|\b(?:over|in|within)\s+(?P<n3>\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
        r"(?P<unit3>years?)\b")),
    ("past", re.compile(
        r"(?i)\b(?:over|in|during|for|across)\s+the\s+(?:past|last|previous|preceding)\s+"
        r"(?:(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|few)\s+"
        r"(?P<unit>years|months|quarters|decades)|(?P<unit1>decade))\b")),
    ("fiscal_year", re.compile(
        # Any four-digit year: a filing's history can go back a long way.
        r"(?i)\b(?:fiscal(?:\s+year)?|FY)\s*'?(?P<y>[12]\d{3}|\d{2})\b"
        r"|\b(?P<y2>[12]\d{3})\s+fiscal\s+year\b")),
    ("this_year", re.compile(r"(?i)\b(?:this|the\s+current)\s+year\b")),
    ("last_year", re.compile(r"(?i)\blast\s+year\b")),
    ("next_year", re.compile(r"(?i)\bnext\s+year\b")),
    ("year", re.compile(rf"(?<![\w$.-])(?P<y>{_YEAR})(?![\w%-])")),
    ("the_quarter", re.compile(
        r"(?i)\b(?:the|its|latest|most\s+recent|this|last)\s+(?:three[- ]month\s+)?"
        r"(?:quarter|three months)\b")),
]  # fmt: skip


def _quarter_of(d: date) -> tuple[int, int]:
    return d.year, (d.month - 1) // 3 + 1


def _quarter(year: int, q: int) -> ResolvedPeriod:
    start = date(year, 3 * (q - 1) + 1, 1)
    end = _month_end(year, 3 * q)
    return ResolvedPeriod("quarter", f"{year}Q{q}", start, end)


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


def _shift_quarter(year: int, q: int, by: int) -> tuple[int, int]:
    index = year * 4 + (q - 1) + by
    return index // 4, index % 4 + 1


def _latest_quarter_ending(month: int, published: date) -> tuple[int, int]:
    """The latest quarter ending in ``month`` that ends before the article (results come out
    after the quarter)."""
    q = (month - 1) // 3 + 1
    year = published.year
    if _month_end(year, 3 * q) > published:
        year -= 1
    return year, q


def _last_completed_quarter(published: date) -> tuple[int, int]:
    year, q = _quarter_of(published)
    return _shift_quarter(year, q, -1)


def _year4(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value + 2000 if value < 100 else value


def _number(text: str | None) -> int | None:
    if not text:
        return None
    low = text.lower()
    if low == "few":
        return 3
    return int(low) if low.isdigit() else _NUMBER.get(low)


def fiscal_quarter(fy: int, q: int, fiscal_year_end_month: int) -> tuple[int, int]:
    """Calendar (year, quarter) of fiscal quarter ``q`` of fiscal year ``fy`` (named after the
    calendar year it ends in, as Alibaba and Microsoft do)."""
    end_year, end_q = fy, (fiscal_year_end_month - 1) // 3 + 1
    return _shift_quarter(end_year, end_q, q - 4)


_BASE: Final = re.compile(
    r"(?i)\b(?:from|than|over|on|versus|vs\.?|compared\s+(?:with|to)|against|outpac\w*)"
    r"(?:\s+(?:seen|recorded|reported|posted|in|within|during|that|of))*"
    r"\s+(?:the\s+|a\s+|that\s+of\s+the\s+)?$"
)
# Words that place a period relative to another ("the previous quarter", "a year earlier",
# "the quarter") lose to a period written out when both are in the clause.
_RELATIVE: Final = frozenset({"previous_quarter", "year_ago", "this_year", "last_year",
                              "next_year", "the_quarter"})  # fmt: skip


def resolve_period(
    clause: str, published: date, *, fiscal_year_end_month: int = 12, prefer_quarter: bool = False,
    at: int | None = None, end: int | None = None, prefer_horizon: bool = False,
) -> ResolvedPeriod:  # fmt: skip
    """The period ``clause`` (the figure's own clause or sentence) states, with ``published``
    as the anchor for relative words. ``prefer_quarter``: the metric is reported per quarter,
    so "the quarter" / "last quarter" are read as the latest completed quarter;
    ``prefer_horizon``: the figure is a plan, whose span ("over three years") is its period
    even when "this year" sits nearer. ``at``: where
    the figure sits in the clause; the period written nearest it wins ("34% in the September
    quarter, up from 26% in the previous quarter")."""
    best: tuple[float, int, ResolvedPeriod] | None = None
    for order, (name, rx) in enumerate(_PATTERNS):
        for m in rx.finditer(clause):
            if name in ("previous_quarter", "year_ago") and _BASE.search(clause[: m.start()]):
                continue  # "an acceleration from the previous quarter": the base, not the period
            found = _resolve(name, m, published, fiscal_year_end_month, prefer_quarter)
            if found is None:
                continue
            if at is None:
                distance = 0.0
            elif m.end() <= at:
                distance = at - m.end()
            else:
                distance = max(0, m.start() - at) + 10
            # A period written out beats a bare year, which beats relative words, unless it
            # is much farther from the figure.
            score = distance + (60 if name in _RELATIVE else 30 if name == "year" else 0)
            if prefer_horizon and name == "horizon":
                score -= 200  # a plan's span, wherever the sentence puts it
            if at is not None:
                # Another number between the figure and the period: it is that number's.
                stop = end if end is not None else at
                gap = clause[stop : m.start()] if m.start() >= stop else clause[m.end() : at]
                if re.search(r"\d", gap):
                    if name in _RELATIVE:
                        continue  # "up from 14.4 billion in the same period last year"
                    score += 40
            if best is None or (score, order) < (best[0], best[1]):
                cue = " ".join(m.group().split()).lower()
                best = (
                    score, order,
                    ResolvedPeriod(found.kind, found.key, found.start, found.end, cue, found.prior),
                )  # fmt: skip
        if best is not None and at is None:
            break
    return best[2] if best is not None else NO_PERIOD


def _resolve(
    name: str, m: re.Match[str], published: date, fy_end: int, prefer_quarter: bool
) -> ResolvedPeriod | None:
    g = m.groupdict()
    if name in ("q_ended", "q_month"):
        month = MONTH_NUMBERS[g["month"][:3].lower()]
        if month % 3:
            return None  # "the quarter ended May 31": not a calendar quarter we can key
        year = _year4(g.get("year"))
        if year is None:
            year, q = _latest_quarter_ending(month, published)
        else:
            q = month // 3
        return _quarter(year, q)
    if name == "q_fiscal":
        q = int(g["q1"] or g["q2"] or 0) or _ORDINAL[(g["o1"] or g["o2"] or "first").lower()]
        fy = _year4(g["fy1"] or g["fy2"] or g["fy3"] or g["fy4"])
        if fy is None:
            return None
        year, cq = fiscal_quarter(fy, q, fy_end)
        return _quarter(year, cq)
    if name == "q_calendar":
        q = int(g["q1"] or g["q2"] or 0) or _ORDINAL[(g["o"] or "first").lower()]
        year = _year4(g["y1"] or g["y2"] or g["y3"])
        if year is None:
            # "the second quarter": the latest such quarter that has ended by the article.
            year = (
                published.year
                if _month_end(published.year, 3 * q) <= published
                else (published.year - 1)
            )
        found = _quarter(year, q)
        if found.end is not None and found.end > published and fy_end != 12:
            # "1Q26" before its calendar quarter has even ended: the company's fiscal quarter.
            return _quarter(*fiscal_quarter(year, q, fy_end))
        return found
    if name == "previous_quarter":
        year, q = _shift_quarter(*_last_completed_quarter(published), -1)
        return _with_prior(_quarter(year, q))
    if name == "year_ago":
        year, q = _shift_quarter(*_last_completed_quarter(published), -4)
        return _with_prior(_quarter(year, q))
    if name == "half":
        h = int(g["h1"] or g["h2"] or (1 if (g["o"] or "").lower() == "first" else 2))
        year = _year4(g["y1"] or g["y2"] or g["y3"]) or published.year
        start = date(year, 1 if h == 1 else 7, 1)
        return ResolvedPeriod("half", f"{year}H{h}", start, _month_end(year, 6 * h))
    if name == "horizon":
        n = _number(g["n"] or g["n2"] or g["n3"])
        unit = (g["unit"] or g["unit2"] or g["unit3"] or "year").lower().rstrip("s")
        if n is None:
            return None
        days = {"year": 365, "month": 30, "quarter": 91}[unit] * n
        return ResolvedPeriod(
            "horizon", f"next {n} {unit}s", published, published + timedelta(days=days)
        )
    if name == "past":
        n = _number(g["n"]) or 1
        unit = (g["unit"] or g["unit1"]).lower().rstrip("s")
        days = {"year": 365, "month": 30, "quarter": 91, "decade": 3650}[unit] * n
        return ResolvedPeriod(
            "past", f"past {n} {unit}s to {published:%Y-%m}", published - timedelta(days=days),
            published,
        )  # fmt: skip
    if name == "fiscal_year":
        fy = _year4(g["y"] or g["y2"])
        if fy is None:
            return None
        end = _month_end(fy, fy_end)
        start = (end + timedelta(days=1)).replace(year=end.year - 1)
        return ResolvedPeriod("fiscal_year", f"FY{fy}-{fy_end:02d}", start, end)
    if name in ("this_year", "last_year", "next_year"):
        year = published.year + {"this_year": 0, "last_year": -1, "next_year": 1}[name]
        return _calendar_year(year, prior=name == "last_year")
    if name == "year":
        year = int(g["y"])
        if not 1990 <= year <= published.year + 15:
            return None
        return _calendar_year(year)
    if name == "the_quarter":
        if not prefer_quarter:
            return None
        return _quarter(*_last_completed_quarter(published))
    return None


def _calendar_year(year: int, *, prior: bool = False) -> ResolvedPeriod:
    return ResolvedPeriod("year", str(year), date(year, 1, 1), date(year, 12, 31), prior=prior)


def _with_prior(period: ResolvedPeriod) -> ResolvedPeriod:
    return ResolvedPeriod(period.kind, period.key, period.start, period.end, period.cue, True)


def period_order(key: str) -> tuple[int, int]:
    """A sortable position of a period key in time (quarters and halves by their end, years and
    fiscal years by their last month); (0, 0) for keys without one."""
    m = re.fullmatch(r"(\d{4})Q([1-4])", key)
    if m:
        return int(m.group(1)), 3 * int(m.group(2))
    m = re.fullmatch(r"(\d{4})H([12])", key)
    if m:
        return int(m.group(1)), 6 * int(m.group(2))
    m = re.fullmatch(r"FY(\d{4})-(\d{2})", key)
    if m:
        return int(m.group(1)), int(m.group(2))
    if re.fullmatch(r"\d{4}", key):
        return int(key), 12
    return 0, 0
