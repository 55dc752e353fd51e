"""Sentence-by-sentence correspondence: the copy signal of heavy spins and translation round trips.

A synonym spinner or a machine-translation round trip rewrites a text *one sentence at a
time*: every sentence of the copy stands for one sentence of the original, in the original's
order, about as long, with most of its content words (names, figures, technical terms) in the
same order inside it, and the same numbers. It may change half the words, so shingles and even
the whole-text content-word alignment (:mod:`ingest.dedup.align`) fall to what two separately
written stories on one event reach. What a separate writer does not keep, even one working
from the same report with the same facts in the same order, is the original's sentence
*structure*: facts are joined and split differently, so sentences of similar length that share
most of their content words are the exception, not the rule.

The test, on two texts cut into sentences (:func:`sentences_of`):

- two sentences *correspond* when at least :data:`SENTENCE_SHARE` of the shorter one's content
  words align in order with the other, their lengths (in words, stop words included) are
  within :data:`LENGTH_RATIO` of each other (not required of a text's last sentence when the
  text is cut off mid-sentence) and, when both state numbers, they share one;
- the best chain of corresponding sentences, in order in both texts (most content words);
- the *overlap* is the stretch of both texts from the chain's first pair to its last. A copy
  starts where its original starts, or one of the two has a preamble the other lacks, and it
  runs until one of the two texts ends (stored texts are often cut). So the chain must start
  within :data:`EDGE_SLACK` sentences of the start of one text and end within as many of the
  end of one text (a headline, dateline or byline line is the slack);
- :func:`correspondence` reports the share of the overlap's content words that lie in
  corresponding sentences (the lower of the two texts), the share aligned in order inside
  them, and how many sentences correspond; the decision asks for at least
  :data:`MIN_SENTENCES`, :data:`COPY_SHARE` of the overlap and :data:`ALIGNED_SHARE` aligned.

Lines with fewer than :data:`MIN_SENTENCE_WORDS` content words (headings, bylines, captions,
bullet fragments) are not sentences here: they neither count nor break a chain.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ingest.dedup.align import content_words, lcs_length, numbers_in
from ingest.dedup.normalise import line_tokens

# Share of the shorter sentence's content words that must align in order with the other. A
# spun or round-tripped sentence keeps 0.4 to 0.9 of them; two sentences written separately on
# one fact share the names and the figure, a third of their words or less.
SENTENCE_SHARE = 0.35
# Lengths within this ratio: a rewrite sentence by sentence keeps each sentence's length (the
# spun and translated pairs measured 0.75 to 1.0); writers who join or split facts do not.
LENGTH_RATIO = 0.70
# A chain shorter than this is a quote or a shared lead, not a copy.
MIN_SENTENCES = 3
# Sentences the chain may leave at the start (and at the end) of the text it starts (ends)
# nearest to: a headline, a dateline, a byline.
EDGE_SLACK = 1
# Fewer content words than this: a heading, a byline, a bullet fragment, not a sentence.
MIN_SENTENCE_WORDS = 4
# Share of the overlap's content words that must lie in corresponding sentences for a copy:
# two words in three. Spun and round-tripped copies measured 0.79 to 1.00 on corpus-dev,
# separately written stories on one event at most 0.56 (two write-ups of one report).
COPY_SHARE = 0.67
# And the corresponding sentences must follow each other closely: this share of the overlap's
# content words (the larger side) aligns in order inside them. Spun and round-tripped copies
# measured 0.44 to 1.00, separate write-ups of one report 0.31 (and 0.25 for the written
# fixture); a blend of two wire stories reached 0.39 but holds less of the overlap (0.44).
ALIGNED_SHARE = 0.38
# A cost gate, not a decision: the correspondence is only looked for when the two texts have
# a distinctive figure in common (every copy of corpus-dev that keeps figures does; a rewrite
# keeps the figures) and at least this share of the shorter text's content words also occur
# in the other (in any order). Copies measured 0.40 to 1.00 (0.40: only three sentences of
# the copy are in the stored original); texts on different events have a median of 0.16.
GATE_SHARE = 0.30

# Only the start of a long text is compared, as if it were cut there (stored pages often are):
# a copy shows in its first thousand words, and the cost stays bounded whatever the page.
TEXT_LIMIT = 6000  # characters

# A sentence ends at . ! ? (and a closing quote or bracket) before a space and a capital, a
# digit or an opening quote; CJK full stops end one without a space; a line break ends one.
_BOUNDARY = re.compile(r"([.!?][\"'”’)\]]?)\s+(?=[\"“‘(\[]?[A-Z0-9])")
_CJK_STOP = re.compile(r"([。！？])")
_ENDS = re.compile(r"[.!?。！？][\"'”’)\]]?\s*$")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its content words in order, its length in words, its numbers.

    ``cut``: the text's last sentence, cut off mid-sentence (no closing punctuation), so its
    length says nothing about the sentence it was cut from.
    """

    content: tuple[str, ...]
    length: int
    numbers: frozenset[str]
    cut: bool = False
    # Derived: the distinct content words, and how many occurrences repeat one of them (so
    # that ``len(words & other.words) + min(repeats, other.repeats)`` bounds the alignment).
    words: frozenset[str] = field(init=False)
    repeats: int = field(init=False)

    def __post_init__(self) -> None:
        words = frozenset(self.content)
        object.__setattr__(self, "words", words)
        object.__setattr__(self, "repeats", len(self.content) - len(words))


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """The sentences of ``text`` with at least :data:`MIN_SENTENCE_WORDS` content words."""
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT]
        ends_cut = True
    else:
        ends_cut = not _ENDS.search(text)
    text = _BOUNDARY.sub("\\1\n", text)
    if "。" in text or "！" in text or "？" in text:
        text = _CJK_STOP.sub("\\1\n", text)
    lines = [words for words in line_tokens(text) if words]
    out: list[Sentence] = []
    for k, words in enumerate(lines):
        content = content_words(words)
        if len(content) < MIN_SENTENCE_WORDS:
            continue
        cut = ends_cut and k == len(lines) - 1
        out.append(Sentence(tuple(content), len(words), numbers_in(words), cut))
    return tuple(out)


