"""The dedup decision (ingest.dedup.classify) on hand-made cases, one rule at a time."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from ingest.dedup import (
    Candidate,
    DecisionKind,
    DedupSettings,
    Incoming,
    classify,
    text_hash,
    url_key,
)

SETTINGS = DedupSettings()
URL = "https://wire.example/business/alibaba-cloud-results"
STORY = """HANGZHOU (Wire) - Alibaba's cloud unit reported revenue of 29.6 billion yuan for the
September quarter, up 7% from a year earlier, as demand for AI services offset weak retail.

Revenue from AI-related products grew at a triple-digit rate for a fifth straight quarter,
the company said. Adjusted EBITA at the unit rose 89% to 2.7 billion yuan.

Group revenue rose 5% to 236.5 billion yuan, slightly below analysts' forecasts. Net income
rose 63% to 43.9 billion yuan, lifted by gains on equity investments.

Chief executive Eddie Wu told analysts that customers were moving from trials of large
language models to production, and that price cuts had widened the customer base.

The shares fell 2.3% in Hong Kong before the results, but have gained about 25% this year."""

OTHER_STORY = """Alibaba's bet on artificial intelligence showed up in its quarterly numbers on
Friday. Its cloud division grew 7% to 29.6 billion yuan, the fastest pace since it became a
separate unit, and profit at the division almost doubled, climbing 89% to 2.7 billion yuan.

The retail side was weaker. Group revenue reached 236.5 billion yuan, up 5%, while the
marketplaces grew customer management revenue by only 3%. Net income of 43.9 billion yuan, up
63%, owed much to gains on listed stakes. Investors sent the stock 2.3% lower ahead of it."""


def stored(text: str = STORY, **changes: object) -> Candidate:
    """The wire story as stored: article 1 at URL, from source Wire."""
    return replace(Candidate(id=1, text=text, url=URL, source="Wire"), **changes)  # type: ignore[arg-type]


def incoming(text: str = STORY, **changes: object) -> Incoming:
    """An incoming article, by default the wire story at its own URL."""
    return replace(Incoming(text=text, url=URL, source="Wire"), **changes)  # type: ignore[arg-type]


def test_nothing_to_compare_is_new() -> None:
    """Without a prior or candidates an article is new."""
    decision = classify(incoming(), None, [], SETTINGS)
    assert (decision.kind, decision.target_id) == (DecisionKind.NEW, None)
    assert decision.text_hash == text_hash(STORY)


def test_same_url_same_text_is_unchanged() -> None:
    """The same text at the same URL, re-rendered, is unchanged."""
    decision = classify(incoming(STORY.upper().replace("\n", " ")), stored(), [], SETTINGS)
    assert (decision.kind, decision.target_id) == (DecisionKind.UNCHANGED, 1)


def test_corrected_figure_at_same_url_is_a_revision() -> None:
    """A figure corrected in place is a revision of the article at that URL."""
    decision = classify(incoming(STORY.replace("rose 89%", "rose 86%")), stored(), [], SETTINGS)
    assert (decision.kind, decision.target_id) == (DecisionKind.REVISION, 1)
    assert decision.jaccard is not None and 0.9 < decision.jaccard < 1.0


def test_flip_flop_to_an_earlier_revision_is_not_a_revision() -> None:
    """Returning to the text of an earlier revision is unchanged, and the reason says so."""
    v2 = STORY.replace("rose 89%", "rose 86%")
    prior = stored(v2, revision_hashes=(text_hash(STORY), text_hash(v2)))
    decision = classify(incoming(STORY), prior, [], SETTINGS)
    assert decision.kind == DecisionKind.UNCHANGED
    assert "flip-flop back to revision 1" in decision.reason


def test_text_collapse_is_not_a_revision() -> None:
    """A paywall stub replacing the article at its URL is unchanged, not a revision."""
    stub = STORY.split("\n\n")[0] + "\n\nSubscribe to continue reading."
    decision = classify(incoming(stub), stored(), [], SETTINGS)
    assert decision.kind == DecisionKind.UNCHANGED
    assert "collapsed" in decision.reason


def test_a_longer_text_at_the_same_url_is_a_revision() -> None:
    """An added paragraph (an update) is a revision, not a collapse in reverse."""
    updated = STORY + "\n\nThe company will hold an investor day in December, it said."
    assert classify(incoming(updated), stored(), [], SETTINGS).kind == DecisionKind.REVISION


def test_same_guid_from_same_source_is_the_same_document() -> None:
    """A candidate with the incoming GUID from the same feed is treated as the prior."""
    cand = stored(url="https://wire.example/old-slug", guid="wire-123")
    changed = STORY.replace("rose 89%", "rose 86%")
    decision = classify(incoming(changed, guid="wire-123"), None, [cand], SETTINGS)
    assert (decision.kind, decision.target_id) == (DecisionKind.REVISION, 1)


def test_same_guid_from_another_source_is_not_identity() -> None:
    """An aggregator reusing another feed's GUID is judged on its text, as a duplicate."""
    cand = stored(url="https://wire.example/old-slug", guid="wire-123")
    inc = incoming(url="https://aggregator.example/x", source="Aggregator", guid="wire-123")
    assert classify(inc, None, [cand], SETTINGS).kind == DecisionKind.DUPLICATE


