# Fixture texts hold one paragraph per line, as extracted articles do: wrapping them would
# change the texts under test, so long lines are allowed here.
# ruff: noqa: E501
"""Sentence-by-sentence correspondence: heavy spins and round trips join, separate write-ups do not.

The fixtures are written here (a fictional company, fictional outlets): an original wire story;
a heavy spin of it that rewrites every sentence (half the words changed, the whole-text
content-word alignment below ``copy_alignment``); a copy of the original's body behind a
machine-written preamble, cut after three sentences, as stored pages often are; and a story
written separately from the same report, with the same facts in the same order but its own
sentences.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ingest.dedup import Candidate, DecisionKind, DedupSettings, Incoming, classify, prepare
from ingest.dedup import sentences as sent
from ingest.dedup.align import align, lcs_length, shared_words
from ingest.dedup.sentences import Sentence, correspondence, corresponds, split_sentences

ORIGINAL = """Halvorsen Robotics said on Monday it would spend 4.2 billion euros on new factories for warehouse robots over the next five years, the largest investment in its history.
The Oslo-based company plans to build three plants in Poland, Spain and Texas, which together could assemble 90,000 machines a year by the end of the decade.
Chief executive Ingrid Dahl told reporters that orders from grocers and parcel carriers had doubled since the spring, leaving customers waiting up to nine months for delivery.
Sales rose 23% to 1.8 billion euros in the third quarter, beating the forecasts of analysts polled by the company, while the operating margin widened to 14.5%.
Halvorsen's shares climbed 6.1% in Oslo after the announcement, their biggest one-day gain since the company listed in 2019.
Analysts at Fjord Markets said the plan would put the group ahead of American rivals that have been slower to add capacity.
The company said it would fund the spending from cash and a new credit line of 1.5 billion euros arranged with four banks.
Dahl added that the first of the new plants, near Wroclaw, should start production in the autumn of next year."""

# Every sentence reworded (a thorough synonym spin): each keeps its place, its length, its
# names and figures, and a part of its other words.
SPUN = """Halvorsen Robotics announced on Monday it will invest 4.2 billion euros in fresh plants for warehouse automation during the coming five years, the biggest outlay in its history.
The Oslo-headquartered firm intends to construct three sites in Poland, Spain and Texas, which jointly could build 90,000 units annually by the close of the decade.
CEO Ingrid Dahl informed journalists that demand from supermarkets and parcel carriers had doubled since the spring, leaving clients queuing as long as nine months for delivery.
Revenue increased 23% to 1.8 billion euros in the third quarter, topping the projections of experts surveyed by the company, while the operating margin grew to 14.5%.
Halvorsen's stock jumped 6.1% in Oslo following the news, its largest one-day advance since the group went public in 2019.
Experts at Fjord Markets stated the strategy would place the business ahead of US competitors that have been slower to expand output.
The firm said it would finance the outlay from reserves and a fresh credit facility of 1.5 billion euros organised with four lenders.
Dahl also noted that the initial new site, close to Wroclaw, ought to begin manufacturing in the autumn of next year."""

# A machine-written preamble, then the original's first three sentences, the page cut there.
PREAMBLE_THEN_BODY = """Who Should Read This Article About Warehouse Robots
This overview is intended for supply chain managers, logistics investors and automation engineers who follow the market for warehouse robots closely.
These readers want reliable information about factory capacity, delivery times and the financial strength of robot makers before they commit money.
Key Questions Answered
- Which companies are adding robot factory capacity in Europe and America this year?
- How long do customers currently wait for delivery of warehouse machines?
- What does the new spending mean for prices and competition among suppliers?
Halvorsen Expands: Full Story
""" + "\n".join(ORIGINAL.splitlines()[:3])

# The original's body reworded (a machine-translation round trip), without the preamble.
ROUND_TRIP = """Halvorsen Robotics on Monday said that it will spend 4.2 billion euros on new factories of robots for warehouses in the next five years, the investment largest of its history.
The company based in Oslo plans to build three factories in Poland, Spain and Texas, which together could assemble 90,000 machines per year before the end of the decade.
The executive director Ingrid Dahl said to journalists that the orders of grocers and of package carriers had doubled since the spring, and customers wait until nine months for the delivery.
The sales grew 23% to 1.8 billion euros in the third trimester, exceeding the forecasts of the analysts consulted by the company, while the operating margin enlarged to 14.5%.
The actions of Halvorsen rose 6.1% in Oslo after the announcement, their gain of one day largest since the company entered the stock exchange in 2019.
Analysts of Fjord Markets said that the plan would place the group in advance of American rivals that were slower to add capacity."""

# Written separately from the same company statement: the same facts, names and figures, in
# the same order, but the writer joins and splits them in sentences of their own.
SEPARATE = """Warehouse robot maker Halvorsen Robotics is betting 4.2 billion euros over five years on manufacturing, it said Monday, with plants in Poland, Spain and Texas.
The three factories are meant to reach a combined output of 90,000 robots a year before 2030.
Demand is the reason: Ingrid Dahl, the chief executive, said grocers and parcel companies have doubled their orders since spring.
Some customers now wait nine months.
In the third quarter, the company's revenue grew 23% to 1.8 billion euros and its operating margin reached 14.5%, both better than analysts had expected.
Investors welcomed the news, pushing the stock up 6.1% in Oslo trading on the day, the best session for Halvorsen since its 2019 listing.
Fjord Markets analysts think the expansion leaves slower American competitors behind.
A 1.5 billion euro credit line from four banks and existing cash will pay for the plan; the Wroclaw plant opens first, next autumn."""

SETTINGS = DedupSettings()


def decide(text: str, against: str) -> tuple[DecisionKind, str]:
    cand = Candidate(id=1, text=against, url="https://wire.example/h", source="wire.example")
    inc = Incoming(text=text, url="https://copy.example/h", source="copy.example")
    decision = classify(inc, None, [cand], SETTINGS)
    return decision.kind, decision.reason


def whole_text_alignment(a: str, b: str) -> float:
    return align(prepare(a, SETTINGS).content, prepare(b, SETTINGS).content).contained


def test_heavy_spin_joins_by_its_sentences() -> None:
    """A spin that rewrites every sentence defeats the whole-text alignment, not the sentences."""
    assert whole_text_alignment(SPUN, ORIGINAL) < SETTINGS.copy_alignment
    kind, reason = decide(SPUN, ORIGINAL)
    assert kind is DecisionKind.DUPLICATE
    assert "sentence by sentence" in reason


def test_round_trip_of_a_body_behind_a_preamble_joins() -> None:
    """The stored original is mostly a preamble and is cut after three sentences of the body;
    the round-tripped copy of the body corresponds with those three and joins."""
    cor = correspondence(sent.sentences_of(ROUND_TRIP), sent.sentences_of(PREAMBLE_THEN_BODY))
    assert cor.sentences == 3 and cor.at_edges and cor.share == 1.0
    assert decide(ROUND_TRIP, PREAMBLE_THEN_BODY)[0] is DecisionKind.DUPLICATE


def test_separate_write_up_of_the_same_report_stays_apart() -> None:
    """Same facts, names, figures and order, other sentences: a story of its own."""
    cor = correspondence(sent.sentences_of(SEPARATE), sent.sentences_of(ORIGINAL))
    assert cor.share < sent.COPY_SHARE or not cor.is_copy_shape
    assert decide(SEPARATE, ORIGINAL)[0] is DecisionKind.NEW
    assert decide(SEPARATE, SPUN)[0] is DecisionKind.NEW


def test_three_sentence_brief_of_a_long_story_is_not_an_appearance() -> None:
    """A short spun brief corresponds with the story's lead, but covers too little of it."""
    brief = "\n".join(SPUN.splitlines()[:3])
    long_story = (
        ORIGINAL
        + "\n"
        + "\n".join(
            f"Paragraph {k} of the background section discusses robot makers, factory automation history and labour markets in detail across Europe."
            for k in range(30)
        )
    )
    assert decide(brief, long_story)[0] is DecisionKind.NEW


