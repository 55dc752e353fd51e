"""Tests for ingest.feeds.parse: golden feeds, identity, limits, safety and fuzzing.

Golden files: every input under ``tests/data/feeds/`` (any file not ending in ``.json``) has
``<name>.json`` beside it with the expected :class:`ParsedFeed` (or ``{"error": ...}``). After a
deliberate change to the parser, regenerate them and review the diff before committing:

    INGEST_REGEN_GOLDENS=1 .venv/bin/python -m pytest tests/test_feeds.py -k golden
    git diff tests/data/feeds/
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.errors import FeedParseError
from ingest.feeds.parse import FeedEntry, ParsedFeed, html_to_text, parse_feed

DATA = Path(__file__).parent / "data" / "feeds"
FEED_URL = "https://news.example.com/feeds/alibaba-ai.xml"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
# Inputs that need a Content-Type header to show their case; the rest are parsed without one.
CONTENT_TYPES = {
    # The server claims Latin-1 for a UTF-16 body; the byte order mark must win.
    "utf16.xml": "application/rss+xml; charset=iso-8859-1",
}
INPUTS = sorted(p for p in DATA.iterdir() if p.suffix not in (".json", ".md"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _golden_of(path: Path) -> dict[str, Any]:
    try:
        feed = parse_feed(
            path.read_bytes(), url=FEED_URL, content_type=CONTENT_TYPES.get(path.name), now=NOW
        )
    except FeedParseError as exc:
        return {"error": str(exc)}
    return dict(_jsonable(dataclasses.asdict(feed)))


def test_enough_golden_inputs() -> None:
    """The golden set covers at least the ten required kinds of feed."""
    names = {p.name for p in INPUTS}
    assert len(names) >= 10
    assert {"rss20_content_encoded.xml", "atom10.xml", "rss10_rdf.xml", "utf16.xml"} <= names


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    """Each golden input parses to exactly the JSON stored beside it."""
    expected_path = path.with_name(path.name + ".json")
    actual = _golden_of(path)
    if os.environ.get("INGEST_REGEN_GOLDENS") == "1":
        text = json.dumps(actual, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        expected_path.write_text(text, encoding="utf-8")
        pytest.skip(f"regenerated {expected_path.name}; review with git diff")
    assert expected_path.exists(), f"no golden for {path.name}; see the module docstring"
    assert actual == json.loads(expected_path.read_text(encoding="utf-8"))


def _parse(name: str, **kwargs: Any) -> ParsedFeed:
    kwargs.setdefault("now", NOW)
    return parse_feed((DATA / name).read_bytes(), url=FEED_URL, **kwargs)


def test_rss20_content_encoded_is_plain_text_and_longest() -> None:
    """content comes from content:encoded as plain text, scripts removed, HTML kept beside it."""
    entry = _parse("rss20_content_encoded.xml").entries[0]
    assert entry.content is not None and entry.content_html is not None
    assert entry.content.startswith("HANGZHOU — Alibaba Cloud on Tuesday cut")
    assert "trackView" not in entry.content and "<p>" not in entry.content
    assert "\n\nInput tokens" in entry.content
    assert entry.summary == (
        "The cloud unit said prices for its Qwen-VL vision models fall by as much as 85%."
    )
    assert entry.tags == ("Cloud", "Alibaba", "Large language models")
    assert entry.published == datetime(2025, 1, 14, 0, 30, tzinfo=UTC)


def test_feed_ttl_from_rss_and_syndication_module() -> None:
    """<ttl> minutes and sy:updatePeriod/updateFrequency both become seconds."""
    assert _parse("rss20_content_encoded.xml").ttl == 30 * 60
    assert _parse("rss10_rdf.xml").ttl == 3600 // 2
    assert _parse("atom10.xml").ttl is None


def test_identity_guid_then_link_then_hash() -> None:
    """entry_key is the GUID, else the canonical link, else a sha256 of title and date."""
    with_guid = _parse("duplicate_guids.xml").entries[0]
    assert with_guid.entry_key == with_guid.guid == "digest-4411"
    by_link = _parse("no_guid.xml").entries[0]
    assert by_link.guid is None
    assert by_link.entry_key == "https://compute.example.io/posts/qwen25-omni"
    hashed = _parse("no_links.xml").entries[1]
    assert hashed.guid is None and hashed.link is None
    assert hashed.entry_key.startswith("sha256:") and len(hashed.entry_key) == 7 + 64


def test_rss_guid_is_not_resolved_against_feed_url() -> None:
    """A relative-looking RSS GUID stays as written, so moving the feed keeps identities."""
    a = parse_feed((DATA / "bozo_ampersand.xml").read_bytes(), url="https://a.example/f", now=NOW)
    b = parse_feed((DATA / "bozo_ampersand.xml").read_bytes(), url="https://b.example/x/", now=NOW)
    assert (
        [e.entry_key for e in a.entries] == [e.entry_key for e in b.entries] == ["mm-77", "mm-76"]
    )


def test_duplicate_guids_keep_first() -> None:
    """Of two entries with one GUID the first is kept and the order is preserved."""
    feed = _parse("duplicate_guids.xml")
    assert [e.title for e in feed.entries] == [
        "Alibaba Cloud revenue up 13% (first copy)",
        "Qwen team hires for Singapore lab",
    ]


def test_relative_and_unsafe_links() -> None:
    """Relative links resolve against the feed URL; javascript: links become None."""
    links = [e.link for e in _parse("relative_links.xml").entries]
    assert links == [
        "https://news.example.com/tech/2025/04/alibaba-qwen-coder-pricing",
        "https://news.example.com/feeds/2025/04/aliyun-seoul",
        "https://reviews.example.com/quark-ai-browser",
    ]
    unsafe = _parse("no_links.xml").entries[3]
    assert unsafe.title == "Unsafe link scheme is dropped" and unsafe.link is None


def test_future_dates_beyond_a_day_become_none() -> None:
    """A date over a day ahead of now is None; a few hours ahead is kept; garbage is None."""
    entries = _parse("future_and_bad_dates.xml").entries
    assert entries[0].published is None
    assert entries[1].published == datetime(2025, 6, 1, 18, 0, tzinfo=UTC)
    assert entries[2].published is None
    later = _parse("future_and_bad_dates.xml", now=datetime(2028, 1, 1, tzinfo=UTC))
    assert later.entries[0].published == datetime(2028, 1, 1, tzinfo=UTC)


def test_bozo_feed_still_yields_entries() -> None:
    """An unescaped ampersand flags the feed bozo with a reason, and its entries survive."""
    feed = _parse("bozo_ampersand.xml")
    assert feed.bozo and feed.bozo_reason and "not well-formed" in feed.bozo_reason
    assert feed.entries[0].title == ("Alibaba & Nvidia: what the Qwen partnership means for chips")


def test_charset_mismatches() -> None:
    """UTF-8 bytes under a Latin-1 declaration, and UTF-16 under a Latin-1 header, decode right."""
    latin = _parse("latin1_declared_utf8_sent.xml").entries[0]
    assert latin.title is not None and "Zürich" in latin.title and "通义千问" in latin.title
    utf16 = _parse("utf16.xml", content_type="application/rss+xml; charset=iso-8859-1")
    assert utf16.entries[0].title == "阿里云发布通义千问新版本，推理成本下降50%"


def test_html_content_type_on_real_feed_is_bozo_not_error() -> None:
    """A real feed served as text/html parses, flagged bozo."""
    feed = _parse("rss20_content_encoded.xml", content_type="text/html; charset=utf-8")
    assert len(feed.entries) == 3 and feed.bozo


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b"  \r\n\t ", "empty body"),
        ((DATA / "html_page.html").read_bytes(), "feed at https://news.example.com/feeds/cloud-ai"),
        (b"<html><body><p>Not found</p></body></html>", "an HTML page, not a feed"),
        ((DATA / "binary.png").read_bytes(), "PNG image"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", "gzip data"),
        (bytes(range(256)) * 4, "binary content"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "JSON"),
        ((DATA / "non_feed_sitemap.xml").read_bytes(), "root element <urlset>"),
        (b"<?xml version='1.0'?><!-- x --><svg xmlns='http://www.w3.org/2000/svg'/>", "<svg>"),
        (b"just some words", "not a feed"),
        # bytes that name a file: feedparser would open it if it were given bytes, not a stream
        (b"/etc/hostname", "not a feed"),
        (b"https://news.example.com/feed.xml", "not a feed"),
    ],
)
def test_not_a_feed_raises_with_reason(body: bytes, reason: str) -> None:
    """Bodies that are not feeds raise FeedParseError naming what they are and the URL."""
    with pytest.raises(FeedParseError) as info:
        parse_feed(body, url=FEED_URL, now=NOW)
    assert reason in str(info.value)
    assert info.value.url == FEED_URL


def _rss(items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def test_max_entries_truncates_and_flags() -> None:
    """Over max_entries the first ones are kept and truncated is set; at the cap it is not."""
    items = [f"<item><guid>g{i}</guid><title>Qwen {i}</title></item>" for i in range(50)]
    feed = parse_feed(_rss(items), url=FEED_URL, max_entries=20, now=NOW)
    assert feed.truncated and [e.guid for e in feed.entries] == [f"g{i}" for i in range(20)]
    exact = parse_feed(_rss(items), url=FEED_URL, max_entries=50, now=NOW)
    assert not exact.truncated and len(exact.entries) == 50


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - shared by design: the test reads what the server saw

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        body = b'<!ENTITY leak "LEAKED">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr logging."""


