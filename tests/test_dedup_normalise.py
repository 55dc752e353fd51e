"""Normalisation and the exact-duplicate hash (ingest.dedup.normalise)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ingest.dedup import normalise_text, text_hash, tokens

ARTICLE = (
    "Alibaba's cloud unit said revenue rose 7% to 29.6 billion yuan ($4.1 billion), "
    '"a strong result", the company said.\n\nShares fell 2.3% in Hong Kong.'
)

words = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8),
    min_size=1,
    max_size=40,
)


def test_presentation_variants_share_one_hash() -> None:
    """Case, spacing, line ends, curly quotes and apostrophes do not change the hash."""
    variant = (
        ARTICLE.upper()
        .replace(" ", "  ")
        .replace("\n", "\r\n")
        .replace("'", "\u2019")
        .replace('"a strong result"', "\u201ca strong result\u201d")
    )
    assert text_hash(variant) == text_hash(ARTICLE)


def test_figures_stay_distinct() -> None:
    """A corrected figure, currency, sign or percent changes the normalised text."""
    base = "Revenue was $1.5 billion, down 3% from a year ago."
    for changed in (
        "Revenue was $15 billion, down 3% from a year ago.",
        "Revenue was ¥1.5 billion, down 3% from a year ago.",
        "Revenue was $1.5 billion, down 3 from a year ago.",
        "Revenue was $1.5 billion, down 4% from a year ago.",
    ):
        assert text_hash(changed) != text_hash(base), changed
    assert text_hash("growth of -3%") != text_hash("growth of 3%")
    assert text_hash("growth of \u22123%") == text_hash("growth of -3%")


def test_volatile_page_lines_are_ignored() -> None:
    """Timestamps, share buttons and newsletter prompts on their own line do not count."""
    noisy = (
        "Updated 5 minutes ago\nShare this article\n"
        f"{ARTICLE}\n3 min read\nSign up for our free newsletter\nRelated: Other story"
    )
    assert text_hash(noisy) == text_hash(ARTICLE)


def test_sentences_that_look_like_furniture_are_kept() -> None:
    """A real sentence starting with 'Updated' or 'Sign up' is article text, not furniture."""
    for sentence in (
        "Updated figures show revenue rose 7%.",
        "Sign up rates rose 5% in the quarter.",
        "Related companies also gained.",
        "Published monthly data show a rise.",
    ):
        assert normalise_text(sentence) != "", sentence


def test_chinese_text_is_tokenised_per_character() -> None:
    """CJK text without spaces becomes one token per character, so it can be shingled."""
    assert tokens("阿里云收入增长7%") == ["阿", "里", "云", "收", "入", "增", "长", "7", "%"]


def test_hash_is_hex_sha256() -> None:
    """The hash is 64 lowercase hex characters."""
    assert re.fullmatch(r"[0-9a-f]{64}", text_hash(ARTICLE))


@given(st.text())
def test_normalisation_is_idempotent(text: str) -> None:
    """Normalising normalised text changes nothing, for any input."""
    once = normalise_text(text)
    assert normalise_text(once) == once


@given(words, st.lists(st.sampled_from([" ", "  ", "\n", "\t", " \r\n "]), min_size=40))
def test_whitespace_never_matters(parts: list[str], gaps: list[str]) -> None:
    """Joining the same words with any whitespace yields the same hash."""
    spaced = "".join(w + g for w, g in zip(parts, gaps, strict=False))
    assert text_hash(spaced) == text_hash(" ".join(parts))


@given(words)
def test_case_never_matters(parts: list[str]) -> None:
    """Upper- and lower-case versions of a text share one hash."""
    text = " ".join(parts)
    assert text_hash(text.upper()) == text_hash(text)


@given(st.text(alphabet=st.sampled_from(list("ab1.,-'$% \n\u2028\u00adÉß(")), max_size=60))
def test_line_tokens_concatenated_are_the_tokens(text: str) -> None:
    """Tokenising line by line (one normalisation pass) gives the text's tokens, in order."""
    from ingest.dedup.normalise import line_tokens

    assert [t for line in line_tokens(text) for t in line] == tokens(text)
