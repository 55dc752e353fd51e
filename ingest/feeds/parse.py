"""Feed parsing: raw bytes of RSS 0.9x/1.0/2.0 or Atom in, frozen :class:`ParsedFeed` out.

feedparser does the XML work; this module is the boundary around it:

* It only ever sees bytes wrapped in :class:`io.BytesIO`. Given ``bytes`` or ``str`` feedparser
  may treat the value as a file name or URL and open or fetch it; a stream it can only read.
  External entities are not resolved (feedparser strips every ENTITY declaration that is not a
  plain string before parsing, and switches off external general entities in expat), so neither
  ``<!ENTITY x SYSTEM "file:///...">`` nor a billion-laughs expansion gets through.
* feedparser is told nothing about the feed URL, because it would resolve RSS GUIDs against it
  and an entry's identity would then change when the feed moves. Links are resolved here.
* Anything feedparser raises on hostile bytes is mapped to :class:`FeedParseError`; a body that
  parses to no feed at all (HTML, binary, JSON, another XML vocabulary, empty) is one too, with
  a reason a person can act on. A ``bozo`` feed that still yields entries is returned, flagged.
* feedparser parses every entry before a cap can apply, so the body is first cut after twice
  ``max_entries`` entries (:mod:`ingest.feeds.cut`): a 100,000-entry feed costs what a
  400-entry one does.

Dates: an entry dated more than :data:`FUTURE_TOLERANCE` after ``now`` gets ``None`` rather
than ``now``: a fabricated date would look like a real one downstream, while ``None`` says
"unknown" and lets the caller use the fetch time. Within the tolerance the date is kept as given
(time-zone slips of a few hours are common and harmless).
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import time
import xml.sax
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urljoin

import feedparser

# lxml ships no type information; its use here is two calls, checked by the tests.
from lxml import etree
from lxml import html as lxml_html

from ingest.errors import FeedParseError
from ingest.feeds.cut import cut_entries
from ingest.urls import canonicalise_url, is_http_url

__all__ = ["FUTURE_TOLERANCE", "FeedEntry", "ParsedFeed", "html_to_text", "parse_feed"]

FUTURE_TOLERANCE: Final = timedelta(days=1)

# Exceptions feedparser (and expat, sgmllib, its date parsers) have been seen to raise on
# malformed input. Mapped to FeedParseError at this boundary; MemoryError is left alone.
_PARSER_FAILURES: Final = (
    ValueError,  # includes UnicodeError
    TypeError,
    LookupError,  # KeyError, IndexError, unknown codec
    AttributeError,
    ArithmeticError,  # OverflowError in date arithmetic
    AssertionError,
    RecursionError,
    xml.sax.SAXException,
)

# RSS 1.0 syndication module (sy:updatePeriod), in seconds.
_SY_PERIODS: Final[Mapping[str, int]] = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}
_MAX_TTL: Final = 365 * 86400
_BOMS: Final = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, mapped to plain values.

    ``entry_key`` is the entry's identity within its feed: the GUID (Atom ``id``, RSS ``guid``,
    RSS 1.0 ``rdf:about``) as written, else the canonical link, else ``sha256:`` of title and date
    (of summary and content too when both are missing).
    """

    entry_key: str
    guid: str | None
    link: str | None
    title: str | None
    summary: str | None
    content: str | None
    content_html: str | None
    published: datetime | None
    updated: datetime | None
    author: str | None
    tags: tuple[str, ...]

    def __post_init__(self) -> None:
        # entries.title is stored from here: bounded and free of control characters.
        from ingest.fields import MAX_AUTHOR_CHARS, MAX_TITLE_CHARS, clean_line

        object.__setattr__(self, "title", clean_line(self.title, MAX_TITLE_CHARS))
        object.__setattr__(self, "author", clean_line(self.author, MAX_AUTHOR_CHARS))


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: channel metadata and its entries, first-seen order, GUIDs unique."""

    url: str
    version: str
    title: str | None
    link: str | None
    ttl: int | None
    entries: tuple[FeedEntry, ...]
    bozo: bool
    bozo_reason: str | None
    truncated: bool


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    max_entries: int = 500,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse ``body`` (the feed at ``url``) without any I/O.

    ``content_type`` is the HTTP ``Content-Type`` header, which may carry the charset;
    ``max_entries`` caps the entries kept (``truncated`` says when more were there); ``now`` is
    the reference for future dates (default: the current time).

    Raises :class:`FeedParseError` when ``body`` is not a feed at all.
    """
    if not body.strip():
        raise FeedParseError("empty body, not a feed", url=url)
    reference = now if now is not None else datetime.now(UTC)
    # Twice the cap: duplicate GUIDs are dropped after parsing and must not leave the poll short.
    body, cut = cut_entries(body, 2 * max_entries)
    try:
        raw = feedparser.parse(
            io.BytesIO(body),
            response_headers={"content-type": _effective_content_type(body, content_type)},
            resolve_relative_uris=False,
            sanitize_html=True,
        )
        version = str(raw.get("version") or "")
        if not version and not raw.entries:
            raise FeedParseError(sniff_non_feed(body, url), url=url)
        feed = _map_feed(raw, url=url, version=version, max_entries=max_entries, now=reference)
    except _PARSER_FAILURES as exc:
        raise FeedParseError(f"unreadable feed ({type(exc).__name__}: {exc})", url=url) from exc
    return replace(feed, truncated=True) if cut and not feed.truncated else feed


