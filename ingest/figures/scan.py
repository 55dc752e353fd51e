"""Find figure candidates: the number, its scale, currency, unit, qualifier, sign and range.

One compiled regex finds number cores; small anchored regexes read the few words on either side.
Everything here is about the surface form; meaning (subject, metric) is in ``context``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from ingest.figures.numbers import (
    ABBR_RE,
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
    r"(?:(?(pre)|(?<![\w.,])(?<![A-Za-z]-))(?P<dig>" + DIGITS_RE + r")"
    r"(?:(?:\s?-\s?|\s)(?P<scale>" + SCALE_WORD_RE + r")(?![\w])"
    r"|(?P<abbr>" + ABBR_RE + r")(?![A-Za-z0-9]))?"
    r"|(?<![\w-])(?P<digit>(?i:double|triple))[- ]digits?(?![\w])"
    r"|(?<![\w-])(?P<mult>(?i:" + "|".join(sorted(_MULT_WORDS, key=len, reverse=True)) + r"))"
    r"(?![\w]|[ ]down|-digit)"
    r"|(?<![\w-])(?P<bare>(?i:million|billion|trillion))(?=-[a-z])"
    r"|(?<![\w-])(?P<words>(?i:" + WORDS_RE + r")))"
)

_HAS_SCALE_WORD: Final = re.compile(r"(?i)hundred|thousand|million|billion|trillion|dozen")
_COMPOUND: Final = re.compile(r"-([a-z]{3,})(?![\w-])")
_RIGHT_UNIT: Final = re.compile(
    r"(?P<pp>\s?(?:percentage[- ]points?|pp|ppts?|pts)(?![\w]))"
    r"|(?P<bp>\s?(?:basis[- ]points?|bps|bp)(?![\w]))"
    r"|(?P<pct>\s?(?:%|％|(?i:percent(?:age)?s?|per\s?cent|pct)(?![\w])))"
    r"|(?P<x>(?:[x×X](?![\w])|[\s-]?(?i:times|fold)(?![\w])))"
    r"|(?P<cur>[\s-]?(?:" + SUFFIX_RE + r"))(?:\s(?P<cscale>" + SCALE_WORD_RE + r")(?![\w]))?"
    r"|(?P<time>\s?-?\s?(?i:years?|months?|quarters?|weeks?|days?|hours?|minutes?|mins?"
    r"|seconds?|decades?|yrs?)(?![\w])|-year-old|-month)"
    r"|(?P<ordinal>(?:st|nd|rd|th)(?![\w]))"
)

_QUALIFIER_OF: Final[dict[str, str]] = {
    "about": "approx",
    "around": "approx",
    "approximately": "approx",
    "approx.": "approx",
    "roughly": "approx",
    "nearly": "approx",
    "almost": "approx",
    "some": "approx",
    "close to": "approx",
    "an estimated": "approx",
    "estimated": "approx",
    "circa": "approx",
    "~": "approx",
    "≈": "approx",
    "more than": "min",
    "over": "min",
    "at least": "min",
    "beyond": "min",
    "upwards of": "min",
    "in excess of": "min",
    "exceeding": "min",
    "exceeds": "min",
    "exceeded": "min",
    "exceed": "min",
    "above": "min",
    "north of": "min",
    "no less than": "min",
    "top": "min",
    "surpass": "min",
    "surpassed": "min",
    "surpassing": "min",
    "just over": "min",
    "well over": "min",
    "well above": "min",
    ">": "min",
    ">=": "min",
    "up to": "max",
    "less than": "max",
    "under": "max",
    "at most": "max",
    "below": "max",
    "fewer than": "max",
    "no more than": "max",
    "as much as": "max",
    "as many as": "max",
    "as high as": "max",
    "just under": "max",
    "<": "max",
    "<=": "max",
    "more than double": "min",
    "more than triple": "min",
    "only": "exact",
    "just": "exact",
}
_SUFFIX_QUAL: Final = re.compile(
    r"\s*(?:(?P<min>or\s+more|and\s+above|or\s+above|and\s+more|or\s+higher|-plus|\+)"
    r"|(?P<max>or\s+less|or\s+fewer|or\s+below|or\s+lower))(?![\w])"
)
_RANGE_SEP: Final = re.compile(r"\s?(?:-|–|—|~)\s?|\s+(?:to|and)\s+")
_FROM: Final = re.compile(r"(?i)\bfrom\s+\Z")
_RIGHT_NEG: Final = re.compile(
    r"\s+(?:(?:cash|net|operating|capital|free[- ]cash[- ]flow)\s+)?(?:outflow|loss|deficit"
    r"|shortfall|drop|decline|fall|decrease|slump|plunge)s?(?![\w])"
)
_RIGHT_LOWER: Final = re.compile(
    r"\s+(?:lower|less|smaller|cheaper|fewer|drop|decline|fall|decrease|slump|plunge|down)(?![\w])"
)
_NEG_PERCENT_ONLY: Final[frozenset[str]] = frozenset(
    """decline declined declines drop dropped drops fall fell falls down slid slipped shrank
    weakened weakening eased retreated
    shrunk lost tumbled plunged plummeted sank contracted decreased decrease slump slumped
    decreasing falling dropping declining sliding shrinking""".split()
)


@dataclass(frozen=True, slots=True)
class Raw:
    """A figure as read from the surface: before subject, metric and period are attached."""

    start: int
    end: int
    value: float
    unit: str  # ISO code, "%", "pp", "x" or "count"
    qualifier: str
    low: float | None
    high: float | None
    noun_pos: int  # where to look for the counted noun
    compound_noun: str | None
    is_year: bool
    bare_words: bool  # number words with no scale and no unit ("three")
    times: bool = False  # "downloaded 600 million times": occurrences, not a multiplier
    size_suffix: bool = False  # "72B" glued upper-case scale with no currency
    core_start: int = 0  # the number itself, without qualifier words
    core_end: int = 0


@dataclass(frozen=True, slots=True)
class _Core:
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


def read_core(text: str, m: re.Match[str], yen: str) -> _Core | None:
    """Value, scale and unit of one CORE match plus the unit written right after it."""
    start, end = m.start(), m.end()
    unit: str | None = None
    mult = 1.0
    compound: str | None = None
    bare_words = False
    has_scale = bool(m.group("scale") or m.group("abbr"))
    pre = m.group("pre")
    if pre:
        code = currency_code(pre)
        if code is None:
            return None
        unit, mult = code
        if unit == "JPY" and pre in ("¥", "￥"):
            unit = yen
    if m.group("dig"):
        value = parse_digits(m.group("dig"))
        if value is None:
            return None
        if m.group("scale"):
            value *= scale_value(m.group("scale"))
        elif m.group("abbr"):
            value *= scale_value(m.group("abbr"))
    elif m.group("digit"):
        value = 10.0 if m.group("digit").lower() == "double" else 100.0
        return _Core(start, end, value, "%", True, False, False, None, False, False, True)
    elif m.group("mult"):
        value = float(_MULT_WORDS[m.group("mult").lower()])
        return _Core(start, end, value, "x", True, False, False, None, False, False)
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
            if code is not None:
                unit = code[0]
                value *= code[1]
                if um.group("cscale") and not has_scale:
                    value *= scale_value(um.group("cscale"))
                    has_scale = True
            else:
                um = None
        elif um.group("ordinal"):
            glued = True
            um = None
        if um is not None and not um.group("time"):
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
    abbr = m.group("abbr") or ""
    return _Core(
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
        size_suffix=unit is None and abbr in ("B", "M", "K", "T"),
    )


# Every trigger word has at least three letters; skipping "a", "of", "in" halves the tokens.
_TOKEN: Final = re.compile(r"\d+|[A-Za-z]{3,}")
_WORD_TRIGGERS: Final[frozenset[str]] = frozenset(
    [*SMALL, *TENS, *_MULT_WORDS, "double", "triple", "half", "quarter"]
)
_SCALE_TRIGGERS: Final[frozenset[str]] = frozenset(
    "hundred thousand million billion trillion dozen lakh crore".split()
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
    "usd eur gbp rmb cny jpy hkd aud cad nzd mxn chf inr krw sgd twd brl ars minus negative".split()
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
    return True


def _candidates(text: str) -> Iterator[tuple[re.Match[str], int]]:
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
            if m is None or m.end() <= p:
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


_QUAL_MAX_WORDS: Final = 4
_ARTICLES: Final[frozenset[str]] = frozenset({"a", "an"})
_CONNECTORS: Final[frozenset[str]] = frozenset({"by", "of", "at", "to", "was", "were"})
_NEG_WORDS: Final[frozenset[str]] = frozenset(
    """outflow loss losses deficit shortfall wiping wiped wipe erasing erased burn burning burned
    burnt weakened weakening eased retreated decline declined declines drop dropped drops fall
    fell falls down slid slipped shrank shrunk lost tumbled plunged plummeted sank contracted
    decreased decrease slump slumped negative minus decreasing falling dropping declining sliding
    shrinking""".split()
)
_WORDS_BEFORE: Final = re.compile(r"\S+")
# Last words of every phrase _left_context can find: most numbers have none of them before them,
# which lets it return at once.
_LEFT_LAST_WORDS: Final[frozenset[str]] = frozenset(
    [k.split()[-1] for k in _QUALIFIER_OF if k[0].isalpha()]
    + ["between", *_ARTICLES, *_CONNECTORS, *_NEG_WORDS]
)


def _left_context(text: str, start: int) -> tuple[str | None, int, str | None, str | None] | None:
    """(qualifier phrase, its start, negating word, connector) written just before ``start``."""
    q_start = start
    key: str | None = None
    if start and text[start - 1] in "~≈":
        key = text[start - 1]
        q_start = start - 1
    elif (start and text[start - 1] in "<>") or text[max(0, start - 2) : start] in ("<=", ">="):
        sym = (
            text[start - 2 : start] if text[start - 2 : start] in ("<=", ">=") else text[start - 1]
        )
        # A comparison sign counts only as a word of its own ("x >30"), not inside "<>30".
        if start - len(sym) == 0 or text[start - len(sym) - 1].isspace():
            key = sym
            q_start = start - len(sym)
    lo = max(0, q_start - 60)
    if q_start == lo or not text[q_start - 1].isspace():
        return (key, q_start, None, None) if key else None
    if key is None:
        last = text[max(0, q_start - 20) : q_start].split()
        if not last or last[-1].lower().lstrip("(\"“'") not in _LEFT_LAST_WORDS:
            return None
    words = [(m.start(), m.group()) for m in _WORDS_BEFORE.finditer(text, lo, q_start)]
    if lo > 0 and words and words[0][0] == lo:
        words = words[1:]  # cut in the middle of a word
    used = 0
    if key is None:
        for k in range(min(_QUAL_MAX_WORDS, len(words)), 0, -1):
            chunk = words[-k:]
            phrase = " ".join(w for _, w in chunk).lower().lstrip("(\"“'")
            if phrase in _QUALIFIER_OF or phrase == "between":
                key = phrase
                first_pos, first = chunk[0]
                q_start = first_pos + (len(first) - len(first.lstrip("(\"“'")))
                used = k
                break
    rest = words[: len(words) - used]
    neg: str | None = None
    conn: str | None = None
    if rest and rest[-1][1].lower() in _ARTICLES:
        rest = rest[:-1]
    if rest and rest[-1][1].lower() in _CONNECTORS:
        conn = rest[-1][1].lower()
        rest = rest[:-1]
    if rest and rest[-1][1].lower() in _NEG_WORDS:
        neg = rest[-1][1].lower()
    if key is None and neg is None:
        return None
    return key, q_start, neg, conn


def scan(text: str, yen: str) -> list[Raw]:
    """All figure candidates in ``text``, left to right, with ranges merged."""
    out: list[Raw] = []
    consumed = 0
    for m, trigger in _candidates(text):
        if m.start() < consumed:
            # "10 $ 30 $": the "$" before 30 already belongs to the first figure.
            retry = CORE.match(text, trigger) if trigger >= consumed else None
            if retry is None or retry.end() == retry.start():
                continue
            m = retry
        core = read_core(text, m, yen)
        if core is None or core.glued or core.is_time:
            # Consume the rejected number so its inner digit runs ("960" of "25,960", "3" of
            # "Qwen3") are not tried again on their own.
            consumed = max(consumed, m.end())
            continue
        start, end = core.start, core.end
        value, unit = core.value, core.unit
        qualifier = "exact"
        low: float | None = None
        high: float | None = None
        negate = False
        between = False
        left = _left_context(text, start)
        if left is not None:
            key, q_start, neg, conn = left
            if key == "between":
                between = True
            elif key is not None:
                qualifier = _QUALIFIER_OF.get(key, "exact")
                if key.startswith(("more than double", "more than triple")):
                    qualifier = "min"
            if key is not None:
                start = q_start
            if neg and unit != "x" and unit != "count":
                # Direction verbs ("fell 3%") sign changes of money and rates; nouns like
                # "outflow of" and "loss of" sign any amount.
                verb = neg in _NEG_PERCENT_ONLY
                # "fell to $5" states a level; "fell 3%" and "a loss to 1.8 billion" a change.
                negate = (not verb or unit is not None) and not (verb and conn == "to")
        # A range: "15-20%", "five to six", "$3bn-$5bn", "between 3 and 5".
        rm = _RANGE_SEP.match(text, end) if not core.is_year_like else None
        if (
            rm is not None
            and rm.group().strip() == "to"
            and _FROM.search(text, max(0, start - 8), start)
        ):
            rm = None  # "from 12% to 35%" is a change, not a range
        if rm is not None and (rm.group().strip() != "and" or between):
            m2 = CORE.match(text, rm.end())
            core2 = read_core(text, m2, yen) if m2 is not None else None
            if (
                core2 is not None
                and not core2.glued
                and not core2.is_time
                and not core2.is_year_like
                and (unit is None or core2.unit is None or unit == core2.unit)
                and not (core.unit_after and core2.unit is None)
            ):
                v1, v2 = value, core2.value
                if not core.has_scale and core2.has_scale and abs(v1) < abs(v2):
                    v1 *= _implied_scale(v2, core2)
                if v1 < v2:
                    low, high = v1, v2
                    value = v1
                    unit = unit or core2.unit
                    end = core2.end
                    qualifier = "range"
        if between and qualifier != "range":
            qualifier = "exact"
        if core.implied_min and qualifier == "exact":
            qualifier = "min"
        sq = _SUFFIX_QUAL.match(text, end)
        if sq is not None and qualifier == "exact":
            qualifier = "min" if sq.group("min") else "max"
            end = sq.end()
        if core.is_year_like:
            consumed = max(consumed, end)
            continue
        if unit not in (None, "%", "pp", "x") and _RIGHT_NEG.match(text, end):
            negate = True
        if unit in ("%", "pp") and _RIGHT_LOWER.match(text, end):
            negate = True
        if negate and value > 0:
            value, low, high = (
                -value,
                (-high if high is not None else None),
                (-low if low is not None else None),
            )
            if qualifier == "min":
                qualifier = "max"
            elif qualifier == "max":
                qualifier = "min"
        if qualifier == "min":
            low = value
        elif qualifier == "max":
            high = value
        consumed = end
        out.append(
            Raw(
                start=start,
                end=end,
                value=value,
                unit=unit or "count",
                qualifier=qualifier,
                low=low,
                high=high,
                noun_pos=end,
                compound_noun=core.compound,
                is_year=False,
                bare_words=core.bare_words and unit is None,
                times=core.times,
                size_suffix=core.size_suffix,
                core_start=core.start,
                core_end=core.end,
            )
        )
    return out


def _implied_scale(v2: float, core2: _Core) -> float:
    """Scale shared by both ends of "5 to 6 billion": the power of ten dividing v2's words."""
    for scale in (1e12, 1e9, 1e6, 1e3, 1e2):
        if abs(v2) >= scale and core2.has_scale:
            return scale
    return 1.0
