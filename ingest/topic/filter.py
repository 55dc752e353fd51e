"""The topic filter: is this entry or article about the subject we watch?

Terms come in three kinds:

* ``include``: subject terms. At least one must occur, or the text is rejected.
* ``strong``: the include terms that are enough on their own (product names such as Qwen or
  Alibaba Cloud cannot be off-topic). Any other include term (the company, its chief executive,
  "Quark", which is also a particle) additionally needs a ``context`` term (an AI term) somewhere
  in the text, so that a story on Alibaba's e-commerce or a physics piece is not taken for one on
  Alibaba's AI business. An empty ``context`` turns that requirement off.
* ``exclude``: any occurrence rejects the text (a veto, as in feed readers' block rules).

Matching: Latin terms match whole words, case-insensitively, with an optional plural "s" and
trailing digits allowed (so "Qwen" finds "Qwen2.5-Max" and "LLM" finds "LLMs"), spaces in a term
match any run of white space, a hyphen matches a hyphen or a space (not nothing: "T-Head" must
not find "thead"). Terms with CJK characters match as substrings, since Chinese and Japanese
do not separate words. Text is NFKC-normalised first (full-width "ＡＩ" is "AI"). All terms go
into one compiled regular expression, scanned once: linear in the length of the text.

Before and after fetching (the rule): :meth:`TopicFilter.match_entry` judges a feed entry's
title and summary before its page is fetched and only asks for a subject term (exclusions still
veto): summaries are a sentence or two and rarely carry the AI context, so demanding it there
would throw away stories about the subject unread. :meth:`TopicFilter.match` judges the extracted
article (title and text) with the full rule. An entry rejected at either point is recorded with
the :attr:`TopicMatch.reason` and not fetched again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from ingest.settings_schema import Strings, setting

__all__ = [
    "DEFAULT_CONTEXT",
    "DEFAULT_INCLUDE",
    "DEFAULT_STRONG",
    "TopicConfig",
    "TopicFilter",
    "TopicMatch",
    "default_topic_filter",
]

# Enough on their own: names of Alibaba's AI and cloud products and units.
DEFAULT_STRONG: Final[tuple[str, ...]] = (
    "Alibaba Cloud",
    "Aliyun",
    "Qwen",
    "QwQ",
    "Tongyi",
    "T-Head",
    "DAMO Academy",
    "ModelScope",
    "阿里云",
    "通义",
    "千问",
    "平头哥",
    "达摩院",
    "魔搭",
)
# Need an AI term beside them.
_DEFAULT_WEAK: Final[tuple[str, ...]] = (
    "Alibaba",
    "Quark",
    "Eddie Wu",
    "Wu Yongming",
    "Joe Tsai",
    "阿里巴巴",
    "阿里",
    "夸克",
    "吴泳铭",
    "蔡崇信",
)
DEFAULT_INCLUDE: Final[tuple[str, ...]] = DEFAULT_STRONG + _DEFAULT_WEAK
DEFAULT_CONTEXT: Final[tuple[str, ...]] = (
    "AI",
    "A.I.",
    "AGI",
    "AIGC",
    "GenAI",
    "artificial intelligence",
    "generative",
    "LLM",
    "large language model",
    "language model",
    "foundation model",
    "multimodal",
    "chatbot",
    "machine learning",
    "deep learning",
    "neural network",
    "open-source model",
    "open-weight",
    "reasoning model",
    "AI agent",
    "GPU",
    "AI chip",
    "inference",
    "data center",
    "data centre",
    "cloud",
    "compute",
    "人工智能",
    "大模型",
    "模型",
    "智能体",
    "算力",
    "云计算",
    "芯片",
    "机器学习",
)

_WORD: Final = "A-Za-z_\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_CJK_RE: Final = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]")


@dataclass(frozen=True, slots=True)
class TopicConfig:
    """The ``[topic]`` table: terms added to or vetoing the built-in ones, or no filter."""

    include: tuple[str, ...] | None = setting(None, Strings())  # None: the built-in terms
    exclude: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """The verdict on one text.

    ``matched`` are the subject terms found and ``context`` the AI terms found, each in the
    filter's own spelling and in order of first occurrence; ``excluded`` the vetoing terms.
    ``reason`` says why in a few words; for a rejection it is what gets recorded.
    """

    accepted: bool
    matched: tuple[str, ...]
    context: tuple[str, ...]
    excluded: tuple[str, ...]
    reason: str


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _term_body(term: str) -> str:
    """The term as a regex, without word boundaries."""
    term = " ".join(_normalise(term).split())
    if _CJK_RE.search(term):
        return re.escape(term)
    return "".join(r"\s+" if ch == " " else r"[-\s]" if ch == "-" else re.escape(ch) for ch in term)


def _term_pattern(term: str) -> str:
    """The term as a regex with the boundaries described in the module notes."""
    body = _term_body(term)
    term = _normalise(term).strip()
    if _CJK_RE.search(term):
        return body
    # Not inside a longer word on the left; on the right an optional plural "s" and digits
    # (model versions) may follow, but no other letter.
    # The boundaries are Latin, Greek and Cyrillic letters only: "阿里AI" must find "AI".
    left = rf"(?<![{_WORD}0-9])" if term[:1].isalnum() else ""
    right = rf"s?(?![{_WORD}])" if term[-1:].isalnum() else ""
    return f"{left}{body}{right}"


@dataclass(frozen=True, slots=True)
class TopicFilter:
    """Include, strong, context and exclude terms, compiled into one regex. Build with
    :meth:`from_terms` or :func:`default_topic_filter`."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    strong: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    # Group i+1 of _regex is term i of _kinds; all derived from the terms above. _scanner is the
    # same alternation without groups or boundaries: Python's re is several times faster at
    # finding candidates with it, and _regex then confirms each candidate where it starts.
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _scanner: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _lower_scanner: re.Pattern[str] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _kinds: tuple[tuple[str, str], ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kinds: list[tuple[str, str]] = []
        seen: set[str] = set()
        for kind, terms in (
            ("exclude", self.exclude),
            ("include", self.include),
            ("context", self.context),
        ):
            for term in terms:
                key = _normalise(term).casefold()
                if term.strip() and key not in seen:  # a term in two lists keeps its first kind
                    seen.add(key)
                    kinds.append((kind, term))
        # Longest first, so that "Alibaba Cloud" is found rather than "Alibaba" within it.
        kinds.sort(key=lambda item: -len(item[1]))
        if kinds:
            pattern = "|".join(f"({_term_pattern(term)})" for _, term in kinds)
            object.__setattr__(self, "_regex", re.compile(pattern, re.IGNORECASE))
            scan = "|".join(f"(?:{_term_body(term)})" for _, term in kinds)
            object.__setattr__(self, "_scanner", re.compile(scan, re.IGNORECASE))
            # The same on lower-cased text, without IGNORECASE: three times faster in Python's
            # re (docs/benchmarks.md); used whenever lower-casing keeps every offset.
            lower = "|".join(f"(?:{_term_body(term).lower()})" for _, term in kinds)
            object.__setattr__(self, "_lower_scanner", re.compile(lower))
        object.__setattr__(self, "_kinds", tuple(kinds))

    @classmethod
    def from_terms(
        cls,
        *,
        include: Iterable[str],
        exclude: Iterable[str] = (),
        strong: Iterable[str] | None = None,
        context: Iterable[str] = (),
    ) -> TopicFilter:
        """A filter from term lists. ``strong`` defaults to all of ``include`` (no context
        needed); strong terms not among the include terms are ignored."""
        inc = _dedupe(include)
        stg = inc if strong is None else tuple(t for t in _dedupe(strong) if t in inc)
        return cls(inc, _dedupe(exclude), stg, _dedupe(context))

    def with_terms(
        self, *, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
    ) -> TopicFilter:
        """This filter with other include or exclude terms, keeping strong and context terms."""
        new_include = _dedupe(include) if include is not None else self.include
        strong = (
            self.strong if include is None else tuple(t for t in self.strong if t in new_include)
        )
        # Custom include terms are trusted on their own unless they are known weak ones.
        if include is not None:
            known = set(self.include)
            strong = strong + tuple(t for t in new_include if t not in known)
        return TopicFilter.from_terms(
            include=new_include,
            exclude=self.exclude if exclude is None else exclude,
            strong=strong,
            context=self.context,
        )

    def _scan(self, text: str) -> tuple[list[str], list[str], list[str]]:
        found: dict[str, dict[str, None]] = {"include": {}, "context": {}, "exclude": {}}
        if self._regex is None or self._scanner is None:
            return [], [], []
        text = _normalise(text)
        haystack, scanner = text, self._scanner
        lowered = text.lower()
        if self._lower_scanner is not None and len(lowered) == len(text):
            haystack, scanner = lowered, self._lower_scanner
        pos = 0
        while (candidate := scanner.search(haystack, pos)) is not None:
            # Anchored at the candidate; the lookbehind still sees the text before it.
            m = self._regex.match(text, candidate.start())
            if m is None:  # a term inside a longer word: look again one character on
                pos = candidate.start() + 1
                continue
            kind, term = self._kinds[(m.lastindex or 1) - 1]
            found[kind].setdefault(term, None)
            pos = max(m.end(), candidate.start() + 1)
        return list(found["include"]), list(found["context"]), list(found["exclude"])

    def match(self, text: str) -> TopicMatch:
        """Judge an extracted article (its title and text) with the full rule."""
        return self._judge(text, need_context=True)

    def match_entry(self, title: str | None, summary: str | None) -> TopicMatch:
        """Judge a feed entry before fetching: a subject term suffices (see the module notes)."""
        return self._judge(f"{title or ''}\n{summary or ''}", need_context=False)

    def _judge(self, text: str, *, need_context: bool) -> TopicMatch:
        matched, context, excluded = self._scan(text)
        m, c, x = tuple(matched), tuple(context), tuple(excluded)
        if excluded:
            return TopicMatch(False, m, c, x, f"excluded term: {', '.join(excluded)}")
        if not self.include:
            return TopicMatch(True, m, c, x, "no include terms configured: everything passes")
        if not matched:
            return TopicMatch(False, m, c, x, "no topic term found")
        strong = [t for t in matched if t in self.strong]
        if strong or not need_context or not self.context or context:
            return TopicMatch(True, m, c, x, f"matched: {', '.join(strong or matched)}")
        return TopicMatch(
            False, m, c, x, f"mentions {', '.join(matched)} but no AI term (context) was found"
        )


def _dedupe(terms: Iterable[str]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for term in terms:
        cleaned = " ".join(term.split())
        if cleaned:
            out.setdefault(cleaned, None)
    return tuple(out)


def default_topic_filter() -> TopicFilter:
    """Alibaba's AI business: its AI products and units alone, or the company with an AI term."""
    return TopicFilter.from_terms(
        include=DEFAULT_INCLUDE, strong=DEFAULT_STRONG, context=DEFAULT_CONTEXT
    )
