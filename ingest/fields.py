"""What a text field may hold once stored: no control characters, a bounded length.

A hostile page or feed can put a NUL in a title (kept, it breaks exports and terminals) or a
9 MB ``<title>`` (stored whole, it bloats every listing and alert). Pure functions, applied
where the records that reach the store are built (``ExtractedArticle``, ``FeedEntry``).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["MAX_AUTHOR_CHARS", "MAX_TEXT_CHARS", "MAX_TITLE_CHARS", "clean_line", "clean_text"]

MAX_TITLE_CHARS: Final = 1_000
MAX_AUTHOR_CHARS: Final = 300
# An article's text: ~300,000 words, far beyond any article, well under a page's 40 MiB cap.
MAX_TEXT_CHARS: Final = 2_000_000

# C0 controls but tab/newline/carriage return, DEL, C1 controls, lone surrogates (which cannot
# be encoded to UTF-8 and so cannot be stored) and the non-characters U+FFFE/U+FFFF.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS: Final = re.compile(r"\s*[\t\r\n\u2028\u2029]\s*")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_line(value: str | None, limit: int) -> str | None:
    """A one-line field (title, author): controls dropped, line breaks made spaces, cut to
    ``limit`` characters with an ellipsis. None stays None; nothing left becomes None."""
    if value is None:
        return None
    if _CONTROL.search(value):
        value = _CONTROL.sub("", value)
    if _LINE_BREAKS.search(value):
        value = _LINE_BREAKS.sub(" ", value)
    value = _cut(value.strip(), limit)
    return value or None


def clean_text(value: str, limit: int = MAX_TEXT_CHARS) -> str:
    """A body of text: controls dropped (tabs and line breaks kept), cut to ``limit``."""
    if _CONTROL.search(value):
        value = _CONTROL.sub("", value)
    return _cut(value, limit)