@functools.lru_cache(maxsize=256)
def sentences_of(text: str) -> tuple[Sentence, ...]:
    """:func:`split_sentences`, cached: popular stories are compared again and again."""
    return split_sentences(text)


def corresponds(a: Sentence, b: Sentence) -> bool:
    """Whether ``b`` reads as ``a`` rewritten (see the module docstring)."""
    return _corresponding(a, b) > 0


def _corresponding(a: Sentence, b: Sentence) -> int:
    """The content words of ``a`` and ``b`` aligned in order when they correspond, else 0."""
    if not (a.cut or b.cut) and min(a.length, b.length) < LENGTH_RATIO * max(a.length, b.length):
        return 0
    if a.numbers and b.numbers and a.numbers.isdisjoint(b.numbers):
        return 0
    common = lcs_length(a.content, b.content)
    return common if common >= SENTENCE_SHARE * min(len(a.content), len(b.content)) else 0


@dataclass(frozen=True, slots=True)
class Correspondence:
    """The best in-order chain of corresponding sentences between two texts.

    ``sentences``: pairs in the chain. ``share``: content words of the chain's sentences as a
    share of the overlap's (the stretch from the chain's first pair to its last), the lower of
    the two texts. ``matched``: content words of the chain's sentences in each text (a, b).
    ``at_edges``: the chain starts and ends within :data:`EDGE_SLACK` sentences of an edge.
    ``aligned``: content words aligned in order inside the chain's sentence pairs, as a share
    of the larger text's overlap: how closely the corresponding sentences follow each other.
    ``totals``: content words of all the sentences compared in each text.
    """

    sentences: int
    share: float
    matched: tuple[int, int]
    at_edges: bool
    aligned: float = 0.0
    totals: tuple[int, int] = (0, 0)

    @property
    def covered(self) -> float:
        """Share of the larger text's content words (in the sentences compared) that lie in
        the chain: what the copy covers of it."""
        (matched_a, matched_b), (total_a, total_b) = self.matched, self.totals
        if max(total_a, total_b) == 0:
            return 0.0
        return matched_a / total_a if total_a >= total_b else matched_b / total_b

    @property
    def is_copy_shape(self) -> bool:
        """A chain long enough and reaching the edges: the shape a sentence-wise copy has."""
        return self.sentences >= MIN_SENTENCES and self.at_edges