@pytest.fixture
def recorder() -> Iterator[str]:
    _Recorder.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_parser_never_fetches_or_reads_files(recorder: str, tmp_path: Path) -> None:
    """External DTDs, entities, stylesheets and images are neither fetched nor read."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = f"""<?xml version="1.0"?>
<?xml-stylesheet href="{recorder}/style.xsl" type="text/xsl"?>
<!DOCTYPE rss SYSTEM "{recorder}/rss.dtd" [
  <!ENTITY % remote SYSTEM "{recorder}/param.dtd">
  %remote;
  <!ENTITY file SYSTEM "file://{secret}">
  <!ENTITY web SYSTEM "{recorder}/entity">
]>
<rss version="2.0"><channel><title>t &file;</title>
<item><guid>x1</guid><title>Qwen &web; &leak;</title>
<description>&lt;img src="{recorder}/pixel.gif"&gt; text &file;</description></item>
</channel></rss>""".encode()
    feed = parse_feed(body, url=FEED_URL, now=NOW)
    dump = repr(feed)
    assert _Recorder.hits == []
    assert "TOP-SECRET-VALUE" not in dump and "LEAKED" not in dump
    assert feed.entries[0].guid == "x1"


def test_billion_laughs_is_not_expanded() -> None:
    """Nested entity definitions are dropped, not expanded: output stays small."""
    feed = _parse("billion_laughs.xml")
    assert feed.entries[0].title is not None and len(feed.entries[0].title) < 100
    assert "lollol" not in repr(feed)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two <b>bold</b></p>", "One\n\nTwo bold"),
        ("Line<br>break", "Line\nbreak"),
        ("<ul><li>a</li><li>b</li></ul>", "a\n\nb"),
        ("<script>x()</script><style>p{}</style>Body", "Body"),
        ("AT&amp;T &lt;3 &#8364;5", "AT&T <3 €5"),
        ("plain   text\n with  spaces", "plain text with spaces"),
        ("", ""),
        ("<div><div><p>deep</p></div></div>", "deep"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    """HTML fragments become paragraphs of plain text without markup or scripts."""
    assert html_to_text(html) == text


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
@example(b"\xff\xfe<\x00")
@example(b"<rss><channel><item><title>&#xD800;</title></item></channel></rss>")
@example(b"<rss version='2.0'><channel><ttl>99999999999999999999</ttl></channel></rss>")
@example(b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><updated>9999-99-99</updated></entry>")
@example(b"<rss><channel><item><pubDate>Mon, 01 Jan 99999 00:00:00 GMT</pubDate></item></channel>")
@example(b"<rss><channel><item><link>http://[::1</link><guid>a</guid></item></channel></rss>")
def test_arbitrary_bytes_only_raise_feed_parse_error(body: bytes) -> None:
    """No bytes at all make parse_feed raise anything but FeedParseError."""
    try:
        feed = parse_feed(body, url=FEED_URL, now=NOW)
    except FeedParseError:
        return
    assert isinstance(feed, ParsedFeed)


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


@st.composite
def _items(draw: st.DrawFn) -> str:
    parts = ["<item>"]
    if draw(st.booleans()):
        parts.append(f"<title>{escape(draw(_text))}</title>")
    if draw(st.booleans()):
        parts.append(
            f"<guid>{escape(draw(st.sampled_from(['a', 'b', 'c', ' ', draw(_text)])))}</guid>"
        )
    if draw(st.booleans()):
        link = draw(
            st.sampled_from(
                [
                    "/rel",
                    "http://x.example/p?utm_source=1",
                    "javascript:x",
                    "mailto:a@b",
                    "//h/p",
                    draw(_text),
                ]
            )
        )
        parts.append(f"<link>{escape(link)}</link>")
    if draw(st.booleans()):
        parts.append(f"<description>{escape(draw(_text))}</description>")
    if draw(st.booleans()):
        moment = draw(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1)))
        parts.append(f"<pubDate>{moment.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>")
    parts.append("</item>")
    return "".join(parts)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_items(), max_size=8), st.integers(min_value=1, max_value=10))
def test_entry_mapper_invariants(items: list[str], cap: int) -> None:
    """Mapped entries have unique keys, http(s) links, aware UTC dates not beyond the tolerance."""
    feed = parse_feed(_rss(items), url=FEED_URL, max_entries=cap, now=NOW)
    keys = [e.entry_key for e in feed.entries]
    assert len(keys) == len(set(keys)) <= cap
    for entry in feed.entries:
        assert isinstance(entry, FeedEntry) and entry.entry_key
        assert entry.link is None or entry.link.startswith(("http://", "https://"))
        for moment in (entry.published, entry.updated):
            assert moment is None or (moment.tzinfo is UTC and moment <= NOW + timedelta(days=1))
