"""What a figure claims, as a key and an interval; and whether two claims agree.

Pure functions. A figure written ``$53 billion`` does not claim 53,000,000,000 exactly: it
claims "something that rounds to 53 billion", the interval 52.5-53.5 billion. Qualifiers and
words widen or bound that interval, and money is brought to US dollars (through the rate the
extractor already applied, ``value_usd``) so that ``380 billion yuan`` and ``$53 billion`` can
be compared. Two figures are :func:`consistent` when their intervals overlap.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from ingest.figures import Figure
from ingest.figures.model import unit_kind
from ingest.findings.settings import FindingSettings


@dataclass(frozen=True, slots=True, order=True)
class ClaimKey:
    """What a figure is about. ``subject`` and ``period`` are "" when the text names none."""

    subject: str
    metric: str
    period: str = ""

    def period_compatible(self, other: ClaimKey) -> bool:
        """Same subject and metric, and the same period where both state one."""
        return (
            self.subject == other.subject
            and self.metric == other.metric
            and (not self.period or not other.period or self.period == other.period)
        )


@dataclass(frozen=True, slots=True)
class Interval:
    """The values a figure is consistent with, in ``basis`` units.

    ``basis`` is "USD" for money with a known rate (the figure's own currency otherwise), or the
    unit ("%", "pp", "x", "count"). ``currencies`` is the currency the figure was written in:
    when two figures were written in different currencies, a comparison allows for the drift of
    exchange rates (see :func:`consistent`).
    """

    low: float
    high: float
    basis: str
    currencies: frozenset[str] = frozenset()
    # The interval in the currency the figure was written in (money only): two figures in one
    # currency are compared in it, whatever the month's rates did in between.
    native: tuple[float, float, str] | None = None


_NUMBER_WORDS: Final = {
    "a": "1", "an": "1", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10", "twelve": "12",
}  # fmt: skip
# Words that only join a period phrase to its sentence; "over the next three years" and "over
# three years" are the same period.
_PERIOD_FILLER: Final = frozenset(
    "over in during for within across of the next coming following".split()
)
_PERIOD_SYNONYMS: Final = {
    "year-on-year": "yoy", "year-over-year": "yoy", "year on year": "yoy",
    "year over year": "yoy", "y/y": "yoy", "quarter-on-quarter": "qoq",
    "quarter-over-quarter": "qoq", "quarter on quarter": "qoq", "quarter over quarter": "qoq",
    "q/q": "qoq", "month-on-month": "mom", "month-over-month": "mom", "month on month": "mom",
}  # fmt: skip


# Words that introduce the value a figure replaced: "up from 380 billion", "from 380 billion to
# 480 billion", "compared with 29 regions a year ago", "versus 26%", "previously 380 billion".
# "than" is not among them: "more than 380 billion" is a qualifier, not an old value.
_PRIOR_CUE = re.compile(
    r"(?:\b(?:up|down|rising|falling|rose|fell|increased|decreased|grew|dropped)\s+)?"
    r"\b(?:from|compared\s+(?:with|to)|versus|vs\.?|previously|formerly|earlier|prior)"
    r"\s+(?:an?\s+|the\s+|its\s+)?(?:earlier\s+|previous\s+|initial\s+|original\s+)?"
    r"(?:about\s+|around\s+|roughly\s+|some\s+|nearly\s+|approximately\s+|~\s*)?$",
    re.IGNORECASE,
)


def is_prior_mention(figure: Figure) -> bool:
    """True when the sentence presents the figure as the value that was replaced.

    Such a figure restates history ("480 billion yuan, up from 380 billion"): it is neither a
    new value nor a change back, whatever the claim's current value is.
    """
    at = figure.sentence.find(figure.text)
    if at < 0:
        return False
    return _PRIOR_CUE.search(figure.sentence[max(0, at - 40) : at]) is not None


def normalise_period(period: str | None) -> str:
    """A period phrase reduced to what distinguishes it ("over the next three years" -> "3 years").

    Prepositions, "the", and "next/coming/following" are dropped, number words become digits and
    plural/singular is unified, so two outlets' wordings of one period give one key.
    """
    if not period:
        return ""
    text = " ".join(period.lower().split())
    if text in _PERIOD_SYNONYMS:
        return _PERIOD_SYNONYMS[text]
    words = [_NUMBER_WORDS.get(w, w) for w in text.split() if w not in _PERIOD_FILLER]
    if len(words) == 1 and words[0] in ("year", "month", "quarter", "decade", "week", "day"):
        words = ["1", words[0]]
    words = [w[:-1] if w.endswith("s") and w[:-1] in _UNITS else w for w in words]
    return " ".join(words)


_UNITS: Final = frozenset(("year", "month", "quarter", "decade", "week", "day"))


# "triple-digit growth" is 100 % to 999 %: the words, not the qualifier, set the interval.
_DIGIT_WORDS: Final = (
    (re.compile(r"(?i)\bsingle[- ]digits?\b"), 1.0, 10.0),
    (re.compile(r"(?i)\bdouble[- ]digits?\b"), 10.0, 100.0),
    (re.compile(r"(?i)\btriple[- ]digits?\b"), 100.0, 1000.0),
    (re.compile(r"(?i)\bquadruple[- ]digits?\b"), 1000.0, 10000.0),
)
_NUMERAL: Final = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|\.\d+")


def half_unit(figure: Figure) -> float:
    """Half a unit in the last digit written, in the figure's units ("$52.44 billion" -> 5e6).

    The first numeral in the text is the one ``value`` (or ``low``) was read from; the ratio of
    the two is the scale word (billion, bn, 万 ...). A number written in words ("one trillion")
    has one significant digit. When the ratio is not a power of ten the numeral is not the one
    the value came from, and the one-digit rule applies too.
    """
    anchor = figure.low if figure.qualifier == "range" and figure.low is not None else figure.value
    match = _NUMERAL.search(figure.text)
    if match and anchor:
        token = match.group().replace(",", "")
        written = float(token)
        decimals = len(token.split(".")[1]) if "." in token else 0
        if written:
            scale = abs(anchor / written)
            exponent = round(math.log10(scale))
            if math.isclose(scale, 10.0**exponent, rel_tol=1e-6):
                return 0.5 * 10.0**-decimals * 10.0**exponent
    if not anchor:
        return 0.5
    return 0.5 * 10.0 ** math.floor(math.log10(abs(anchor)))


def _widen(low: float, high: float, fraction: float) -> tuple[float, float]:
    return low - abs(low) * fraction, high + abs(high) * fraction


def interval_of(figure: Figure, settings: FindingSettings) -> Interval:
    """The interval a figure stands for, with rounding, qualifier, words and currency applied."""
    value = figure.value
    h = half_unit(figure)
    words = next(((lo, hi) for rx, lo, hi in _DIGIT_WORDS if rx.search(figure.text)), None)
    if words is not None and unit_kind(figure.unit) in ("%", "pp", "count"):
        # Upper end open: "triple-digit" covers 999.4 %, which rounds into it.
        low, high = words[0], words[1] - 0.5
    elif figure.qualifier == "range" and figure.low is not None and figure.high is not None:
        low, high = figure.low - h, figure.high + h
    elif figure.qualifier == "approx":
        low, high = _widen(value - h, value + h, settings.approx_margin)
    elif figure.qualifier == "min":
        low, high = value - h, value + abs(value) * settings.min_margin + h
    elif figure.qualifier == "max":
        low, high = value - abs(value) * settings.max_margin - h, value + h
    else:
        low, high = value - h, value + h
    low, high = min(low, high), max(low, high)
    if unit_kind(figure.unit) != "money":
        return Interval(low, high, figure.unit, native=(low, high, figure.unit))
    currencies = frozenset((figure.unit,))
    native = (low, high, figure.unit)
    if figure.unit != "USD" and figure.value_usd is not None and figure.value:
        rate = figure.value_usd / figure.value
        if rate > 0:
            return Interval(low * rate, high * rate, "USD", currencies, native)
    return Interval(low, high, figure.unit, currencies, native)


def consistent(a: Interval, b: Interval, settings: FindingSettings) -> bool:
    """Whether two intervals can be the same figure: same basis and overlapping.

    When more than one currency is involved, each side is widened by ``fx_tolerance``: the
    outlets converted at their own day's rate, not at our month-start table's.
    """
    if a.native is not None and b.native is not None and a.native[2] == b.native[2]:
        # One currency: compared in it. Converting each side at its own month's rate would make
        # the same 380 billion yuan two different dollar amounts.
        return a.native[0] <= b.native[1] and b.native[0] <= a.native[1]
    if a.basis != b.basis:
        return False
    a_low, a_high, b_low, b_high = a.low, a.high, b.low, b.high
    if len(a.currencies | b.currencies) > 1:
        a_low, a_high = _widen(a_low, a_high, settings.fx_tolerance)
        b_low, b_high = _widen(b_low, b_high, settings.fx_tolerance)
    return a_low <= b_high and b_low <= a_high


def narrowed(a: Interval, b: Interval) -> Interval:
    """What two consistent statements of one value leave possible: "280 billion" then "280.2
    billion" leave 280.15-280.25 billion, so a later "280.38 billion" disagrees (with the
    precise statement) although it rounds to the first. Only within one currency."""
    if a.native is None or b.native is None or a.native[2] != b.native[2]:
        return a
    low, high = max(a.native[0], b.native[0]), min(a.native[1], b.native[1])
    if low > high:
        return a
    return Interval(a.low, a.high, a.basis, a.currencies, (low, high, a.native[2]))


def comparable_value(figure: Figure) -> tuple[float, str]:
    """The figure's value in the basis intervals use (USD for converted money) and the basis."""
    if unit_kind(figure.unit) == "money" and figure.value_usd is not None:
        return figure.value_usd, "USD"
    return figure.value, figure.unit


def relative_change(old: Figure, new: Figure) -> float | None:
    """(new - old) / |old| on the comparable values; None when units differ or old is zero."""
    old_value, old_basis = comparable_value(old)
    new_value, new_basis = comparable_value(new)
    if old_basis != new_basis or old_value == 0:
        return None
    return (new_value - old_value) / abs(old_value)