def _effective_content_type(body: bytes, content_type: str | None) -> str:
    if content_type is None:
        # No header: let the document's BOM or XML declaration decide (RFC 7303 section 3),
        # and do not flag a missing header as bozo.
        return "application/xml"
    if body.startswith(_BOMS):
        # A byte order mark is stronger evidence than a charset header (WHATWG encoding
        # sniffing); servers often send "charset=iso-8859-1" for UTF-16 feeds.
        return content_type.split(";", 1)[0].strip() or "application/xml"
    return content_type


def _map_feed(raw: Any, *, url: str, version: str, max_entries: int, now: datetime) -> ParsedFeed:
    channel = raw.feed
    bozo_exc = raw.get("bozo_exception")
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    truncated = False
    for item in raw.entries:
        entry = _map_entry(item, feed_url=url, now=now)
        if entry.entry_key in seen:
            continue  # duplicate GUID within the feed: the first one wins
        if len(entries) >= max_entries:
            truncated = True
            break
        seen.add(entry.entry_key)
        entries.append(entry)
    return ParsedFeed(
        url=url,
        version=version,
        title=_text_of(channel, "title"),
        link=_resolve(url, channel.get("link")),
        ttl=_ttl_seconds(channel),
        entries=tuple(entries),
        bozo=bool(raw.get("bozo")),
        bozo_reason=f"{type(bozo_exc).__name__}: {bozo_exc}" if bozo_exc is not None else None,
        truncated=truncated,
    )


def _map_entry(item: Any, *, feed_url: str, now: datetime) -> FeedEntry:
    guid = _clean(item.get("id"))
    link = _resolve(feed_url, item.get("link"))
    title = _text_of(item, "title")
    # RSS descriptions are HTML whatever their declared type, and feedparser copies an Atom
    # entry's content into a missing summary without its type: always strip markup here.
    summary_raw = item.get("summary")
    summary = _clean(html_to_text(summary_raw)) if isinstance(summary_raw, str) else None
    content, content_html = _best_content(item.get("content") or [])
    published_raw = _clean(item.get("published")) or _clean(item.get("updated"))
    updated = _to_utc(item.get("updated_parsed"), now)
    # RSS 1.0 (dc:date) and many Atom feeds give only an update time; it is the best
    # publication date there is.
    published = _to_utc(item.get("published_parsed"), now) or updated
    if guid is not None:
        key = guid
    elif link is not None:
        key = canonicalise_url(link)
    else:
        parts = [title or "", published_raw or ""]
        if not any(parts):
            parts += [summary or "", content or ""]
        key = "sha256:" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return FeedEntry(
        entry_key=key,
        guid=guid,
        link=link,
        title=title,
        summary=summary,
        content=content,
        content_html=content_html,
        published=published,
        updated=updated,
        author=_clean(item.get("author")),
        tags=_tags(item.get("tags") or []),
    )


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _text_of(node: Any, key: str) -> str | None:
    """Plain one-line text of a title, whose ``*_detail`` says whether it is HTML."""
    value = node.get(key)
    if not isinstance(value, str):
        return None
    detail = node.get(f"{key}_detail") or {}
    if detail.get("type") in _HTML_TYPES:
        value = html_to_text(value)
    return _clean(" ".join(value.split()))


def _best_content(contents: list[Any]) -> tuple[str | None, str | None]:
    """The longest content block as (plain text, HTML or None when it was plain text)."""
    best: tuple[str | None, str | None] = (None, None)
    best_len = -1
    for block in contents:
        value = block.get("value")
        if not isinstance(value, str):
            continue
        is_html = block.get("type") in _HTML_TYPES
        text = html_to_text(value) if is_html else value.strip()
        if len(text) > best_len:
            best_len = len(text)
            best = (text or None, value if is_html else None)
    return best


def _resolve(base: str, link: object) -> str | None:
    """Absolute http(s) URL of ``link`` against the feed URL, or None (also for javascript:)."""
    if not isinstance(link, str) or not link.strip():
        return None
    try:
        resolved = urljoin(base, link.strip())
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    return resolved if is_http_url(resolved) else None


