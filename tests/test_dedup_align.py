# Fixture texts hold one paragraph per line, as extracted articles do: wrapping them would
# change the texts under test, so long lines are allowed here.
# ruff: noqa: E501
"""Ordered content-word alignment, figure keys, reworded copies and related stories (issue 12).

The fixtures are written here (a fictional company, fictional outlets) in the shapes real
syndication takes: verbatim with promo lines inserted, cut to the first half, reformatted as
a transcript, synonym-spun, a machine-translation round trip, and a story on the same event
written separately.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ingest.dedup import (
    Candidate,
    DecisionKind,
    DedupSettings,
    Incoming,
    classify,
    overlap,
    prepare,
    shingles,
    tokens,
)
from ingest.dedup.align import align, content_words, figure_keys, figures_in, lcs_length
from ingest.dedup.related import relate

ORIGINAL = """Meridian Group said on Tuesday it would invest 120 billion yuan in artificial intelligence infrastructure over the next three years, its largest commitment yet.
The Hangzhou-based company said the spending on data centres and chips would exceed what it had spent on cloud computing over the past decade.
Chief executive Lena Ortiz told analysts that demand from retailers, banks and carmakers for model training had outgrown the group's forecasts.
Revenue at the cloud unit rose 18% to 31.4 billion yuan in the December quarter, the fastest pace in two years, driven by demand for AI products.
Meridian's Hong Kong shares jumped 7.5% after the announcement, taking their gain this year to more than 60%.
Analysts at Northgate Securities said the plan signalled that Chinese technology groups were prepared to match the spending of their American rivals.
The company also said it would open new data centres in Mexico, Thailand and Poland, adding to the 29 regions where it already operates.
Ortiz said the group would keep releasing its Lumen language models as open source so that developers could build on them freely."""

PROMO = ORIGINAL.replace(
    "Meridian's Hong Kong shares",
    "Join our weekly markets newsletter for the stories that move prices.\nMeridian's Hong Kong shares",
).replace(
    "The company also said",
    "READ ALSO: Ten things to know before the earnings season\nThe company also said",
)

HALF = "\n".join(ORIGINAL.splitlines()[:4])

TRANSCRIPT = "\n".join(
    piece.strip()
    for line in ORIGINAL.splitlines()
    for piece in line.replace(",", ",\n").splitlines()
)

SPUN = """Meridian Group stated on Tuesday it would put 120 billion yuan in artificial intelligence infrastructure across the coming three years, its biggest commitment so far.
The Hangzhou-headquartered firm said the outlay on data centres and chips would surpass what it had invested in cloud computing over the previous decade.
Chief executive Lena Ortiz informed analysts that demand from retailers, lenders and automakers for model training had outpaced the group's projections.
Revenue at the cloud division climbed 18% to 31.4 billion yuan in the December quarter, the quickest pace in two years, powered by demand for AI products.
Meridian's Hong Kong stock surged 7.5% after the announcement, lifting their gain this year to more than 60%.
Analysts at Northgate Securities said the plan indicated that Chinese technology firms were ready to match the spending of their American competitors.
The firm also said it would launch new data centres in Mexico, Thailand and Poland, adding to the 29 regions where it presently operates.
Ortiz said the group would continue releasing its Lumen language models as open source so that developers could build on them without charge."""

ROUND_TRIP = """Meridian Group on Tuesday said that it will invest 120 billion yuan in the infrastructure of artificial intelligence in the next three years, its commitment largest until now.
The company based in Hangzhou declared that the expense in data centres and chips will exceed that which spent in cloud computing during the last decade.
The executive director Lena Ortiz said to analysts that the demand of retailers, banks and car manufacturers for the training of models surpassed the forecasts of the group.
The income of the cloud unit grew 18% to 31.4 billion yuan in the quarter of December, the most rapid rhythm in two years, pushed by the demand of AI products.
The shares of Meridian in Hong Kong jumped 7.5% after the announcement, bringing their gain of this year to more than 60%.
Analysts of Northgate Securities said that the plan indicated that Chinese groups of technology were prepared to equal the expense of their American rivals.
The company also said that it will open new data centres in Mexico, Thailand and Poland, adding to the 29 regions where already it operates."""

# The same event, written separately: same figures and names, own sentences and order.
INDEPENDENT = """Investors cheered on Tuesday as Meridian Group laid out a three-year, 120 billion yuan programme for AI computing, sending the stock up 7.5% in Hong Kong.
The announcement came days after quarterly results in which the cloud business grew 18% to 31.4 billion yuan.
Ortiz, who took over as chief executive last year, has bet the company's future on selling computing power and open models to other businesses.
Some fund managers were more cautious. "Spending on this scale only pays off if the demand lasts," said Priya Raman, a portfolio manager at Kestrel Capital.
Meridian competes at home with several larger cloud providers and has been expanding abroad, with sites planned in Mexico and Poland.
The group did not say how the programme would be funded, though it held large cash reserves at the end of the quarter."""

# Another event of the same company, months later: shares names, not the event's figures.
OTHER_EVENT = """Meridian Group reported on Thursday that cloud revenue rose 26% to 39.8 billion yuan in the September quarter, as demand for AI services kept climbing.
The company said its AI-related products had grown at triple-digit rates for the ninth quarter in a row.
Lena Ortiz said the group might spend more than it had planned on data centres, without giving a new figure.
Meridian's shares fell 2.1% in New York trading after the results, which missed profit forecasts."""

