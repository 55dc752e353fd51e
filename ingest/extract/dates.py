"""A publication date read from an article's own text, for articles whose feed and page give none.

Pure functions. Only the top of the text is read (a dateline, "Published September 24, 2025"),
because dates further down are about the story (results "for the quarter ended December 31,
2024"), captions or promotions, not about when the text was written.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Final

# Month numbers by the first three letters of an English month name.
MONTH_NUMBERS: Final = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH: Final = (
    r"(?P<{n}>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE: Final = re.compile(
    r"(?<![\w-])(?:"
    + _MONTH.format(n="m1")
    + r"\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>(?:19|20)\d{2})"
    + r"|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+"
    + _MONTH.format(n="m2")
    + r",?\s+(?P<y2>(?:19|20)\d{2})"
    + r"|(?P<y3>(?:19|20)\d{2})-(?P<m3>\d{2})-(?P<d3>\d{2})"
    + r")(?![\w-])",
    re.IGNORECASE,
)
# A date introduced by these words is about the story, not the article ("quarter ended ...").
_ABOUT_STORY: Final = re.compile(
    r"(?i)\b(?:ended|ending|through|until|till|by|since|before|after|from|to|on|expires?|due)\s*$"
)
# How far into the text a dateline can sit.
HEAD_CHARS: Final = 400


def _parse(m: re.Match[str]) -> date | None:
    g = m.groupdict()
    try:
        if g["y1"]:
            return date(int(g["y1"]), MONTH_NUMBERS[g["m1"][:3].lower()], int(g["d1"]))
        if g["y2"]:
            return date(int(g["y2"]), MONTH_NUMBERS[g["m2"][:3].lower()], int(g["d2"]))
        return date(int(g["y3"]), int(g["m3"]), int(g["d3"]))
    except ValueError:  # 31 February and the like
        return None


def date_from_text(text: str, *, not_after: date, max_age: timedelta | None = None) -> date | None:
    """The first full date near the top of ``text`` that can be its publication date.

    A date later than ``not_after`` (the fetch day, plus one for time zones) is a promotion or
    an event to come; one older than ``max_age`` before it, when given, is a caption or a
    quoted date (a poller fetches news within days of publication).
    """
    for m in _DATE.finditer(text, 0, min(len(text), HEAD_CHARS)):
        if _ABOUT_STORY.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        found = _parse(m)
        if found is None or found > not_after + timedelta(days=1):
            continue
        if max_age is not None and not_after - found > max_age:
            continue
        return found
    return None