NO_CORRESPONDENCE = Correspondence(0, 0.0, (0, 0), False)


def correspondence(a: Sequence[Sentence], b: Sequence[Sentence]) -> Correspondence:
    """The chain of corresponding sentences of ``a`` and ``b`` and how much of them it holds.

    Only sentence pairs of compatible lengths are looked at (a window of ``b``'s sentences
    sorted by length), and the alignment is computed only when the words the two have in
    common (in any order) could reach :data:`SENTENCE_SHARE`.
    """
    by_length = sorted(range(len(b)), key=lambda j: b[j].length)
    lengths = [b[j].length for j in by_length]
    cut_b = [j for j, sent in enumerate(b) if sent.cut]
    pairs: list[tuple[int, int, int, int]] = []  # (i, j, weight, aligned words), by i then j
    for i, sent in enumerate(a):
        if sent.cut:
            window: Iterable[int] = range(len(b))
        else:
            lo = bisect.bisect_left(lengths, LENGTH_RATIO * sent.length)
            hi = bisect.bisect_right(lengths, sent.length / LENGTH_RATIO)
            window = sorted({*by_length[lo:hi], *cut_b})
        for j in window:
            other = b[j]
            need = SENTENCE_SHARE * min(len(sent.content), len(other.content))
            if len(sent.words & other.words) + min(sent.repeats, other.repeats) < need:
                continue  # even in any order they share too few words
            common = _corresponding(sent, other)
            if common:
                pairs.append((i, j, len(sent.content) + len(other.content), common))
    if not pairs:
        return NO_CORRESPONDENCE
    chain = _heaviest_chain(pairs)
    (i0, j0, _, _), (i1, j1, _, _) = chain[0], chain[-1]
    matched_a = sum(len(a[i].content) for i, _, _, _ in chain)
    matched_b = sum(len(b[j].content) for _, j, _, _ in chain)
    span_a = sum(len(s.content) for s in a[i0 : i1 + 1])
    span_b = sum(len(s.content) for s in b[j0 : j1 + 1])
    at_edges = min(i0, j0) <= EDGE_SLACK and min(len(a) - 1 - i1, len(b) - 1 - j1) <= EDGE_SLACK
    common = sum(c for _, _, _, c in chain)
    return Correspondence(
        len(chain),
        min(matched_a / span_a, matched_b / span_b),
        (matched_a, matched_b),
        at_edges,
        common / max(span_a, span_b),
        (sum(len(s.content) for s in a), sum(len(s.content) for s in b)),
    )


def _heaviest_chain(
    pairs: list[tuple[int, int, int, int]],
) -> list[tuple[int, int, int, int]]:
    """The chain of pairs increasing in both ``i`` and ``j`` with the largest total weight.

    O(p²) for p pairs; p is the number of corresponding sentence pairs, a few dozen at most.
    """
    best = [w for _, _, w, _ in pairs]
    back = [-1] * len(pairs)
    for k, (i, j, w, _) in enumerate(pairs):
        for q in range(k):
            pi, pj, _, _ = pairs[q]
            if pi < i and pj < j and best[q] + w > best[k]:
                best[k] = best[q] + w
                back[k] = q
    k = max(range(len(pairs)), key=best.__getitem__)
    chain = []
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]
