"""Context helpers: sentences, clauses, subject, period, counted noun."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from ingest.figures import load_figure_settings
from ingest.figures.context import TextContext, counted_noun, dominant_prefixes, entity_spans

SETTINGS = load_figure_settings()


def test_sentences_keep_abbreviations() -> None:
    """ "U.S." and "Sept." do not end a sentence; a full stop before a capital does."""
    text = "The U.S. firm met on Sept. 30 in Hangzhou. Alibaba then spoke."
    ctx = TextContext.build(text, SETTINGS)
    assert ctx.sentence_span(text.index("Hangzhou")) == (0, text.index(" Alibaba"))


def test_subject_prefers_same_sentence_then_dominant_entity() -> None:
    """The nearest entity before the figure wins; later sentences fall back to the main one."""
    text = "Alibaba said sales rose. Alibaba grew. Nvidia was mentioned. The firm gained 5%."
    ctx = TextContext.build(text, SETTINGS)
    pos = text.index("5%")
    assert ctx.subject(pos, pos + 2) == "Alibaba"
    assert ctx.subject(text.index("was"), text.index("was") + 3) == "Nvidia"


def test_period_is_nearest_in_clause() -> None:
    """The period is the time expression nearest the figure in its clause."""
    text = "Revenue rose 5% year-on-year; it will invest $1 billion over three years."
    ctx = TextContext.build(text, SETTINGS)
    five = text.index("5%")
    billion = text.index("$1")
    assert ctx.period(five, five + 2) == "year-on-year"
    assert ctx.period(billion, billion + 10) == "over three years"


def test_counted_noun_takes_the_head() -> None:
    """The head noun after adjectives and names is what is counted."""
    text = "2.3 million direct and indirect jobs; two ARK Invest funds; 12 new AI research centers"
    assert counted_noun(text, len("2.3 million"))[0] == "jobs"
    assert counted_noun(text, text.index(" ARK"))[0] == "funds"
    assert counted_noun(text, text.index(" new"))[0] == "centers"
    assert counted_noun("one of the biggest", 3)[0] is None


_ANCHOR_WORDS = sorted(SETTINGS.all_anchors)


@given(
    st.lists(
        st.one_of(st.sampled_from(_ANCHOR_WORDS), st.text(alphabet="abcdeinorst -'", max_size=4)),
        max_size=12,
    )
)
def test_possible_metrics_match_the_per_anchor_test(parts: list[str]) -> None:
    """The metrics left possible in a clause are those whose every anchored keyword group has
    an anchor in it, in catalogue order (the per-anchor substring test the lookup replaces)."""
    lowered = "".join(parts)
    present = frozenset(a for a in SETTINGS.all_anchors if a in lowered)
    expected = [
        (order, metric)
        for order, metric in enumerate(SETTINGS.metrics)
        if not any(a and a.isdisjoint(present) for a in metric.anchors)
    ]
    ctx = TextContext.build(lowered, SETTINGS)
    assert ctx._possible_metrics(lowered) == expected


def test_figure_straddling_a_clause_break_reads_its_whole_sentence() -> None:
    """A range across a dash reads the whole sentence, even after a figure of the sentence's
    first clause was read (their spans start at the same place)."""
    from ingest.figures import extract_figures, load_figure_settings

    found = extract_figures(
        "Cloud grew 7%, revenue rose 15 — 20% year-on-year.", load_figure_settings()
    )
    assert [(f.text, f.period) for f in found][-1] == ("15 — 20%", "year-on-year")


def _dominant_by_recount(names: list[str]) -> str | None:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return max(counts.items(), key=lambda kv: kv[1])[0] if counts else None


@given(st.lists(st.sampled_from(["Alibaba", "Tencent", "Baidu", "Nvidia"]), max_size=40))
def test_dominant_prefixes_match_a_recount_of_every_prefix(names: list[str]) -> None:
    """The running leader is the most mentioned name so far, ties to the first mentioned,
    exactly what counting each prefix again gives."""
    assert dominant_prefixes(names) == [
        _dominant_by_recount(names[:k]) for k in range(len(names) + 1)
    ]


def test_dominant_prefixes_tie_goes_to_first_mentioned() -> None:
    assert dominant_prefixes(["Tencent", "Alibaba", "Alibaba", "Tencent"]) == [
        None, "Tencent", "Tencent", "Alibaba", "Tencent",
    ]  # fmt: skip


def test_dominant_entity_on_a_long_text_is_the_most_mentioned_before_the_figure() -> None:
    """A figure far into a long text takes the entity named most often before it."""
    text = "Alibaba grew. " * 30 + "Tencent grew. " * 40 + "The firm gained 5%."
    ctx = TextContext.build(text, SETTINGS)
    pos = text.index("5%")
    assert ctx.subject(pos, pos + 2) == "Tencent"
    early = text.index("Tencent") + len("Tencent grew. ") * 5
    assert ctx._dominant(early) == "Alibaba"


def test_entity_spans_are_the_catalogue_mentions_and_the_cache_keeps_settings_apart() -> None:
    """Every alias the catalogue knows, with its entity, in text order; a second call for an
    equal text gives the same answer, and other settings are not served another's answer."""
    text = "Alibaba Cloud beat Tencent; alibaba then rose. Nvidia did not."
    spans = entity_spans(text, SETTINGS)
    direct = tuple(
        (m.start(), m.end(), SETTINGS.alias_to_entity[m.group().lower()])
        for m in SETTINGS.entity_re.finditer(text)
        if m.group().lower() in SETTINGS.alias_to_entity
    )
    assert spans == direct and len(spans) >= 3
    assert entity_spans("".join(list(text)), SETTINGS) == spans
    only_nvidia = tuple(e for e in SETTINGS.entities if e.name == "Nvidia")
    other = replace(SETTINGS, entities=only_nvidia)
    assert [name for _s, _e, name in entity_spans(text, other)] == ["Nvidia"]
    assert entity_spans(text, SETTINGS) == spans
