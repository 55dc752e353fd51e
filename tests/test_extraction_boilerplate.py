"""The product's boilerplate rules on trafilatura's body tree (own fixtures, no real pages)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from ingest.extract.boilerplate import (
    PageHints,
    is_link_only,
    is_promo,
    is_title,
    link_texts,
    normalise,
    strip_boilerplate,
)

TITLE = "Alibaba Cloud cuts prices of its Qwen models by up to 85%"
PROSE = (
    "Alibaba Cloud said on Tuesday it would cut the prices of its Qwen large language models "
    "by as much as 85 per cent, the third round of cuts this year."
)
PROSE2 = "Analysts said the move would pressure smaller rivals that rent out the same chips."
RELATED = ("Tencent profit falls as rivals weigh", "Baidu shows new Ernie model")
LINKS = link_texts([*RELATED, "Home", "Markets"])


def body(*blocks: str) -> etree._Element:
    return etree.fromstring(f"<body>{''.join(blocks)}</body>")


def texts(element: etree._Element) -> list[str]:
    return [" ".join("".join(e.itertext()).split()) for e in element]


def strip(element: etree._Element, title: str | None = TITLE) -> list[str]:
    strip_boilerplate(element, PageHints(title=title, link_texts=LINKS))
    return texts(element)


def test_title_and_standfirst_dropped() -> None:
    """The headline repeated at the top and the heading right after it go; the text stays."""
    tree = body(f'<head rend="h1">{TITLE}</head>', '<head rend="h2">Third round of cuts</head>',
                f"<p>{PROSE}</p>")  # fmt: skip
    assert strip(tree, title=f"{TITLE} | Harbour Ledger") == [PROSE]


def test_opening_heading_kept_when_it_is_not_the_title() -> None:
    """A page that opens with its own heading (not the title) keeps it."""
    tree = body('<head rend="h2">Prices at a glance</head>', f"<p>{PROSE}</p>")
    assert strip(tree) == ["Prices at a glance", PROSE]


def test_promos_and_labelled_links_dropped() -> None:
    """Newsletter boxes and "Read more: <other story>" teasers go; prose mentioning them stays."""
    tree = body(f"<p>{PROSE}</p>", f"<p>Read more: {RELATED[0]}</p>",
                "<p>Sign up for our newsletter to get the day's top stories.</p>",
                f"<p>{PROSE2} Readers who subscribe to the service pay more.</p>")  # fmt: skip
    assert strip(tree) == [PROSE, f"{PROSE2} Readers who subscribe to the service pay more."]


def test_related_list_and_tail_dropped() -> None:
    """A list of links to other stories, and widget headings after the last paragraph, go."""
    items = "".join(f"<item>{r}</item>" for r in RELATED)
    tree = body(f"<p>{PROSE}</p>", f'<list rend="ul">{items}</list>', f"<p>{PROSE2}</p>",
                '<head rend="h3">Most read</head>', f"<p>{RELATED[1]}</p>")  # fmt: skip
    assert strip(tree) == [PROSE, PROSE2]


def test_list_of_facts_kept() -> None:
    """A list whose items are not links (a list of figures in the story) stays."""
    tree = body(f"<p>{PROSE}</p>", '<list rend="ul"><item>Qwen-Max: 0.0024 yuan</item>'
                "<item>Qwen-Plus: 0.0008 yuan</item></list>", f"<p>{PROSE2}</p>")  # fmt: skip
    assert strip(tree) == [PROSE, "Qwen-Max: 0.0024 yuanQwen-Plus: 0.0008 yuan", PROSE2]


def test_tail_text_after_removed_block_kept() -> None:
    """Text lxml keeps as the tail of a removed element is moved, not lost."""
    tree = body(f"<p>{PROSE}</p>", f"<p>Read more: {RELATED[0]}</p>loose words")
    strip(tree)
    assert "loose words" in "".join(tree.itertext())


def test_predicates() -> None:
    """Title matching tolerates a site suffix; promo and link checks are about short blocks."""
    assert is_title(TITLE, f"{TITLE} - Harbour Ledger") and not is_title("Alibaba", TITLE)
    assert not is_title(TITLE, None)
    assert is_promo("Follow us on LinkedIn") and not is_promo(PROSE)
    assert is_promo("12 comments") and not is_promo(f"{PROSE} Read more below.")
    assert is_link_only(f"Related: {RELATED[1]}", LINKS) and not is_link_only(PROSE, LINKS)


@given(st.text(max_size=80))
def test_normalise_is_idempotent(text: str) -> None:
    """Normalising twice changes nothing (link and block texts meet in one form)."""
    assert normalise(normalise(text)) == normalise(text)


@given(st.lists(st.sampled_from([f"<p>{PROSE}</p>", f"<p>{PROSE2}</p>", "<p>Tags:</p>",
                                 f"<head>{TITLE}</head>", f"<list><item>{RELATED[0]}</item>"
                                 f"<item>{RELATED[1]}</item></list>"]), max_size=8))  # fmt: skip
def test_rules_only_remove(blocks: list[str]) -> None:
    """Whatever the blocks, the rules only remove: every kept text was in the input."""
    before = texts(body(*blocks))
    after = strip(body(*blocks))
    assert all(text in before for text in after) and len(after) <= len(before)
