"""Order-preserving alignment of content words: the copy signal that survives rewording.

Word n-gram shingles break wherever a word changes: a synonym spinner or a machine-translation
round trip replaces one word in three, so a copy keeps only a third of its 5-word shingles
(a tenth for a thorough spin), about what a separately written story quoting a paragraph
keeps. What such copies do keep is the *sequence* of content words: the names, figures and
most nouns and verbs survive, in the original order, because the rewrite goes sentence by
sentence. Two stories written separately about one event share many of those words too
(the same names and figures) but not in the same order.

So the signal is the longest common subsequence of the two texts' content words (stop words
dropped, a light suffix strip so "pledged"/"pledges" agree), as a share of each text's content
words. It is computed by the Hunt-Szymanski reduction to a longest increasing subsequence,
O(r log n) for r matching word pairs, which is small because content words are rare.

``figure_keys`` are the other signal kept by every rewrite: the distinctive figures of a text
("380 billion", "52.4", "13 %"), used to find candidates a rewritten copy no longer shares
band keys with, and to tell independently written stories on one event ("related") apart from
stories on other events.
"""

from __future__ import annotations

import bisect
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

# Function words of English news text. Kept short and generic on purpose: what matters is
# that the words every sentence has do not count as shared content.
_STOP = frozenset(
    """a an the and or but nor of to in on at for with by from as is are was were be been being
    am it its it's this that these those has have had having will would can could may might
    shall should must do does did doing done not no than then so such also which who whom whose
    what when where why how while into onto over under about after before between through
    during up down out off more most very just only their theirs they them he she his her him
    we our us you your i me my said says say saying according per there here if because though
    although all any each both other some own same too again further once new one two three
    yet still even much many few""".split()
)
_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ed", "es", "s", "ly")
_NUMBER = re.compile(r"^[-+]?\d[\d.,]*$")
# Words after a number that make it a figure key of their own ("380 billion" vs "380").
_SCALE = frozenset(
    {"%", "percent", "per", "billion", "million", "trillion", "bn", "mn", "m", "b", "k", "万", "亿"}
)


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


# Stems already computed: news vocabulary is small, and every candidate's words are stemmed
# again. Emptied when it outgrows its bound.
_STEMS: dict[str, str] = {}
_STEMS_MAX = 1 << 17


def content_words(words: Sequence[str]) -> list[str]:
    """The content words of a normalised token list, in order, lightly stemmed.

    Stop words and single non-digit characters (``$``, a CJK particle) are dropped; numbers
    are kept as they are: they are the words a rewrite is least free to change.
    """
    stems = _STEMS
    if len(stems) > _STEMS_MAX:
        stems.clear()
    out: list[str] = []
    for w in words:
        if w in _STOP or (len(w) == 1 and not w.isdigit()):
            continue
        if w[0].isdigit():
            out.append(w)
            continue
        stem = stems.get(w)
        if stem is None:
            stem = stems[w] = _stem(w)
        out.append(stem)
    return out


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two word sequences (exact, Hunt-Szymanski)."""
    where: dict[str, list[int]] = defaultdict(list)
    for j, word in enumerate(b):
        where[word].append(j)
    tails: list[int] = []  # tails[k]: smallest end position in b of a common subsequence of k+1
    for word in a:
        # Positions in decreasing order, so one word of a extends a subsequence at most once.
        for j in reversed(where.get(word, ())):
            k = bisect.bisect_left(tails, j)
            if k == len(tails):
                tails.append(j)
            else:
                tails[k] = j
    return len(tails)


@dataclass(frozen=True, slots=True)
class Alignment:
    """Ordered content-word overlap of an incoming text ``a`` with an earlier text ``b``.

    ``common`` is the LCS length; ``contained`` the share of the shorter text's content words
    in it, ``covered`` the share of the longer's.
    """

    common: int
    a_len: int
    b_len: int

    @property
    def contained(self) -> float:
        """Share of the shorter text's content words that align, in order, with the other."""
        shorter = min(self.a_len, self.b_len)
        return self.common / shorter if shorter else 0.0

    @property
    def covered(self) -> float:
        """Share of the longer text's content words that align with the shorter."""
        longer = max(self.a_len, self.b_len)
        return self.common / longer if longer else 0.0


def align(
    a: Sequence[str], b: Sequence[str], *, needed: float = 0.0, shared: int | None = None
) -> Alignment:
    """Alignment of two content-word sequences (as :func:`content_words` returns).

    ``needed``: the share of the shorter text that matters to the caller. When even the words
    the two texts have in common (in any order, an upper bound of the LCS) fall short of it,
    the LCS is not computed and no alignment is reported. ``shared``: that count, when the
    caller already has it (:func:`shared_words`).
    """
    if not a or not b:
        return Alignment(0, len(a), len(b))
    if needed > 0:
        if shared is None:
            shared = shared_words(a, b)
        if shared < needed * min(len(a), len(b)):
            return Alignment(0, len(a), len(b))
    return Alignment(lcs_length(a, b), len(a), len(b))


def shared_words(a: Sequence[str], b: Sequence[str]) -> int:
    """Words the two sequences have in common, in any order (each occurrence used once): an
    upper bound of their longest common subsequence, far cheaper to compute."""
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    counts = Counter(big)
    common = 0
    for word in small:
        if counts[word] > 0:
            counts[word] -= 1
            common += 1
    return common


def _is_year_or_small(word: str, value: float) -> bool:
    if "." in word or "," in word:
        return False
    return (1900 <= value <= 2100) or value <= 31


def figures_in(words: Sequence[str], *, limit: int = 24) -> tuple[str, ...]:
    """The distinctive figures of a token list, in text order, without repeats.

    A figure is a number with its scale word when it has one ("380 billion", "13 %"). Bare
    years and small integers (days, counts of ten or less: "3 new countries") are left out:
    every story has them. At most ``limit``, the first ones: a copy cut to its first half
    keeps the first figures.
    """
    seen: dict[str, None] = {}
    for i, word in enumerate(words):
        if not _NUMBER.match(word):
            continue
        try:
            value = float(word.replace(",", ""))
        except ValueError:
            continue
        following = words[i + 1] if i + 1 < len(words) else ""
        scaled = following in _SCALE
        if not scaled and _is_year_or_small(word, value):
            continue
        seen.setdefault(f"{word} {following}" if scaled else word, None)
        if len(seen) >= limit:
            break
    return tuple(seen)


def numbers_in(words: Sequence[str]) -> frozenset[str]:
    """Every number a token list states, years aside: what a rewrite must keep unchanged."""
    out = set()
    for word in words:
        if _NUMBER.match(word) and not (len(word) == 4 and word[:2] in ("19", "20")):
            out.add(word)
    return frozenset(out)


def figure_keys(figures: Sequence[str]) -> list[int]:
    """Stable 63-bit keys of figures for the story index (same on every machine and run)."""
    # A fixed prefix keeps these keys apart from the band keys should both share a table.
    return sorted(
        {zlib.crc32(f"fig:{f}".encode()) << 31 ^ zlib.adler32(f.encode()) for f in figures}
    )