def _to_utc(parsed: object, now: datetime) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime; None when absent or in the future."""
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        value = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None if value > now + FUTURE_TOLERANCE else value


def _ttl_seconds(channel: Any) -> int | None:
    """RSS ``<ttl>`` (minutes), else the syndication module's period / frequency."""
    ttl = _clean(channel.get("ttl"))
    if ttl is not None and ttl.isdigit():
        seconds = int(ttl) * 60
        return seconds if 0 < seconds <= _MAX_TTL else None
    period = _SY_PERIODS.get((_clean(channel.get("sy_updateperiod")) or "daily").lower())
    frequency_text = _clean(channel.get("sy_updatefrequency"))
    if period is None or (frequency_text is None and channel.get("sy_updateperiod") is None):
        return None
    frequency = int(frequency_text) if frequency_text and frequency_text.isdigit() else 1
    return period // frequency if frequency > 0 else None


def _tags(raw_tags: list[Any]) -> tuple[str, ...]:
    tags: dict[str, None] = {}
    for tag in raw_tags:
        name = _clean(tag.get("term")) or _clean(tag.get("label"))
        if name is not None:
            tags.setdefault(name, None)
    return tuple(tags)


# --- plain text from feed HTML ----------------------------------------------------------------

_BLOCK_TAGS: Final = frozenset(
    {
        *("p", "div", "li", "ul", "ol", "blockquote", "pre", "figure", "figcaption", "hr"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "dl", "dt", "dd"),
        *("section", "article", "header", "footer", "aside"),
    }
)
_DROP_TAGS: Final = ("script", "style", "noscript", "template")
_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ue000]")
_TAG_RE: Final = re.compile(r"<[^>]*>")
_BR: Final = "\ue000"  # private-use code point marking a <br>, which str.split() keeps
# no_network: an <img> or DTD must never make the parser reach out; huge_tree off keeps
# libxml2's depth and size limits against deeply nested hostile markup.
_HTML_PARSER: Final = lxml_html.HTMLParser(no_network=True, huge_tree=False, remove_comments=True)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: paragraphs separated by a blank line, spaces collapsed."""
    fragment = _CONTROL_RE.sub("", fragment)
    if "<" not in fragment and "&" not in fragment:
        return _paragraphs(fragment)
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div", parser=_HTML_PARSER)
    except (etree.ParserError, ValueError):
        return _paragraphs(_TAG_RE.sub(" ", fragment))
    for element in list(root.iter(*_DROP_TAGS)):
        element.drop_tree()
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _BLOCK_TAGS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
        elif tag == "br":
            element.tail = _BR + (element.tail or "")
    return _paragraphs("".join(root.itertext()))


def _paragraphs(text: str) -> str:
    # Newlines in HTML source are mere white space; only the markers set above are breaks.
    blocks = (" ".join(block.split()) for block in re.split(r"\n\s*\n", text))
    lines = (re.sub(rf" ?{_BR}+ ?", "\n", block).strip("\n") for block in blocks)
    return "\n\n".join(line for line in lines if line)


# --- why a body is not a feed -----------------------------------------------------------------

_MAGIC: Final[tuple[tuple[bytes, str], ...]] = (
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data (a Content-Encoding the fetcher did not undo?)"),
)
_ALTERNATE_RE: Final = re.compile(
    r"<link\b[^>]*\btype=[\"']?application/(?:rss|atom)\+xml[^>]*>", re.IGNORECASE
)
_HREF_RE: Final = re.compile(r"\bhref=[\"']?([^\"'\s>]+)", re.IGNORECASE)
_ROOT_RE: Final = re.compile(r"<([A-Za-z_][\w:.\-]*)")
_PROLOG_RE: Final = re.compile(
    r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", re.S | re.I
)


def sniff_non_feed(body: bytes, url: str) -> str:
    """Say what ``body`` is, for the error raised when it is not RSS or Atom."""
    head = body[:4096]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"{what}, not a feed"
    encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
    text = head.decode(encoding, "replace")
    if "\x00" in text or sum(ch == "\ufffd" for ch in text) > len(text) // 10:
        return "binary content, not a feed"
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        return "JSON, not RSS or Atom (JSON Feed is not supported)"
    lowered = stripped.lower()
    if lowered.startswith("<!doctype html") or "<html" in lowered or "<body" in lowered:
        alternate = _ALTERNATE_RE.search(body[:65536].decode(encoding, "replace"))
        href = _HREF_RE.search(alternate.group(0)) if alternate else None
        feed_link = _resolve(url, href.group(1)) if href else None
        if feed_link:
            return f"an HTML page, not a feed; the page names a feed at {feed_link}"
        return "an HTML page, not a feed"
    root = _ROOT_RE.search(_PROLOG_RE.sub("", stripped))
    if stripped.startswith("<") and root:
        return f"an XML document with root element <{root.group(1)}>, not RSS or Atom"
    return "no RSS or Atom elements found, not a feed"
