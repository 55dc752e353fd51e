"""Score the figure extractor on Microsoft Recognizers-Text's English spec files.

The specs live outside the repository (``$INGEST_SHARED/specs/recognizers-text``). Each file is
scored on value+unit with span overlap; the cases outside the issue's scope are skipped, each
for a stated reason (listed in docs/figures.md).
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest

from ingest.figures import Figure, FigureSettings, extract_figures, load_figure_settings

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("INGEST_SHARED", REPO.parent / "shared"))
SPECS = SHARED / "specs" / "recognizers-text"

# Recognizers' unit names (when no isoCurrency is given) as ISO codes and a multiplier into the
# main unit. A bare "franc" is read as CHF by the extractor, the franc still in circulation.
UNIT_NAMES: dict[str, tuple[str, float]] = {
    "Dollar": ("USD", 1.0),
    "Pound": ("GBP", 1.0),
    "Cent": ("USD", 0.01),
    "Pence": ("GBP", 0.01),
    "Penny": ("GBP", 0.01),
    "Franc": ("CHF", 1.0),
    "Finnish markka": ("FIM", 1.0),
    "Peseta": ("ESP", 1.0),
    "Netherlands guilder": ("NLG", 1.0),
    "Rupee": ("INR", 1.0),
}
NON_ISO = {"Bitcoin", "Satoshi", "Sen"}
# "3 dollars 50 cents", "15 usd 50", "c $ 100 and fifty": spoken amount compounds.
_NUM_WORD = (
    r"(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
)
SPOKEN_COMPOUND = re.compile(
    r"(?i)^\S+\s+(?:us\s+)?(?:dollars?|usd|kuai)\s+(?:and\s+)?"
    + _NUM_WORD
    + r"|\$\s*\d+\s+and\s+\w+$|^\d+\s*\$\s+\d+\s+cents?$"
)
PERCENT_UNIT_FIRST = re.compile(r"(?i)^(?:percents?|per cent)\s+of\b")


def load_spec(name: str) -> list[dict[str, Any]]:
    """Read one spec file or skip the test when the shared directory is absent."""
    path = SPECS / name
    if not path.exists():
        pytest.skip(f"Recognizers-Text specs not found at {SPECS}; set INGEST_SHARED")
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8-sig"))
    return data


def f1(tp: int, pred: int, gold: int) -> float:
    """F1 from counts; 1.0 when there is nothing to find and nothing found."""
    p = tp / pred if pred else 1.0
    r = tp / gold if gold else 1.0
    return 2 * p * r / (p + r) if p + r else 0.0


def overlap(fig: Figure, start: int, end: int) -> bool:
    """Spans overlap (spec End is inclusive)."""
    return fig.start <= end and start < fig.end


def close(a: float, b: float) -> bool:
    """Same value to six significant digits."""
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def count_hits(gold: list[tuple[int, int, float, str]], figures: list[Figure]) -> int:
    """One-to-one matches with overlapping span, same value and same unit."""
    used: set[int] = set()
    tp = 0
    for start, end, value, unit in gold:
        for i, fig in enumerate(figures):
            if i in used or not overlap(fig, start, end):
                continue
            # The extractor signs falls ("shares tumbled $2.75" -> -2.75); the specs state
            # magnitudes, so magnitudes are compared.
            if close(abs(fig.value), abs(value)) and fig.unit == unit:
                used.add(i)
                tp += 1
                break
    return tp


@pytest.fixture(scope="module")
def settings() -> FigureSettings:
    return load_figure_settings()


def score_currency(settings: FigureSettings) -> tuple[int, int, int, dict[str, int]]:
    """(tp, predicted, gold, skipped-by-reason) over CurrencyModel.json."""
    tp = pred = gold_n = 0
    skipped: dict[str, int] = {}
    for case in load_spec("CurrencyModel.json"):
        results = case["Results"]
        reason = None
        if any(r["Resolution"].get("unit") in NON_ISO for r in results):
            reason = "not an ISO 4217 currency (bitcoin, satoshi, sen)"
        elif any(SPOKEN_COMPOUND.search(r["Text"]) for r in results):
            reason = "spoken amount compound (dollars and cents)"
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        gold: list[tuple[int, int, float, str]] = []
        for r in results:
            res = r["Resolution"]
            if res.get("value") is None:
                skipped["currency named without an amount"] = (
                    skipped.get("currency named without an amount", 0) + 1
                )
                continue
            code, mult = res.get("isoCurrency"), 1.0
            if code is None:
                code, mult = UNIT_NAMES[res["unit"]]
            gold.append((r["Start"], r["End"], float(res["value"]) * mult, code))
        figures = [
            f
            for f in extract_figures(case["Input"], settings)
            if f.unit not in ("%", "pp", "x", "count")
        ]
        tp += count_hits(gold, figures)
        pred += len(figures)
        gold_n += len(gold)
    return tp, pred, gold_n, skipped


def score_percent(settings: FigureSettings) -> tuple[int, int, int, dict[str, int]]:
    """(tp, predicted, gold, skipped-by-reason) over PercentModel.json."""
    tp = pred = gold_n = 0
    skipped: dict[str, int] = {}
    for case in load_spec("PercentModel.json"):
        results = case["Results"]
        reason = None
        if any(r["Resolution"].get("value") in (None, "null") for r in results):
            reason = "the word percent without a number"
        elif any(PERCENT_UNIT_FIRST.match(r["Text"]) for r in results):
            reason = "unit-first phrasing (percent of twenty)"
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        gold = [
            (r["Start"], r["End"], float(r["Resolution"]["value"].rstrip("%")), "%")
            for r in results
        ]
        figures = [f for f in extract_figures(case["Input"], settings) if f.unit == "%"]
        tp += count_hits(gold, figures)
        pred += len(figures)
        gold_n += len(gold)
    return tp, pred, gold_n, skipped


def score_number(settings: FigureSettings) -> tuple[int, int, int, dict[str, int]]:
    """(tp, predicted, gold, skipped) over NumberModel.json, comparing values only."""
    tp = pred = gold_n = 0
    skipped: dict[str, int] = {}
    for case in load_spec("NumberModel.json"):
        results = case["Results"]
        if any(r["Resolution"].get("subtype") in ("fraction", "power") for r in results) or any(
            re.search(r"(?i)\b(?:point|nought|naught|over|out of|dozs?|dzs)\b|[½⅔¾⅙]", r["Text"])
            for r in results
        ):
            key = "fractions, powers and spoken decimals"
            skipped[key] = skipped.get(key, 0) + 1
            continue
        gold = [(r["Start"], r["End"], float(r["Resolution"]["value"]), "n") for r in results]
        figures = list(extract_figures(case["Input"], settings))
        used: set[int] = set()
        for start, end, value, _ in gold:
            for i, fig in enumerate(figures):
                if i not in used and overlap(fig, start, end) and close(fig.value, value):
                    used.add(i)
                    tp += 1
                    break
        pred += len(figures)
        gold_n += len(gold)
    return tp, pred, gold_n, skipped


_INTERVAL = re.compile(r"^[\[(](-?[\d.]*),(-?[\d.]*)[\])]$")


def score_range(settings: FigureSettings) -> tuple[int, int, int, dict[str, int]]:
    """(tp, predicted, gold, skipped) over NumberRangeModel.json, comparing bounds."""
    tp = pred = gold_n = 0
    skipped: dict[str, int] = {}
    out_of_scope = re.compile(
        r"(?i)[<>=]|equal|tenth|fifteenth|half|quarter|/|\bin\b|\b(?:and|but)\b.*\b(?:than|below"
        r"|above|least|most)\b|\bor\s+(?:more|less|greater|equal)\b|\bgreater\b"
    )
    for case in load_spec("NumberRangeModel.json"):
        results = case["Results"]
        if any(out_of_scope.search(r["Text"]) for r in results):
            key = "comparison operators, two-sided bounds, ordinals and fractions"
            skipped[key] = skipped.get(key, 0) + 1
            continue
        gold = []
        for r in results:
            m = _INTERVAL.match(r["Resolution"]["value"])
            assert m is not None
            low = float(m.group(1)) if m.group(1) else None
            high = float(m.group(2)) if m.group(2) else None
            gold.append((r["Start"], r["End"], low, high))
        figures = [
            f
            for f in extract_figures(case["Input"], settings)
            if f.qualifier in ("min", "max", "range")
        ]
        used: set[int] = set()
        for start, end, low, high in gold:
            for i, fig in enumerate(figures):
                if i in used or not overlap(fig, start, end):
                    continue
                same_low = (low is None) == (fig.low is None) and (
                    low is None or fig.low is None or close(low, fig.low)
                )
                same_high = (high is None) == (fig.high is None) and (
                    high is None or fig.high is None or close(high, fig.high)
                )
                if same_low and same_high:
                    used.add(i)
                    tp += 1
                    break
        pred += len(figures)
        gold_n += len(gold)
    return tp, pred, gold_n, skipped


def _report(name: str, tp: int, pred: int, gold: int, skipped: dict[str, int]) -> float:
    score = f1(tp, pred, gold)
    print(f"\n{name}: F1={score:.3f} tp={tp} pred={pred} gold={gold} skipped={skipped}")
    return score


def test_currency_spec_f1(settings: FigureSettings) -> None:
    """Value+unit F1 on CurrencyModel.json stays at its measured level, 0.982 before issue 16
    (0.985 after it; target 0.90, Recognizers' own: 0.835)."""
    assert _report("currency", *score_currency(settings)) >= 0.982


def test_percent_spec_f1(settings: FigureSettings) -> None:
    """Value+unit F1 on PercentModel.json stays at 1.000 (target 0.95)."""
    assert _report("percent", *score_percent(settings)) >= 0.999


def test_number_spec_f1(settings: FigureSettings) -> None:
    """Value F1 on NumberModel.json stays at its measured level (0.66; a regression floor).

    Bare numbers are not the extractor's job (it keeps counts, money, rates and multipliers and
    drops years, versions and ordinals), so this is reported, not a target."""
    assert _report("number", *score_number(settings)) >= 0.65


def test_number_range_spec_f1(settings: FigureSettings) -> None:
    """Bounds F1 on NumberRangeModel.json stays at its measured level (0.88; regression floor)."""
    assert _report("number range", *score_range(settings)) >= 0.85
