"""Tests for the entry-count bound applied before feedparser (ingest.feeds.cut, parse_feed)."""

from __future__ import annotations

import tracemalloc

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from ingest.feeds.cut import cut_entries
from ingest.feeds.parse import parse_feed

FEED_URL = "https://news.example.com/feeds/alibaba-ai.xml"


def rss(n: int, *, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    items = "".join(
        f"<item><title>Qwen update {i}</title><guid>g{i}</guid>"
        f"<description>Alibaba Cloud note {i}</description></item>"
        for i in range(n)
    )
    return (
        f'{declaration}<rss version="2.0"><channel><title>Cloud wire</title>{items}</channel></rss>'
    ).encode()


def atom(n: int, prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns:{prefix}" if prefix else "xmlns"
    entries = "".join(
        f"<{p}entry><{p}id>urn:e:{i}</{p}id><{p}title>Model note {i}</{p}title>"
        f"<{p}updated>2025-05-01T00:00:00Z</{p}updated></{p}entry>"
        for i in range(n)
    )
    return (
        f'<?xml version="1.0"?><{p}feed {xmlns}="http://www.w3.org/2005/Atom">'
        f"<{p}title>Atom wire</{p}title><{p}id>urn:feed</{p}id>{entries}</{p}feed>"
    ).encode()


def rdf(n: int) -> bytes:
    items = "".join(
        f'<item rdf:about="https://news.example.com/r/{i}"><title>RDF {i}</title>'
        f"<link>https://news.example.com/r/{i}</link></item>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://news.example.com/">'
        "<title>RDF wire</title><link>https://news.example.com/</link></channel>"
        f"{items}</rdf:RDF>"
    ).encode()


def test_100k_entry_feed_is_parsed_in_bounded_memory() -> None:
    """A 100,000-entry feed capped at 200 keeps the first 200, flagged, in a few MB of memory."""
    body = rss(100_000)
    tracemalloc.start()
    try:
        feed = parse_feed(body, url=FEED_URL, max_entries=200)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [e.guid for e in feed.entries] == [f"g{i}" for i in range(200)]
    assert feed.truncated and not feed.bozo
    # Measured 0.9 MB cut; uncut, feedparser's dictionaries for 100,000 entries take 151 MB.
    assert peak < 10_000_000, f"peak {peak / 1e6:.1f} MB"


def test_feed_at_or_under_the_bound_is_untouched() -> None:
    """Bodies with at most `limit` entries come back as the same object, not cut."""
    body = rss(40)
    assert cut_entries(body, 40) == (body, False)
    assert cut_entries(body, 41)[0] is body


def test_cut_rss_atom_rdf_stay_well_formed_and_keep_their_kind() -> None:
    """RSS, Atom (plain and atom:-prefixed) and RDF cut to N entries parse cleanly to N."""
    for body, version in (
        (rss(300), "rss20"),
        (atom(300), "atom10"),
        (atom(300, "atom"), "atom10"),
        (rdf(300), "rss10"),
    ):
        cut, was_cut = cut_entries(body, 25)
        assert was_cut
        etree.fromstring(cut)  # well-formed, closing tags included
        feed = parse_feed(cut, url=FEED_URL, max_entries=500)
        assert (feed.version, len(feed.entries), feed.bozo) == (version, 25, False)
        capped = parse_feed(body, url=FEED_URL, max_entries=10)
        assert (len(capped.entries), capped.truncated, capped.bozo) == (10, True, False)


def test_items_in_comments_cdata_and_doctype_are_not_counted() -> None:
    """Start tags inside comments, CDATA, processing instructions and the DOCTYPE are skipped."""
    fake = "<item><title>x</title></item>" * 10
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY junk "{fake.replace("<", "&lt;")}">'
        f"<!-- {fake} -->]><?note {fake}?>"
        f'<rss version="2.0"><channel><title>T</title><!-- {fake} -->'
        f"<item><title>one</title><description><![CDATA[{fake}]]></description></item>"
        f"<item><title>two</title></item><item><title>three</title></item>"
        f"</channel></rss>"
    ).encode()
    cut, was_cut = cut_entries(body, 2)
    assert was_cut and cut.endswith(b"<item><title>two</title></item></channel></rss>")
    feed = parse_feed(body, url=FEED_URL, max_entries=1)
    assert [e.title for e in feed.entries] == ["one"] and feed.truncated


def test_nested_items_inside_an_entry_are_not_entries() -> None:
    """An extension's <x:item> inside an entry does not count towards the bound."""
    inner = "<x:item>part</x:item>" * 30
    items = "".join(f"<item><guid>g{i}</guid><x:list>{inner}</x:list></item>" for i in range(5))
    body = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:x="urn:x"><channel><title>T</title>'
        f"{items}</channel></rss>"
    ).encode()
    assert cut_entries(body, 5) == (body, False)
    cut, was_cut = cut_entries(body, 3)
    assert was_cut and len(parse_feed(cut, url=FEED_URL).entries) == 3


