"""Text normalisation and the exact-duplicate hash.

Two extractions of one article differ in whitespace, quote style, dashes, case and volatile
page furniture ("Updated 5 minutes ago"); none of that is a change of the article. A figure is:
``$1.5 billion`` and ``$15 billion`` must stay different, so punctuation inside numbers,
currency signs, percent signs and a sign before a digit are kept as tokens.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Typographic variants NFKC leaves alone; mapped before tokenising so “x” and "x" agree.
_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2212": "-",  # minus sign: a negative figure, keep it as "-"
        "\u2010": "-",
        "\u2011": "-",
        "\u00ad": None,  # soft hyphen: invisible, differs between renderers
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)

# The same mapping as (char, replacement) pairs. str.translate with a dict looks up every
# character of the text (~0.25 ms for a 4,500-character article); a membership test and a
# replace per variant is ~40 times cheaper. Equivalent because no replacement contains a
# variant, so the order of the replacements does not matter.
_VARIANTS = tuple((chr(code), rep or "") for code, rep in _TRANSLATE.items())


def _fold_variants(text: str) -> str:
    """``text.translate(_TRANSLATE)``, faster."""
    for variant, rep in _VARIANTS:
        if variant in text:
            text = text.replace(variant, rep)
    return text


# CJK has no spaces between words: each ideograph / kana / hangul syllable is a token, so
# Chinese coverage gets shingles of 5 characters rather than one token per clause.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
# A word: letters/digits, optionally joined by . , ' - / inside it ("1.5", "1,200",
# "alibaba's", "tongyi-qianwen"), with a sign kept when it starts a number ("-3"). A symbol
# that carries meaning next to a figure. A CJK character.
_WORD = f"[^\\W_{_CJK}]"
_TOKEN = re.compile(f"(?:(?<![^\\s(])[-+](?=\\d))?{_WORD}+(?:[.,'\\-/]{_WORD}+)*|[$€£¥%]|[{_CJK}]")

# Whole lines that are page furniture and change between two fetches of an unchanged article.
# Kept deliberately narrow: a line is dropped only when all of it matches.
_VOLATILE_LINE = re.compile(
    r"""^\W*(?:
        advertisement
      | (?:share|share\ this(?:\ article|\ story)?|print|comments?)
      | \d+\ min(?:ute)?s?\ read
      | (?:last\ )?(?:updated|modified|published)\s*(?::|on|at)?\s*
        (?:\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d
          |(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,\s|yesterday|today)[^!?\n]{0,50}
      | \d+\ (?:seconds?|minutes?|hours?|days?)\ ago
      | (?:sign\ up|subscribe)\b[^.!?\n]{0,80}(?:newsletter|today|now|here|free)[^.!?\n]{0,20}
      | (?:read\ more|related(?:\ articles?|\ stories|\ coverage)?|recommended|most\ read
          |see\ also)(?:\s*[:|»›>\-]\s*[^\n]{0,120})?
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)


def _kept_text(text: str) -> str:
    """``text`` folded, casefolded and normalised, volatile lines dropped, lines joined by \\n."""
    text = _fold_variants(unicodedata.normalize("NFKC", text))
    kept = [line for line in text.splitlines() if not _VOLATILE_LINE.match(line.strip())]
    # NFKC again after casefold: casefolding can yield sequences NFKC would rewrite, and the
    # result must be a fixed point (normalising normalised text changes nothing).
    return unicodedata.normalize("NFKC", "\n".join(kept).casefold())


def tokens(text: str) -> list[str]:
    """The normalised word tokens of ``text``, the unit every other dedup function works on."""
    return _TOKEN.findall(_kept_text(text))


def line_tokens(text: str) -> list[list[str]]:
    """The tokens of each line of ``text`` that :func:`tokens` keeps (volatile lines dropped).

    Normalised once for the whole text; no token spans a line break, so the lines' tokens
    concatenated are ``tokens(text)``.
    """
    return [_TOKEN.findall(line) for line in _kept_text(text).split("\n")]


def normalise_text(text: str) -> str:
    """``text`` reduced to its tokens joined by single spaces (case, spacing, quotes collapsed)."""
    return " ".join(tokens(text))


def text_hash(text: str) -> str:
    """Hex SHA-256 of the normalised text: equal for copies that differ only in presentation."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
