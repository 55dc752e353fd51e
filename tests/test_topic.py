"""Tests for ingest.topic.filter: the default terms, matching rules, the two stages and fuzzing."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.topic.filter import (
    DEFAULT_CONTEXT,
    DEFAULT_INCLUDE,
    DEFAULT_STRONG,
    TopicFilter,
    default_topic_filter,
)

DEFAULT = default_topic_filter()


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("Alibaba Cloud cuts prices for its flagship models", ("Alibaba Cloud",)),
        ("Qwen2.5-Max beats rivals on coding benchmarks", ("Qwen",)),
        ("QwQ-32B is a reasoning model", ("QwQ",)),
        ("Aliyun opens a region in Mexico", ("Aliyun",)),
        ("The Tongyi Wanxiang video model", ("Tongyi",)),
        ("T-Head's new server chip", ("T-Head",)),
        ("T Head designs RISC-V cores", ("T-Head",)),
        ("阿里云发布新一代服务器", ("阿里云",)),
        ("通义千问开源新模型", ("通义", "千问")),
        ("平头哥芯片量产", ("平头哥",)),
        ("ModelScope hosts 70,000 models", ("ModelScope",)),
    ],
)
def test_strong_terms_suffice_alone(text: str, matched: tuple[str, ...]) -> None:
    """Product and unit names are accepted without any AI term beside them."""
    verdict = DEFAULT.match(text)
    assert verdict.accepted, verdict.reason
    assert verdict.matched == matched


@pytest.mark.parametrize(
    "text",
    [
        "Alibaba says its new AI agent books travel",
        "Alibaba to spend 380 billion yuan on cloud and AI infrastructure",
        "Eddie Wu: generative AI is a once-in-a-generation opportunity",
        "Wu Yongming told analysts that LLMs would reshape e-commerce",
        "Quark, the AI search app, tops 200 million users",
        "阿里巴巴宣布加大人工智能投入",
        "阿里推出AI大模型",
        "吴泳铭：算力需求仍在快速增长",
        "ＡＩ spending at Alibaba",  # full-width letters normalise to "AI"
    ],
)
def test_weak_terms_with_ai_context_are_accepted(text: str) -> None:
    """The company, its people and Quark count when an AI term occurs in the same text."""
    verdict = DEFAULT.match(text)
    assert verdict.accepted, verdict.reason
    assert verdict.context


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Alibaba's Singles Day sales rise 5%", "mentions Alibaba but no AI term"),
        ("Physicists measure the top quark mass", "mentions Quark but no AI term"),
        ("阿里巴巴发布双十一成交额", "mentions 阿里巴巴"),
        ("Nvidia reports record data-centre revenue", "no topic term found"),
        ("Baidu's Ernie model gets an update", "no topic term found"),
        ("", "no topic term found"),
    ],
)
def test_rejections_carry_a_reason(text: str, reason: str) -> None:
    """Off-topic texts are rejected and the reason says why."""
    verdict = DEFAULT.match(text)
    assert not verdict.accepted
    assert reason in verdict.reason


@pytest.mark.parametrize(
    "text",
    [
        "The <thead> element groups header rows",
        "thead and tbody",
        "Alibabanana is not a company",
        "unQwenchable thirst",
        "Aliyunas is a Lithuanian name",
    ],
)
def test_word_boundaries_for_latin_terms(text: str) -> None:
    """Latin terms do not match inside longer words."""
    assert DEFAULT.match(text).matched == ()


def test_plural_possessive_and_case() -> None:
    """Case is ignored; a plural s and a possessive still match."""
    verdict = DEFAULT.match("ALIBABA's lab and its LLMs")
    assert verdict.accepted
    assert verdict.matched == ("Alibaba",) and verdict.context == ("LLM",)


def test_longest_term_wins() -> None:
    """Alibaba Cloud is reported as such, not as Alibaba plus cloud."""
    verdict = DEFAULT.match("Alibaba Cloud revenue")
    assert verdict.matched == ("Alibaba Cloud",) and verdict.context == ()


def test_match_entry_needs_only_a_subject_term() -> None:
    """Before fetching, a subject term in title or summary is enough; the article needs context."""
    title = "Alibaba shares jump after earnings"
    assert DEFAULT.match_entry(title, None).accepted
    assert not DEFAULT.match(title).accepted
    assert not DEFAULT.match_entry("Tencent shares jump", "Games revenue up").accepted
    assert DEFAULT.match_entry(None, "Qwen downloads pass 300 million").accepted


def test_exclude_is_a_veto() -> None:
    """An exclude term rejects the text whatever it matched."""
    custom = DEFAULT.with_terms(exclude=["Alibaba Pictures", "sponsored"])
    verdict = custom.match("Alibaba Pictures uses Qwen for subtitles")
    assert not verdict.accepted
    assert verdict.excluded == ("Alibaba Pictures",)
    assert verdict.reason == "excluded term: Alibaba Pictures"
    assert not custom.match_entry("Sponsored: Alibaba Cloud webinar", None).accepted


def test_with_terms_keeps_strong_and_context() -> None:
    """with_terms changes the lists it is given and keeps the context rule for the rest."""
    custom = DEFAULT.with_terms(include=[*DEFAULT.include, "Lingma"])
    assert custom.match("Lingma writes code").accepted  # a new term is trusted alone
    assert not custom.match("Alibaba's Singles Day").accepted  # still needs context
    assert custom.context == DEFAULT.context


def test_from_terms_without_context_accepts_any_include_term() -> None:
    """A plain include list (the config's) needs no context; empty include passes everything."""
    plain = TopicFilter.from_terms(include=["Alibaba", "Qwen"], exclude=["rumour"])
    assert plain.match("Alibaba's Singles Day").accepted
    assert not plain.match("Tencent news").accepted
    assert not plain.match("Alibaba rumour mill").accepted
    everything = TopicFilter.from_terms(include=[])
    assert everything.match("anything at all").accepted
    assert not TopicFilter.from_terms(include=[], exclude=["spam"]).match("spam").accepted


def test_direct_construction_compiles_too() -> None:
    """A TopicFilter built with its constructor matches like one built with from_terms."""
    direct = TopicFilter(include=("Qwen", "Alibaba"), strong=("Qwen",), context=("AI",))
    assert direct.match("Qwen2 model").matched == ("Qwen",)
    assert direct.match("Qwen").accepted
    assert not direct.match("Alibaba").accepted
    assert direct.match("Alibaba AI").accepted


def test_defaults_are_consistent() -> None:
    """Strong terms are include terms; the Chinese names and Eddie Wu are covered."""
    assert set(DEFAULT_STRONG) <= set(DEFAULT_INCLUDE)
    for term in ("阿里巴巴", "阿里云", "通义", "千问", "平头哥", "夸克", "Eddie Wu", "Wu Yongming"):
        assert term in DEFAULT_INCLUDE
    assert "AI" in DEFAULT_CONTEXT and "人工智能" in DEFAULT_CONTEXT


def test_long_text_scanned_once() -> None:
    """A term at the end of a long text is found, and each term is reported once."""
    text = ("Filler about markets and weather. " * 30_000) + "Then Qwen, Qwen and Qwen."
    verdict = DEFAULT.match(text)
    assert verdict.accepted and verdict.matched == ("Qwen",)


@given(st.text(max_size=500))
def test_match_is_total_and_consistent(text: str) -> None:
    """Any text gets a verdict; accepted ones matched a term and hit no exclusion."""
    verdict = DEFAULT.match(text)
    assert set(verdict.matched) <= set(DEFAULT.include)
    assert set(verdict.context) <= set(DEFAULT.context)
    if verdict.accepted:
        assert verdict.matched and not verdict.excluded
    else:
        assert verdict.reason


@given(st.text(max_size=200), st.sampled_from(DEFAULT_STRONG), st.text(max_size=200))
def test_strong_term_in_any_text_is_accepted(before: str, term: str, after: str) -> None:
    """A strong term set apart by spaces is accepted in any surrounding text."""
    assert DEFAULT.match(f"{before} {term} {after}").accepted


def test_shorter_term_found_where_longer_one_fails_its_boundary() -> None:
    """When "Alibaba Cloud" is cut by a longer word, "Alibaba" at the same place still counts."""
    assert DEFAULT.match("Alibaba Cloudy skies").matched == ("Alibaba",)


_fragments = st.lists(
    st.sampled_from(
        [*DEFAULT_INCLUDE, *DEFAULT_CONTEXT, " ", "-", "x", "s", "2", "é", "里", "\n", "Cloudy"]
    ),
    max_size=30,
).map("".join)


@given(_fragments)
def test_fast_scan_equals_plain_finditer(text: str) -> None:
    """The candidate scanner finds exactly what one pass of the full regex finds."""
    regex = DEFAULT._regex
    assert regex is not None
    reference: dict[str, dict[str, None]] = {"include": {}, "context": {}, "exclude": {}}
    for m in regex.finditer(unicodedata.normalize("NFKC", text)):
        kind, term = DEFAULT._kinds[(m.lastindex or 1) - 1]
        reference[kind].setdefault(term, None)
    matched, context, excluded = DEFAULT._scan(text)
    assert (matched, context, excluded) == (
        list(reference["include"]),
        list(reference["context"]),
        list(reference["exclude"]),
    )


_PIECES = st.sampled_from(
    ["Alibaba", "ALIBABA cloud", "qwen3", "Qwen-2.5", "AI", "ai", "Ai", "阿里巴巴", "通义千问",
     "İstanbul", "ß", "machine   LEARNING", "open-source model", "x", " ", "\n", "-", "Alibabas"]
)  # fmt: skip


@given(st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=25))
def test_lowercase_scan_finds_what_the_ignorecase_scan_finds(pieces: list[str]) -> None:
    """The fast scan over lower-cased text judges exactly as the case-insensitive scan."""
    fast = default_topic_filter()
    reference = default_topic_filter()
    object.__setattr__(reference, "_lower_scanner", None)  # the case-insensitive path only
    text = " ".join(pieces)
    assert fast.match(text) == reference.match(text)
    assert fast.match_entry(text, None) == reference.match_entry(text, None)
