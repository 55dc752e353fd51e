"""Figures that share a unit written once: "8 or $9", "eight or nine euros", "rose 2 percent
but fell by 1".

Runs over the scanned figures of one text, after :func:`ingest.figures.scan.scan` has read each
number on its own. Pure.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from ingest.figures.context import counted_noun

if TYPE_CHECKING:
    from ingest.figures.scan import Raw

_FALL_WORDS: Final[frozenset[str]] = frozenset(
    """fell fall falls falling dropped drop drops dropping declined decline declines declining
    decreased decrease decreases decreasing lost lose loses losing shed sheds slid slide slides
    slipped slip slips dipped dip dips eased ease eases sank sink sinks tumbled plunged plummeted
    slumped retreated shrank shrunk contracted down lower off""".split()
)
_RISE_WORDS: Final[frozenset[str]] = frozenset(
    """rose rise rises rising risen gained gain gains gaining increased increase increases
    increasing grew grow grows growing grown climbed climb climbs jumped jump jumps surged surge
    surges soared soar soars rallied advanced added add adds up higher widened expanded lifted
    edged""".split()
)
_CHANGE_WORDS: Final[frozenset[str]] = _FALL_WORDS | _RISE_WORDS
_LIST_WORDS: Final[frozenset[str]] = frozenset({"and", "but", "or", "while", "then"})
# Words between the verb and the number: "fell by about 1", "rose another 2".
_HEDGES: Final[frozenset[str]] = frozenset(
    "about around nearly almost roughly some just another further only".split()
)


def change_before(text: str, start: int) -> str | None:
    """The change verb right before ``start`` ("fell 1", "decrease by 1", "lost about 1"), or
    "by" when the verb is left out ("... and by 1.1"); None when there is neither.

    Word sets, not a regex search: this runs for every bare number. scan's "X to Y" rule uses
    it too."""
    words = [w.lstrip("(\"“'") for w in text[max(0, start - 40) : start].lower().split()]
    if len(words) > 1 and words[0] and start > 40:
        words = words[1:]  # the first may be cut
    while words and words[-1] in _HEDGES:
        words.pop()
    if words and words[-1] == "a":
        words.pop()  # "a further 2"
    if not words:
        return None
    if words[-1] == "by":
        words.pop()
        if not words:
            return None
        if words[-1] in _CHANGE_WORDS:
            return words[-1]
        return "by" if words[-1] in _LIST_WORDS or words[-1].endswith(",") else None
    return words[-1] if words[-1] in _CHANGE_WORDS else None


# Joins of a list that writes the unit once, at its end: "8 or $9", "5, 6 or 7 percent".
_JOIN: Final = re.compile(r"\s*,\s*|,?\s+(?:or|and)\s+")
_SENTENCE_END: Final = re.compile(r"[.!?](?:\s|\Z)|\n")
_RATE_UNITS: Final[frozenset[str]] = frozenset({"%", "pp"})
# Words the counted-noun reader takes for a noun that are not one ("by 2 next year").
_NOT_NOUNS: Final[frozenset[str]] = frozenset(
    "next earlier later respectively apiece overall since after before against compared".split()
)
# "fell 90, or 0.3 percent" (points, then the rate) and "fell 45 to 8,100" (points to a level):
# the bare number is index points, not a rate.
_POINTS_AFTER: Final = re.compile(r"\s*,?\s*(?:or|to)\s+[-−$€£¥]?\s?\d")


def _implied_scale(raw: Raw) -> float:
    """Scale written on ``raw`` ("$3bn" -> 1e9), read back from its value."""
    number = abs(raw.value / raw.unit_mult) if raw.unit_mult else 0.0
    if not raw.has_scale:
        return 1.0
    for scale in (1e12, 1e9, 1e6, 1e3, 1e2):
        if number >= scale:
            return scale
    return 1.0


def _bare(text: str, raw: Raw) -> bool:
    """A unitless number with no counted noun, no compound and no range of its own."""
    if raw.unit != "count" or raw.compound_noun is not None or raw.qualifier == "range":
        return False
    if raw.times:
        return False
    noun = counted_noun(text, raw.end)[0]
    return noun is None or noun in _NOT_NOUNS


def _with_unit(raw: Raw, unit: str, mult: float, negative: bool) -> Raw:
    """``raw`` in ``unit``, its number times ``mult``; signed as a fall when ``negative``."""
    value = raw.value * mult
    low = raw.low * mult if raw.low is not None else None
    high = raw.high * mult if raw.high is not None else None
    qualifier = raw.qualifier
    if negative and value > 0:
        # As scan signs a fall: the bounds swap ("fell at least 3" is at most -3).
        value, low, high = -value, (-high if high is not None else None), (-low if low else None)
        qualifier = {"min": "max", "max": "min"}.get(qualifier, qualifier)
    return replace(
        raw, unit=unit, value=value, low=low, high=high, qualifier=qualifier, bare_words=False
    )


def share_units(text: str, raws: list[Raw]) -> list[Raw]:
    """Give unitless numbers the unit their list writes once."""
    if len(raws) < 2:
        return raws
    out = list(raws)
    joined: set[int] = set()
    # "8 or $9", "eight or nine euros", "5, 6 or 7 percent": right to left, so a chain of
    # numbers passes the last one's unit back.
    for i in range(len(out) - 2, -1, -1):
        a, b = out[i], out[i + 1]
        join = _JOIN.fullmatch(text, a.end, b.start)
        if b.unit in ("count", "x") or join is None:
            continue
        gap = join.group()
        if "," in gap and not ("or" in gap or "and" in gap) and i + 1 not in joined:
            # A bare comma joins only inside a list that ends in "or"/"and" ("5, 6 or 7%");
            # "Of the 30, 5 percent ..." is two things.
            continue
        if "," in gap and ("or" in gap or "and" in gap) and not _after_comma(text, out, i):
            # "fell 90, or 0.3 percent": points, then the same fall as a rate; only a longer
            # list takes a comma before its last "or" ("5, 6, or 7 percent").
            continue
        if not _bare(text, a) or b.qualifier == "range":
            continue
        joined.add(i)
        mult = b.unit_mult * (1.0 if a.has_scale else _implied_scale(b))
        if not 0.1 <= abs(a.value * mult) / (abs(b.value) or 1.0) <= 10:
            # Alternatives in a list are of one size; "fell 90 or 0.3%" is points, then a rate.
            continue
        negative = change_before(text, a.start) in _FALL_WORDS
        out[i] = _with_unit(a, b.unit, mult, negative or b.value < 0)
        if negative and b.value > 0:
            out[i + 1] = _with_unit(b, b.unit, 1.0, True)
    # "rose 2 percent but fell by 1": a rate's unit carries to a bare change in its sentence.
    if not any(r.unit in _RATE_UNITS for r in out):
        return out
    for i, r in enumerate(out):
        # Index points are written bare too ("the Dow fell 90"); rate changes are small.
        if r.unit != "count" or r.bare_words or abs(r.value) >= 20:
            continue
        word = change_before(text, r.start)
        if word is None or not _bare(text, r) or _POINTS_AFTER.match(text, r.end):
            continue
        source = _rate_in_sentence(text, out, i)
        if source is None:
            continue
        negative = word in _FALL_WORDS if word != "by" else source.value < 0
        out[i] = _with_unit(r, source.unit, 1.0, negative)
    return out


def _after_comma(text: str, raws: list[Raw], i: int) -> bool:
    """raws[i] follows the figure before it after a bare comma ("5, 6")."""
    return i > 0 and re.fullmatch(r"\s*,\s*", text[raws[i - 1].end : raws[i].start]) is not None


def _rate_in_sentence(text: str, raws: list[Raw], i: int) -> Raw | None:
    """The nearest percentage or percentage-point figure in the sentence of raws[i]: the one
    before it, else the one after it."""
    r = raws[i]
    for j in range(i - 1, -1, -1):
        if _SENTENCE_END.search(text, raws[j].end, r.start):
            break
        if raws[j].unit in _RATE_UNITS:
            return raws[j]
    for j in range(i + 1, len(raws)):
        if _SENTENCE_END.search(text, r.end, raws[j].start):
            break
        if raws[j].unit in _RATE_UNITS:
            return raws[j]
    return None