def test_url_variant_in_candidates_is_the_same_document() -> None:
    """A candidate whose URL differs only by tracking parameters is the same document."""
    inc = incoming(url=URL.replace("wire.example", "WIRE.example") + "?utm_source=x#top")
    decision = classify(inc, None, [stored()], SETTINGS)
    assert (decision.kind, decision.target_id) == (DecisionKind.UNCHANGED, 1)


def test_exact_copy_elsewhere_is_a_duplicate_of_the_story() -> None:
    """The same text on another site is a duplicate of the candidate's story."""
    cand = stored(id=7, story_id=3)
    inc = incoming(url="https://other.example/a", source="Other")
    decision = classify(inc, None, [cand], SETTINGS)
    assert (decision.kind, decision.target_id) == (DecisionKind.DUPLICATE, 3)
    assert decision.reason == "identical normalised text"


def test_same_outlet_same_text_at_another_url_is_unchanged() -> None:
    """The outlet's own text seen through a second URL adds nothing."""
    decision = classify(incoming(url="https://wire.example/amp/1"), None, [stored()], SETTINGS)
    assert (decision.kind, decision.target_id) == (DecisionKind.UNCHANGED, 1)


def test_same_outlet_edited_text_at_new_url_is_a_revision() -> None:
    """The outlet's text, edited and moved to a new slug, is a revision of the original."""
    edited = STORY.replace("rose 89%", "rose 86%").replace("2.3%", "2.1%")
    inc = incoming(edited, url="https://wire.example/business/alibaba-cloud-results-updated")
    decision = classify(inc, None, [stored()], SETTINGS)
    assert (decision.kind, decision.target_id) == (DecisionKind.REVISION, 1)


def test_truncated_and_annotated_copies_are_duplicates() -> None:
    """A copy cut to its first paragraphs, or with an editor's note, is a duplicate."""
    paras = STORY.split("\n\n")
    for text in (
        "\n\n".join(paras[:3]),
        "Editor's note: republished with permission from Wire.\n\n" + STORY,
    ):
        inc = incoming(text, url="https://other.example/a", source="Other")
        decision = classify(inc, None, [stored()], SETTINGS)
        assert (decision.kind, decision.target_id) == (DecisionKind.DUPLICATE, 1), text[:40]
        assert decision.containment is not None and decision.containment >= 0.8


def test_distinct_story_with_the_same_figures_is_new() -> None:
    """A separately written story with all the same figures is new, not a duplicate."""
    inc = incoming(OTHER_STORY, url="https://ledger.example/b", source="Ledger")
    decision = classify(inc, None, [stored()], SETTINGS)
    assert (decision.kind, decision.target_id) == (DecisionKind.NEW, None)
    assert decision.reason == "no candidate passed verification"
    assert decision.containment is not None and decision.containment < 0.3


