"""Read figures from number cores: qualifier, sign and range from the words around them.

Everything here is about the surface form; meaning (subject, metric) is in ``context``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ingest.figures.core import CORE, Core, Hints, candidates, read_core
from ingest.figures.lists import change_before, share_units

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
    decreasing falling dropping declining sliding shrinking fallen shed sheds shedding dipped
    dips losing loses""".split()
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
    has_scale: bool = False
    unit_mult: float = 1.0  # see Core.unit_mult


_QUAL_MAX_WORDS: Final = 4
_ARTICLES: Final[frozenset[str]] = frozenset({"a", "an"})
# "out" for "wiping out $30bn".
_CONNECTORS: Final[frozenset[str]] = frozenset({"by", "of", "at", "to", "was", "were", "out"})
_NEG_WORDS: Final[frozenset[str]] = frozenset(
    """outflow loss losses deficit shortfall wiping wiped wipe erasing erased burn burning burned
    burnt weakened weakening eased retreated decline declined declines drop dropped drops fall
    fell falls down slid slipped shrank shrunk lost tumbled plunged plummeted sank contracted
    decreased decrease slump slumped negative minus decreasing falling dropping declining sliding
    shrinking fallen shed sheds shedding dipped dips losing loses""".split()
)
_WORDS_BEFORE: Final = re.compile(r"\S+")
# Last words of every phrase _left_context can find: most numbers have none of them before them,
# which lets it return at once.
_LEFT_LAST_WORDS: Final[frozenset[str]] = frozenset(
    [k.split()[-1] for k in _QUALIFIER_OF if k[0].isalpha()]
    + ["between", *_ARTICLES, *_CONNECTORS, *_NEG_WORDS]
)


# (word count, last word) of every phrase the qualifier loop below can find: a chunk of k words
# whose last word is not among them is not joined and looked up at all. (The leading quote and
# bracket strip only touches the first word, which is the last one only when k is 1.)
_QUAL_ENDINGS: Final[frozenset[tuple[int, str]]] = frozenset(
    (len(k.split()), k.split()[-1]) for k in [*_QUALIFIER_OF, "between"] if " " in k
)


def _left_context(text: str, start: int) -> tuple[str | None, int, str | None, str | None] | None:
    """(qualifier phrase, its start, negating word, connector) written just before ``start``."""
    q_start = start
    key: str | None = None
    if start and text[start - 1] in "~≈":
        key = text[start - 1]
        q_start = start - 1
    elif (
        start >= 2
        and text[start - 1] == " "
        and text[start - 2] in "~≈"
        and (start == 2 or not text[start - 3].isalnum())
    ):
        # "≈ 6%": the sign may stand apart from the number (but "5 ~ 6" is a range).
        key = text[start - 2]
        q_start = start - 2
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
    # str.split and the \S+ pattern cut at the same (Unicode) whitespace; split is much cheaper,
    # and a word's position is only needed when a qualifier phrase is found (below).
    words = text[lo:q_start].split()
    if lo > 0 and words and not text[lo].isspace():
        words = words[1:]  # cut in the middle of a word
    used = 0
    if key is None and words:
        last_word = words[-1].lower()
        for k in range(min(_QUAL_MAX_WORDS, len(words)), 0, -1):
            if k > 1 and (k, last_word) not in _QUAL_ENDINGS:
                continue
            chunk = words[-k:]
            phrase = " ".join(chunk).lower().lstrip("(\"“'")
            if phrase in _QUALIFIER_OF or phrase == "between":
                key = phrase
                first = chunk[0]
                first_pos = [m.start() for m in _WORDS_BEFORE.finditer(text, lo, q_start)][-k]
                q_start = first_pos + (len(first) - len(first.lstrip("(\"“'")))
                used = k
                break
    rest = words[: len(words) - used]
    neg: str | None = None
    conn: str | None = None
    if rest and rest[-1].lower() in _ARTICLES:
        rest = rest[:-1]
    if rest and rest[-1].lower() in _CONNECTORS:
        conn = rest[-1].lower()
        rest = rest[:-1]
    if rest and rest[-1].lower() in _NEG_WORDS:
        neg = rest[-1].lower()
    if key is None and neg is None:
        return None
    return key, q_start, neg, conn


def scan(text: str, hints: Hints) -> list[Raw]:
    """All figure candidates in ``text``, left to right, with ranges merged."""
    out: list[Raw] = []
    consumed = 0
    for m, trigger in candidates(text):
        if m.start() < consumed:
            # "10 $ 30 $": the "$" before 30 already belongs to the first figure.
            retry = CORE.match(text, trigger) if trigger >= consumed else None
            if retry is None or retry.end() == retry.start():
                continue
            m = retry
        core = read_core(text, m, hints)
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
        change_to = (
            rm is not None
            and rm.group().strip() == "to"
            and change_before(text, start) not in (None, "by")
        )
        if rm is not None and (rm.group().strip() != "and" or between):
            m2 = CORE.match(text, rm.end())
            core2 = read_core(text, m2, hints) if m2 is not None else None
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
                # After a change verb, "X to Y" is a change and a level when X is far smaller
                # ("increased by $43.6 billion to $419.2 billion", "rose 18 sen to RM23.50",
                # "rose 3/8 to 15 1/4"); the ends of a range are of one size ("rose 3 to 4
                # percent", "expected to increase by 5% to 10%").
                if change_to and abs(v1) < 0.5 * abs(v2):
                    v2 = v1
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
                has_scale=core.has_scale,
                unit_mult=core.unit_mult,
            )
        )
    return share_units(text, out)


def _implied_scale(v2: float, core2: Core) -> float:
    """Scale shared by both ends of "5 to 6 billion": the power of ten dividing v2's words."""
    for scale in (1e12, 1e9, 1e6, 1e3, 1e2):
        if abs(v2) >= scale and core2.has_scale:
            return scale
    return 1.0