SETTINGS = DedupSettings()
URL = "https://wire.example/meridian-ai"


def decide(text: str, *, against: str = ORIGINAL, earlier: tuple[str, ...] = ()) -> DecisionKind:
    cand = Candidate(id=1, text=against, url=URL, source="wire.example", earlier_texts=earlier)
    inc = Incoming(text=text, url="https://copy.example/story", source="copy.example")
    return classify(inc, None, [cand], SETTINGS).kind


def test_every_text_reusing_copy_joins() -> None:
    """Promo lines inserted, cut to half, transcript, synonym-spun and MT round trip: copies."""
    for name, text in [("promo", PROMO), ("half", HALF), ("transcript", TRANSCRIPT),
                       ("spun", SPUN), ("round trip", ROUND_TRIP)]:  # fmt: skip
        assert decide(text) is DecisionKind.DUPLICATE, name


def test_independent_same_event_story_stays_apart() -> None:
    """A story on the same event with the same figures but its own sentences is new."""
    assert decide(INDEPENDENT) is DecisionKind.NEW
    assert decide(OTHER_EVENT) is DecisionKind.NEW


def test_copy_of_a_later_corrected_article_still_joins() -> None:
    """The original was rewritten with its correction after a spun copy was made of its first
    version: the copy is verified against the earlier revision too, and joins."""
    corrected = "\n".join(
        [
            "Correction: an earlier version of this story misstated the size of the plan.",
            INDEPENDENT.replace("120 billion", "150 billion"),
        ]
    )
    assert decide(SPUN, against=corrected) is DecisionKind.NEW
    assert decide(SPUN, against=corrected, earlier=(ORIGINAL,)) is DecisionKind.DUPLICATE


def test_related_links_same_event_not_other_event() -> None:
    """Same event, written separately: related. Another event of the company: not."""
    day = datetime(2026, 1, 6, tzinfo=UTC)
    inc = Incoming(text=INDEPENDENT, url="https://b.example/x", source="b.example", published=day)
    cands = [
        Candidate(id=1, text=ORIGINAL, url=URL, source="wire.example", published=day),
        Candidate(id=2, text=OTHER_EVENT, url="https://c.example/y", source="c.example"),
    ]
    links = relate(inc, prepare(INDEPENDENT, SETTINGS), cands, SETTINGS)
    assert [link.story_id for link in links] == [1]
    assert links[0].shared_figures >= SETTINGS.related_min_figures


def test_related_refused_when_dates_far_apart() -> None:
    """Both dates known and months apart: another event, however alike the figures."""
    inc = Incoming(text=INDEPENDENT, url="https://b.example/x", source="b.example",
                   published=datetime(2026, 6, 1, tzinfo=UTC))  # fmt: skip
    cand = Candidate(
        id=1, text=ORIGINAL, url=URL, source="w", published=datetime(2026, 1, 6, tzinfo=UTC)
    )
    assert relate(inc, prepare(INDEPENDENT, SETTINGS), [cand], SETTINGS) == []


