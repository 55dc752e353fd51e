"""Number parsing: digits with separators, scale words and abbreviations, English number words.

Pure functions and regex fragments; nothing here knows about currencies or context.
"""

from __future__ import annotations

import math
import re
from typing import Final

SMALL: Final[dict[str, int]] = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
} | {"nought": 0, "naught": 0}
TENS: Final[dict[str, int]] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES: Final[dict[str, float]] = {
    "hundred": 1e2,
    "thousand": 1e3,
    "lakh": 1e5,
    "million": 1e6,
    "crore": 1e7,
    "billion": 1e9,
    "trillion": 1e12,
}
# Abbreviated scales written after digits ("$53B", "2.6bn", "10 mln"). Case matters for "M"/"m"
# only in that both mean million here; "G" is deliberately absent ("5G" is a network, not 5e9).
ABBREVIATIONS: Final[dict[str, float]] = {
    "k": 1e3,
    "K": 1e3,
    "m": 1e6,
    "M": 1e6,
    "mn": 1e6,
    "mln": 1e6,
    "mil": 1e6,
    "MM": 1e6,
    "b": 1e9,
    "B": 1e9,
    "bn": 1e9,
    "bln": 1e9,
    "bil": 1e9,  # Malaysian press: "RM1.2bil", "RM500mil"
    "tril": 1e12,
    "Bn": 1e9,
    "tn": 1e12,
    "tln": 1e12,
    "trn": 1e12,
    "T": 1e12,
    # Chinese myriad scales, written glued after the digits ("3800亿", "3.8万亿").
    "万": 1e4,
    "亿": 1e8,
    "万亿": 1e12,
}

# Chinese and Japanese characters (a character class body): Chinese writes numbers glued to the
# words around them ("投入3800亿元"), so a digit right after one of these is not glued to a word.
CJK_CHARS: Final[str] = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"

_WORD_UNIT = "|".join(sorted(list(SMALL) + list(TENS), key=len, reverse=True))
_WORD_SCALE = "hundred|thousand|million|billion|trillion|lakh|crore|dozen"

# Digits: "25,960", "1,899.5", Indian "12,34,567.89", thin-space groups, plain "33.40", ".08".
# Fractions of US market copy: "7 1/2", "15-1/4", "3/8" (eighths to sixty-fourths only, so
# "24/7" and "9/11" are not fractions).
_FRACTION = r"(?<![\d/])\d{1,2}/(?:64|32|16|8|4|2)(?![\d/])"
DIGITS_RE: Final[str] = (
    # The lookahead lets the common case (no fraction) skip both fraction branches at once.
    r"(?:(?=[\d,]*[ -]?\d{1,2}/)(?:(?:\d{1,3}(?:,\d{3})+|\d{1,4})[ -]"
    + _FRACTION
    + r"|"
    + _FRACTION
    + r")|"
    r"(?:\d{1,3}(?:,\d{3})+(?![\d,]\d)|\d{1,2}(?:,\d{2})+,\d{3}|\d{1,3}(?:[\u00a0\u202f]\d{3})+"
    r"|\d{1,3}(?: \d{3}){2,}(?!\d)|\d+)(?:\.\d+)?|\.\d+)"
)
SCALE_WORD_RE: Final[str] = (
    r"(?i:lakh\s+crores?|(?:hundred|thousand|million|billion|trillion|lakh|crore)s?)"
)
ABBR_RE: Final[str] = r"(?:万亿|亿|万|bn|Bn|bln|bil|mn|mln|mil|MM|tn|tln|trn|tril|[kKmMbBT])"

# Number words: "one trillion", "twenty-one", "one hundred and six", "a dozen", "half a million".
# "and" may only follow a scale word so "between three and five" stays two numbers.
WORDS_RE: Final[str] = (
    r"(?:(?:(?:a|an|one|half(?:\s+a)?|(?:a\s+)?quarter(?:\s+of\s+a)?|three\s+quarters(?:\s+of\s+a)?)"
    r"\s+(?:" + _WORD_SCALE + r")|(?:" + _WORD_UNIT + r"))"
    r"(?:(?:\s*-\s*|\s+)(?:(?:" + _WORD_UNIT + r")|(?:" + _WORD_SCALE + r")s?)"
    r"|(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion)|(?<=trillion))\s+and\s+"
    r"(?:" + _WORD_UNIT + r"))*)(?!\w)(?!-(?!(?:yen|yuan|dollars?|cents?|euros?|pounds?|pence"
    r"|percent|fold|times)\b))"
)

_SEPARATORS = re.compile(r"[,\u00a0\u202f ]")
_TOKEN = re.compile(r"[a-z]+|\d+(?:\.\d+)?")


def parse_digits(raw: str) -> float | None:
    """Value of a digit string with separators ("25,960" -> 25960.0); None if not finite."""
    if "/" in raw:
        return _parse_fraction(raw)
    cleaned = _SEPARATORS.sub("", raw)
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _parse_fraction(raw: str) -> float | None:
    """ "7 1/2" -> 7.5, "3/8" -> 0.375; None when the numerator is not below the denominator."""
    whole, _, frac = raw.replace("-", " ").rpartition(" ")
    num, _, den = frac.partition("/")
    if int(num) >= int(den):
        return None
    base = float(_SEPARATORS.sub("", whole)) if whole else 0.0
    return base + int(num) / int(den)


def scale_value(raw: str) -> float:
    """Multiplier of a scale word or abbreviation ("billion", "bn", "B" -> 1e9); 1.0 if unknown."""
    if raw in ABBREVIATIONS:
        return ABBREVIATIONS[raw]
    word = " ".join(raw.lower().split()).rstrip("s")
    if word == "lakh crore":
        return 1e12  # Indian press: "Rs 1.5 lakh crore" is 1.5 x 10^5 x 10^7
    return SCALES.get(word, 1.0)


def parse_words(raw: str) -> tuple[float, int] | None:
    """Value of English number words and how many characters of ``raw`` form a valid number.

    Stops at the first word that cannot continue a number ("five six" -> 5, 4 chars), so the
    caller can trim the span. Returns None when not even the first word is a number.
    """
    total = 0.0
    current = 0.0
    last_small = -1  # 0: unit, 1: teen/ten, 2: tens, 3: hundred, 4: big scale
    fraction = 0.0
    consumed = 0
    seen = False
    for match in _TOKEN.finditer(raw.lower()):
        word = match.group()
        if word in ("and", "a", "an", "of"):
            continue
        if word == "half":
            fraction = 0.5
            consumed = match.end()
            continue
        if word in ("quarter", "quarters"):
            fraction = 0.75 if current == 3 else 0.25
            current = 0.0 if current == 3 else current
            consumed = match.end()
            continue
        if word in SMALL:
            value = SMALL[word]
            kind = 0 if value < 10 else 1
            if last_small in (0, 1) or (last_small == 2 and kind == 1):
                break
            current += value
            last_small = kind
        elif word in TENS:
            if last_small in (0, 1, 2):
                break
            current += TENS[word]
            last_small = 2
        elif word in ("dozen", "dozens"):
            current = (current or 1.0) * 12
            last_small = 4
        else:
            scale = SCALES.get(word.rstrip("s"))
            if scale is None:
                break
            base = current or (fraction if fraction else 1.0)
            if fraction and current:
                base = current + fraction
            fraction = 0.0
            if scale == 100:
                current = base * 100
                last_small = 3
            else:
                total += base * scale
                current = 0.0
                last_small = 4
        seen = True
        consumed = match.end()
    if not seen:
        return None
    return total + current + fraction, consumed
