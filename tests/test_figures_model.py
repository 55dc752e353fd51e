"""Figure record helpers."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.figures import Figure, figure_to_dict
from ingest.figures.model import unit_kind


def test_figure_is_frozen() -> None:
    """Figures are immutable values."""
    fig = Figure(text="5%", start=0, end=2, sentence="5%", value=5.0, unit="%")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fig.value = 6.0  # type: ignore[misc]
    assert figure_to_dict(fig)["qualifier"] == "exact"


@pytest.mark.parametrize(
    ("unit", "kind"), [("%", "%"), ("pp", "pp"), ("x", "x"), ("count", "count"), ("CNY", "money")]
)
def test_unit_kind(unit: str, kind: str) -> None:
    """Any ISO code is money; the other units are their own kind."""
    assert unit_kind(unit) == kind


@given(
    st.lists(st.text(alphabet="abc .-", min_size=1, max_size=6), min_size=1, max_size=8),
    st.text(alphabet="abcABC .-x", max_size=60),
)
def test_trie_pattern_matches_like_the_longest_first_alternation(
    words: list[str], text: str
) -> None:
    """The prefix-factored entity pattern finds exactly what the plain alternation, longest
    name first, finds."""
    import re

    from ingest.figures.model import trie_pattern

    words = sorted({w.lower() for w in words}, key=len, reverse=True)
    plain = re.compile(
        r"\b(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w])", re.I
    )
    trie = re.compile(r"\b(?<![\w-])" + trie_pattern(words) + r"(?![\w])", re.I)
    assert [m.span() for m in trie.finditer(text)] == [m.span() for m in plain.finditer(text)]


@given(
    st.lists(
        st.lists(st.text(alphabet="ab c", min_size=2, max_size=5), max_size=3),
        min_size=1,
        max_size=4,
    ),
    st.text(alphabet="abc d", max_size=40),
)
def test_anchor_index_finds_every_anchor_present(groups: list[list[str]], text: str) -> None:
    """The one-pass anchor lookup (longest anchor at each position, then every anchor it starts
    with) yields exactly the metric groups whose anchors occur in the text, overlaps included."""
    from ingest.figures.model import FigureSettings, Metric

    metrics = tuple(
        Metric(
            key=f"m{i}",
            label="m",
            units=("%",),
            groups=(("x",),),
            anchors=(frozenset(g), frozenset(groups[-1 - i])),
        )
        for i, g in enumerate(groups)
    )
    settings = FigureSettings(metrics=metrics, entities=(), fx=())
    found = {
        hit
        for longest in settings.anchor_re.findall(text)
        for hit in settings.anchor_groups[longest]
    }
    expected = {
        (order, gi)
        for order, metric in enumerate(metrics)
        for gi, anchors in enumerate(metric.anchors)
        if any(a in text for a in anchors)
    }
    assert found == expected
    assert settings.anchored_groups == tuple(sum(1 for g in m.anchors if g) for m in metrics)
    assert settings.unanchored_metrics == tuple(
        o for o, m in enumerate(metrics) if not any(m.anchors)
    )