def test_split_sentences_drops_headings_and_marks_a_cut_end() -> None:
    """Lines of fewer than four content words are not sentences; a text ending mid-sentence
    has a cut last sentence, whose length is then not compared."""
    text = "Robots Today\nThe plant in Poland will make robots for grocers. It opens next autumn near Wroclaw city centre.\nThe company said the second plant would follow in"
    found = split_sentences(text)
    assert [s.cut for s in found] == [False, False, True]
    assert found[0].content[:2] == ("plant", "poland")
    whole = Sentence(
        ("second", "plant", "would", "follow", "spain", "texas", "late"), 20, frozenset()
    )
    assert corresponds(found[2], whole)
    assert not corresponds(Sentence(found[2].content, found[2].length, frozenset()), whole)


def test_sentences_with_other_numbers_do_not_correspond() -> None:
    """The same sentence stating another figure is another fact."""
    a = split_sentences("Sales rose 23% to 1.8 billion euros in the third quarter of the year.")[0]
    b = split_sentences("Sales rose 31% to 2.4 billion euros in the third quarter of the year.")[0]
    c = split_sentences("Revenue grew 23% to 1.8 billion euros in the third quarter this year.")[0]
    assert not corresponds(a, b)
    assert corresponds(a, c)


sentence = st.builds(
    lambda words, extra: Sentence(tuple(words), len(words) + extra, frozenset()),
    st.lists(
        st.sampled_from("robot plant euro oslo dahl order grocer spain texas 90,000".split()),
        min_size=4,
        max_size=12,
    ),
    st.integers(min_value=0, max_value=6),
)


@given(st.lists(sentence, min_size=3, max_size=10))
def test_a_text_corresponds_with_itself_throughout(text: list[Sentence]) -> None:
    """Every sentence of a text pairs with itself: the whole text, at the edges, share 1."""
    cor = correspondence(text, text)
    assert cor.sentences == len(text)
    assert cor.share == 1.0 and cor.at_edges and cor.is_copy_shape


@given(st.lists(sentence, max_size=8), st.lists(sentence, max_size=8))
def test_correspondence_is_bounded(a: list[Sentence], b: list[Sentence]) -> None:
    """At most one pair per sentence on each side; the shares are fractions; the chain's
    weight (its content words on both sides) does not depend on which text comes first."""
    cor = correspondence(a, b)
    assert cor.sentences <= min(len(a), len(b))
    assert 0.0 <= cor.aligned <= cor.share <= 1.0
    assert sum(correspondence(b, a).matched) == sum(cor.matched)


words = st.lists(st.sampled_from("alpha beta gamma delta 12 7.5 omega".split()), max_size=30)


@given(words, words)
def test_shared_words_bounds_the_alignment(a: list[str], b: list[str]) -> None:
    """Words in common in any order: symmetric, and never fewer than the ordered alignment."""
    assert shared_words(a, b) == shared_words(b, a) >= lcs_length(a, b)
