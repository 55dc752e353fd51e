"""Find number cores: digits or number words with scale, currency and unit written beside them.

The big CORE pattern is only tried where a digit run or a number word starts (see
:func:`candidates`); this is what keeps the extractor above 1 MB/s.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from ingest.figures.model import trie_pattern
from ingest.figures.numbers import (
    ABBR_RE,
    CJK_CHARS,
    DIGITS_RE,
    SCALE_WORD_RE,
    SMALL,
    TENS,
    WORDS_RE,
    parse_digits,
    parse_words,
    scale_value,
)
from ingest.figures.units import PREFIX_RE, SUFFIX_RE, currency_code

_MULT_WORDS: Final[dict[str, float]] = {
    "twofold": 2,
    "threefold": 3,
    "fourfold": 4,
    "fivefold": 5,
    "sixfold": 6,
    "sevenfold": 7,
    "eightfold": 8,
    "ninefold": 9,
    "tenfold": 10,
    "twentyfold": 20,
    "hundredfold": 100,
    "thousandfold": 1000,
    "double": 2,
    "doubled": 2,
    "doubles": 2,
    "doubling": 2,
    "triple": 3,
    "tripled": 3,
    "triples": 3,
    "tripling": 3,
    "quadruple": 4,
    "quadrupled": 4,
    "quadruples": 4,
    "quadrupling": 4,
    "halved": 0.5,
    "halving": 0.5,
}

CORE: Final = re.compile(
    r"(?:(?P<pre>" + PREFIX_RE + r")\s?)?"
    r"(?P<sign>(?<![\w\-−])[-−](?=\d)|(?i:minus|negative)\s+(?=\d))?"
    r"(?:(?(pre)|(?<![^\W" + CJK_CHARS + r"])(?<![.,])(?<![A-Za-z]-))(?P<dig>" + DIGITS_RE + r")"
    r"(?:(?:\s?-\s?|\s)(?P<scale>" + SCALE_WORD_RE + r")(?![\w])"
    r"|(?P<abbr>" + ABBR_RE + r")(?![A-Za-z0-9])"
    # Spaced abbreviations: "5 bn", "$15 mn"; the one-letter and "mil" ones only after a
    # currency ("S$1 mil", "$3 m"), since "300 m" alone is more often metres.
    r"|\s(?P<sabbr>bn|Bn|bln|mn|mln|tn|trn|(?(pre)(?:mil|bil|tril|[mMbB])|(?!)))(?![\w]))?"
    r"|(?<![\w-])(?P<digit>(?i:double|triple))[- ]digits?(?![\w])"
    r"|(?<![\w-])(?P<mult>(?i:" + "|".join(sorted(_MULT_WORDS, key=len, reverse=True)) + r"))"
    r"(?![\w]|[ ]down|-digit)"
    r"|(?<![\w-])(?P<bare>(?i:million|billion|trillion))(?=-[a-z])"
    r"|(?<![\w-])(?P<words>(?i:" + WORDS_RE + r")))"
)

_CENTS: Final = re.compile(r"\d+\.\d\d")


def _rand_amount(digits: str, has_scale: bool, south_africa: bool) -> bool:
    """ "R3.2bn", "R15,000", and in South African coverage "R18.40", are rand."""
    return has_scale or "," in digits or (south_africa and _CENTS.fullmatch(digits) is not None)


# Currency names that are also common nouns: money only after a scale ("3 billion marks").
_SCALED_ONLY: Final[frozenset[str]] = frozenset({"marks"})
# "45 billion R": rand written after a scaled amount (never after a bare number, "grade 5 R").
_RAND_AFTER: Final = re.compile(r" R(?![\w&$'’])")
_HAS_SCALE_WORD: Final = re.compile(r"(?i)hundred|thousand|million|billion|trillion|dozen")
_COMPOUND: Final = re.compile(r"-([a-z]{3,})(?![\w-])")
_RIGHT_UNIT: Final = re.compile(
    r"(?P<pp>\s?(?:percentage[- ]points?|pp|ppts?|pts)(?![\w]))"
    r"|(?P<bp>\s?(?:basis[- ]points?|bps|bp)(?![\w]))"
    r"|(?P<pct>\s?(?:%|％)|[\s-]?(?:(?i:percent(?:age)?s?|per[\s-]?cent|pct)(?![\w])|pc(?![\w])"
    r"|p\.c\.))"
    r"|(?P<x>(?:[x×X](?![\w])|[\s-]?(?i:times|fold)(?![\w])))"
    r"|(?P<cur>[\s-]?(?:" + SUFFIX_RE + r"))(?:\s(?P<cscale>" + SCALE_WORD_RE + r")(?![\w]))?"
    r"|(?P<time>\s?-?\s?(?i:years?|months?|quarters?|weeks?|days?|hours?|minutes?|mins?"
    r"|seconds?|decades?|yrs?)(?![\w])|-year-old|-month)"
    r"|(?P<ordinal>(?:st|nd|rd|th)(?![\w]))"
    r"|(?P<pence>p)(?![\w]|\.m\b)"  # not "3p.m."
)
# "1080p" and "720p" are video resolutions, never share prices in pence.
_RESOLUTIONS: Final[frozenset[float]] = frozenset({144, 240, 360, 480, 576, 720, 1080, 1440, 2160})


@dataclass(frozen=True, slots=True)
class Core:
    start: int
    end: int
    value: float
    unit: str | None
    has_scale: bool
    is_year_like: bool
    bare_words: bool
    compound: str | None
    glued: bool  # letters glued to the digits that no unit explains ("5G", "10th")
    is_time: bool
    implied_min: bool = False  # "triple-digit growth" is at least 100%
    unit_after: bool = False  # the unit was written after the number ("15%", "5 yuan")
    times: bool = False
    size_suffix: bool = False
    # What the currency multiplied the written number by (0.01 for "9 cents", 1e6 for
    # "5 MUSD"); "8 or 9 cents" shares it.
    unit_mult: float = 1.0


@dataclass(frozen=True, slots=True)
class Hints:
    """What the whole text says about signs that stand for more than one currency."""

    yen: str = "JPY"  # the code "¥" stands for (CNY in coverage of China)
    rupee: str = "INR"  # the code "Rs" stands for (PKR in coverage of Pakistan ...)
    pence: bool = False  # about sterling: "412p" is 412 pence
    rand: bool = False  # about South Africa: "R18.40" is rand even without a scale


def read_core(text: str, m: re.Match[str], hints: Hints) -> Core | None:
    """Value, scale and unit of one CORE match plus the unit written right after it."""
    start, end = m.start(), m.end()
    unit: str | None = None
    mult = 1.0
    compound: str | None = None
    bare_words = False
    abbr = m.group("abbr") or m.group("sabbr") or ""
    has_scale = bool(m.group("scale") or abbr)
    pre = m.group("pre")
    if pre:
        code = currency_code(pre)
        if code is None:
            return None
        unit, mult = code
        if _loose_glued_only(m):
            return None  # "the euro 0.5% higher": the currency's name, not a prefix
        if pre == "R" and not _rand_amount(m.group("dig") or "", has_scale, hints.rand):
            # A bare "R" before a small number is a name ("DeepSeek R1", "R2 storage").
            return None
        if pre == "Sh" and not (has_scale or "," in (m.group("dig") or "")):
            return None  # "Sh 5" is more often a label than five shillings
        if unit == "JPY" and pre in ("¥", "￥"):
            unit = hints.yen
        elif unit == "INR" and pre in ("Rs", "Rs."):
            unit = hints.rupee
    if m.group("dig"):
        value = parse_digits(m.group("dig"))
        if value is None:
            return None
        if m.group("scale"):
            value *= scale_value(m.group("scale"))
        elif abbr:
            value *= scale_value(abbr)
    elif m.group("digit"):
        value = 10.0 if m.group("digit").lower() == "double" else 100.0
        return Core(start, end, value, "%", True, False, False, None, False, False, True)
    elif m.group("mult"):
        value = float(_MULT_WORDS[m.group("mult").lower()])
        return Core(start, end, value, "x", True, False, False, None, False, False)
    elif m.group("bare"):
        value = scale_value(m.group("bare"))
        has_scale = True
    else:
        words = m.group("words")
        parsed = parse_words(words)
        if parsed is None:
            return None
        value, used = parsed
        end = m.start("words") + used
        has_scale = bool(_HAS_SCALE_WORD.search(words[:used]))
        bare_words = not has_scale
    if m.group("sign"):
        value = -value
    value *= mult
    # Compound adjective: "trillion-parameter", "$53-billion", "12-cent".
    cm = _COMPOUND.match(text, end)
    glued = False
    is_time = False
    times = False
    unit_before = unit is not None
    um = _RIGHT_UNIT.match(text, end)
    if um is not None and um.group("time"):
        is_time = unit is None
        um = None if unit is not None else um
    if um is not None and unit is None:
        if um.group("pct"):
            unit = "%"
        elif um.group("pp"):
            unit = "pp"
        elif um.group("bp"):
            unit = "pp"
            value /= 100
        elif um.group("x"):
            unit = "x"
            if abs(value) >= 1000 and "times" in um.group("x").lower():
                # Nothing grows a thousandfold in news copy; "600 million times" counts events.
                unit = None
                times = True
        elif um.group("cur"):
            code = currency_code(um.group("cur").lstrip(" -"))
            word = um.group("cur").lstrip(" -").lower()
            if code is not None and word == "won" and m.group("words") and not has_scale:
                code = None  # "all five won medals": the verb, not Korean won
            if code is not None and word in _SCALED_ONLY and not has_scale:
                code = None  # "scored 95 marks": exam marks; "3 billion marks" is money
            if code is not None:
                unit = code[0]
                value *= code[1]
                mult = code[1]
                if um.group("cscale") and not has_scale:
                    value *= scale_value(um.group("cscale"))
                    has_scale = True
            else:
                um = None
        elif um.group("ordinal"):
            glued = True
            um = None
        elif um.group("pence"):
            if hints.pence and m.group("dig") and not has_scale and value not in _RESOLUTIONS:
                unit = "GBP"
                value /= 100
                mult = 0.01
            else:
                um = None
        if um is not None and not um.group("time"):
            end = um.end()
            cm = None
    elif um is not None and um.group("cur") and unit_before and not um.group("cscale"):
        # "人民币 3800亿元": the currency written again after the amount belongs to it.
        code = currency_code(um.group("cur").lstrip(" -"))
        if code is not None and code == (unit, 1.0) and um.group("cur")[0] not in " -":
            end = um.end()
            cm = None
    elif cm is not None and unit is None and not (um is not None and um.group("time")):
        compound = cm.group(1)
    if not glued and end < len(text) and (text[end].isalpha() and text[end].isascii()):
        glued = True
    digits = m.group("dig") or ""
    is_year_like = (
        unit is None
        and not has_scale
        and len(digits) == 4
        and digits.isdigit()
        and 1900 <= int(digits) <= 2100
        and not m.group("sign")
    )
    if unit is None and has_scale:
        rand = _RAND_AFTER.match(text, end)
        if rand is not None:
            unit, end, cm = "ZAR", rand.end(), None
    return Core(
        start,
        end,
        value,
        unit,
        has_scale,
        is_year_like,
        bare_words,
        compound,
        glued,
        is_time,
        unit_after=unit is not None and not unit_before,
        times=times,
        size_suffix=unit is None and m.group("abbr") in ("B", "M", "K", "T"),
        unit_mult=mult,
    )


_WORD_TRIGGERS: Final[frozenset[str]] = frozenset(
    [*SMALL, *TENS, *_MULT_WORDS, "double", "triple", "half", "quarter"]
)
_SCALE_TRIGGERS: Final[frozenset[str]] = frozenset(
    "hundred thousand million billion trillion dozen lakh crore".split()
)
# A digit run, or a whole run of ASCII letters that is a trigger word (any case). Matching the
# trigger words in the regex, instead of every word of three letters or more and a set lookup in
# Python, leaves Python only the tokens it acts on. Words of fewer than three letters were never
# tokens. "(?ai:": case-insensitive over ASCII only, as [A-Za-z] was (no Kelvin sign for "k").
_TOKEN: Final = re.compile(
    r"\d+|(?<![A-Za-z])(?ai:"
    + trie_pattern(sorted(w for w in _WORD_TRIGGERS | _SCALE_TRIGGERS if len(w) >= 3))
    + r")(?![A-Za-z])"
)
_PREFIX_BEFORE: Final = re.compile(
    r"(?:" + PREFIX_RE + r")\s?(?:[-−]|(?i:minus|negative)\s+)?\Z|(?<![\w\-−])[-−]\Z"
    r"|(?<![\w])(?i:minus|negative)\s+\Z|(?<![\w.,])\.\Z"
)
_SCALE_LEAD: Final = re.compile(
    r"(?i)(?<![\w])(?:a|an|half(?:\s+a)?|(?:a\s+)?quarter(?:\s+of\s+a)?"
    r"|three\s+quarters(?:\s+of\s+a)?)\s+\Z"
)


_LOWER_PREFIX_WORDS: Final[frozenset[str]] = frozenset(
    """usd eur gbp rmb cny jpy hkd aud cad nzd mxn chf inr krw sgd twd brl ars rs rs. rp ksh kshs
    dh dhs tk php euro sfr skr nkr dkr rbs sh tsh ush minus negative""".split()
)


def _may_have_prefix(text: str, p: int) -> bool:
    """Cheap test before the prefix regex: can a currency prefix or sign end right before p?"""
    c = text[p - 1]
    if c.isspace():
        if p < 2:
            return False
        c = text[p - 2]
    if c.isdigit() or c in "([{\"'“‘,;:!?":
        return False
    if c.islower():
        word = text[max(0, p - 12) : p].split()
        return bool(word) and word[-1].lower() in _LOWER_PREFIX_WORDS
    if c.isupper() and c != "R":
        # A prefix ending in a capital is a code ("USD", "MUSD"), "RM", "TL" or "$A"-like:
        # a lone capital ("Q3", "H100", "Series A 5") cannot be one.
        q = p - 1 if text[p - 1] == c else p - 2
        if q == 0 or not (text[q - 1].isupper() or text[q - 1] == "$"):
            return False
    return True


# Prefixes that are also words or initials: currencies only glued to the digits
# ("euro2.5 billion", "TL5bn"), not in "the euro 0.5% higher" or "TL 5".
_GLUED_ONLY: Final[frozenset[str]] = frozenset({"euro", "Euro", "TL"})


def _loose_glued_only(m: re.Match[str]) -> bool:
    """A glued-only prefix written apart from its digits."""
    return m.group("pre") in _GLUED_ONLY and m.end("pre") != m.start("dig")


def candidates(text: str) -> Iterator[tuple[re.Match[str], int]]:
    """CORE matches, found from cheap triggers (digit runs, number words) instead of trying the
    big CORE pattern at every character; this is what makes the extractor fast."""
    for tm in _TOKEN.finditer(text):
        p = tm.start()
        tok = tm.group()
        if tok[0].isdigit():
            # The currency prefix or sign sits just before the digits ("HK$ 4.8", "-3%").
            pm = (
                _PREFIX_BEFORE.search(text, max(0, p - 14), p)
                if p and _may_have_prefix(text, p)
                else None
            )
            m = CORE.match(text, pm.start()) if pm is not None else None
            if m is None or m.end() <= p or _loose_glued_only(m):
                m = CORE.match(text, p)
            if m is not None and m.end() > p:
                yield m, p
            continue
        low = tok.lower()
        if low in _SCALE_TRIGGERS:
            lead = _SCALE_LEAD.search(text, max(0, p - 24), p)
            m = CORE.match(text, lead.start()) if lead is not None else None
            if m is None:
                m = CORE.match(text, p)
            if m is not None and m.end() > m.start():
                yield m, p
        elif low in _WORD_TRIGGERS:
            m = CORE.match(text, p)
            if m is not None and m.end() > m.start():
                yield m, p