def test_the_declared_encoding_survives_the_cut() -> None:
    """A Latin-1 feed keeps its XML declaration, so accented titles still decode after the cut."""
    body = rss(100, declaration='<?xml version="1.0" encoding="iso-8859-1"?>')
    body = body.replace(b"Cloud wire", "Nouvelles du cloud: Qwen \xe9t\xe9".encode("latin-1"))
    feed = parse_feed(body, url=FEED_URL, max_entries=5)
    assert feed.title == "Nouvelles du cloud: Qwen \xe9t\xe9"
    assert len(feed.entries) == 5 and feed.truncated and not feed.bozo


def test_duplicate_guids_do_not_leave_the_poll_short() -> None:
    """With repeated GUIDs among the first entries, the cap is still filled from later ones."""
    items = [f"<item><guid>dup</guid><title>{i}</title></item>" for i in range(30)]
    items += [f"<item><guid>g{i}</guid></item>" for i in range(300)]
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()
    feed = parse_feed(body, url=FEED_URL, max_entries=50)
    assert len(feed.entries) == 50 and feed.truncated


def test_hostile_token_soup_is_scanned_linearly() -> None:
    """Unterminated tags and comments and 50,000 stray end tags get a quick, correct answer."""
    # Every "<item " lacks its ">": no tag at all, so nothing is counted or cut.
    assert cut_entries(b"<rss><channel>" + b"<item " * 200_000, 5) == (
        b"<rss><channel>" + b"<item " * 200_000,
        False,
    )
    # An unterminated comment swallows the rest of the document, as XML says.
    soup = b"<rss><channel>" + b"<item></item><!--" * 100_000
    assert cut_entries(soup, 5) == (soup, False)
    deep = b"<item>" + b"<a>" * 50_000 + b"</b>" * 50_000 + b"</item>"
    cut, was_cut = cut_entries(b"<rss><channel>" + deep * 3 + b"<item></item>" * 10, 5)
    assert was_cut and cut == b"<rss><channel>" + deep * 3 + b"<item></item>" * 2 + (
        b"</channel></rss>"
    )


@given(
    kind=st.sampled_from(["rss", "atom", "atom-prefixed", "rdf"]),
    n=st.integers(min_value=0, max_value=40),
    limit=st.integers(min_value=0, max_value=40),
)
def test_cut_keeps_exactly_min_of_n_and_limit(kind: str, n: int, limit: int) -> None:
    """A feed cut to `limit` is well-formed, holds min(n, limit) entries, flagged iff n > limit."""
    body = {"rss": rss, "atom": atom, "rdf": rdf}.get(kind, lambda k: atom(k, "atom"))(n)
    cut, was_cut = cut_entries(body, limit)
    assert was_cut == (n > limit)
    assert cut.startswith(body[:38])  # the declaration is kept byte for byte
    etree.fromstring(cut)
    assert len(parse_feed(cut, url=FEED_URL, max_entries=100).entries) == min(n, limit)