def test_one_quoted_paragraph_is_too_little_to_call_a_copy() -> None:
    """A text covering under a fifth of a story is not its duplicate, though all inside it."""
    quoted = STORY.split("\n\n")[-1]
    inc = incoming(quoted, url="https://other.example/a", source="Other")
    assert classify(inc, None, [stored()], SETTINGS).kind == DecisionKind.NEW


def test_candidate_limit_is_respected() -> None:
    """Only the first candidate_limit candidates are verified."""
    copy_at_end = [stored(id=i, text=f"unrelated text number {i} " * 5) for i in range(1, 4)]
    copy_at_end.append(stored(id=9))
    inc = incoming(url="https://other.example/a", source="Other")
    limited = DedupSettings(candidate_limit=3)
    assert classify(inc, None, copy_at_end, limited).kind == DecisionKind.NEW
    assert classify(inc, None, copy_at_end, SETTINGS).kind == DecisionKind.DUPLICATE


def test_url_key_ignores_tracking_case_fragment_and_slash() -> None:
    """URL identity ignores utm_*, fbclid, host case, fragment and a trailing slash."""
    assert url_key("https://A.example/x/?utm_source=t&id=2&fbclid=z#c") == url_key(
        "https://a.example/x?id=2"
    )
    assert url_key("https://a.example/x?id=2") != url_key("https://a.example/x?id=3")


@given(st.text(max_size=400))
def test_any_text_against_itself_is_unchanged(text: str) -> None:
    """Whatever the text, seeing it again at its URL is unchanged."""
    decision = classify(incoming(text), stored(text), [], SETTINGS)
    assert decision.kind == DecisionKind.UNCHANGED


_FIGURE = st.one_of(
    st.integers(min_value=1, max_value=999).map(lambda n: f"{n}%"),
    st.decimals(min_value=1, max_value=999, places=1).map(lambda d: f"{d} billion yuan"),
    st.integers(min_value=2, max_value=400).map(lambda n: f"${n} million"),
)

# Two outlets' own ways of writing up the same numbers.
_WIRE = (
    "Alibaba said on Friday that revenue at its cloud unit rose {0} in the quarter.",
    "The unit reported sales of {1}, beating analyst forecasts compiled by a data provider.",
    "Spending on servers and data centres reached {2}, the company said in a filing.",
    "Its shares closed {3} higher in Hong Kong after the results were released.",
    "Chief executive Eddie Wu said AI products would drive growth, citing {4} of new demand.",
)
_FEATURE = (
    "For investors waiting on the cloud business, the quarter finally delivered {0} growth.",
    "Behind that number sit {1} of sales, more than most analysts had pencilled in.",
    "Building the infrastructure is costly: {2} went on hardware and buildings this time.",
    "Traders liked what they saw, sending the stock up {3} by the close of trading.",
    "Management pointed to {4} of fresh AI demand as proof that the strategy is working.",
)


@given(st.lists(_FIGURE, min_size=5, max_size=5))
def test_stories_sharing_every_figure_never_merge(figures: list[str]) -> None:
    """Two separately worded stories stating exactly the same figures are never merged."""
    wire = " ".join(t.format(*figures) for t in _WIRE)
    feature = " ".join(t.format(*figures) for t in _FEATURE)
    cand = stored(wire)
    inc = incoming(feature, url="https://feature.example/x", source="Feature")
    assert classify(inc, None, [cand], SETTINGS).kind == DecisionKind.NEW


def test_copy_of_an_earlier_revision_is_a_duplicate() -> None:
    """A copy taken before a correction is still recognised exactly, via the revision hashes."""
    v2 = STORY.replace("rose 89%", "rose 86%")
    cand = stored(v2, revision_hashes=(text_hash(STORY), text_hash(v2)))
    inc = incoming(STORY, url="https://other.example/a", source="Other")
    decision = classify(inc, None, [cand], SETTINGS)
    assert (decision.kind, decision.reason) == (DecisionKind.DUPLICATE, "identical normalised text")