def test_figures_keep_scale_and_skip_years() -> None:
    """Figures carry their scale word; bare years and small counts are not figures."""
    found = figures_in(tokens("In 2025 it spent 120 billion yuan, up 18% on 3 sites; 31.4 here."))
    assert found == ("120 billion", "18 %", "31.4")


words = st.lists(st.sampled_from("alpha beta gamma delta the of 12 7.5 omega".split()), max_size=40)


@given(words, words)
def test_lcs_is_symmetric_and_bounded(a: list[str], b: list[str]) -> None:
    """LCS length is symmetric, at most the shorter length, and equals it for a subsequence."""
    n = lcs_length(a, b)
    assert n == lcs_length(b, a)
    assert n <= min(len(a), len(b))
    assert lcs_length(a, a[::2]) == len(a[::2])


@given(words, words)
def test_alignment_shares_are_fractions(a: list[str], b: list[str]) -> None:
    """Both shares lie in [0, 1], and the shorter text's share is the larger."""
    al = align(content_words(a), content_words(b))
    assert 0.0 <= al.covered <= al.contained <= 1.0


@given(st.lists(st.text(min_size=1, max_size=8), max_size=20))
def test_figure_keys_are_stable_63_bit(figures: list[str]) -> None:
    """Keys fit a signed 64-bit column and do not depend on order or repeats."""
    keys = figure_keys(figures)
    assert all(0 <= k < 2**63 for k in keys)
    assert keys == figure_keys(list(reversed(figures)) + figures)


def test_stories_and_related_through_the_store(tmp_path: Path) -> None:
    """Imported through save_article: the spun copy joins the story (2 outlets, first and last
    appearance), the independent story is a separate story linked as related, both ways."""
    from ingest.dedup.corpus import save_article
    from ingest.models import ExtractedArticle
    from ingest.store import Store

    store = Store(tmp_path / "s.db")
    store.neardup_check(SETTINGS)
    ids = []
    for day, (url, text) in enumerate(
        [(URL, ORIGINAL), ("https://spin.example/a", SPUN), ("https://b.example/x", INDEPENDENT)],
        start=5,
    ):
        article = ExtractedArticle(
            url=url, canonical_url=url, title=url, author=None, language=None, text=text,
            published=datetime(2026, 1, day, tzinfo=UTC), extraction="page",
        )  # fmt: skip
        save_article(store, article, entry=None, source_id=None,
                     now=datetime(2026, 1, day, tzinfo=UTC), settings=SETTINGS)  # fmt: skip
        ids.append(store.conn.execute("SELECT max(id) FROM articles").fetchone()[0])
    original, spun, independent = ids
    assert store.get_article(spun).duplicate_of == original  # type: ignore[union-attr]
    assert store.get_article(independent).duplicate_of is None  # type: ignore[union-attr]
    [summary] = store.story_summaries([original])
    assert summary.outlets == ("spin.example", "wire.example")
    assert (summary.first_seen.day, summary.last_seen.day) == (5, 6)
    assert [r.id for r in store.related_stories(original)] == [independent]
    assert [r.id for r in store.related_stories(independent)] == [original]


def test_house_template_with_other_figures_is_not_a_copy() -> None:
    """Two stories sharing an outlet's boilerplate paragraphs but stating different figures
    are different stories, however much of their wording aligns."""
    boiler = "\n".join(ORIGINAL.splitlines()[1:3] + ORIGINAL.splitlines()[5:6])
    first = (
        "Meridian Group said revenue rose to 42.6 billion yuan in the June quarter, helped by "
        "its overseas shops and a recovery in advertising sales at home.\n" + boiler
    )
    other = (
        "Meridian Group said it had hired 5,400 engineers for its chip unit this year and "
        "planned to open a design centre in Singapore before the summer.\n" + boiler
    )
    assert overlap(shingles(other), shingles(first)).containment < SETTINGS.duplicate_containment
    assert decide(other, against=first) is DecisionKind.NEW
