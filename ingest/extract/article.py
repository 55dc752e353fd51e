"""Article extraction: page HTML -> text and metadata, with the feed's own text as fallback.

Pure apart from the CPU it burns (callers run it in a worker thread). trafilatura does the
heavy lifting; this module decides what to trust when page and feed disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from ingest.errors import ExtractionError
from ingest.models import ExtractedArticle
from ingest.settings_schema import Number, setting
from ingest.urls import canonicalise_url, is_http_url

_HTML_LANG = re.compile(rb"<html[^>]*\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I)
_BLANK_LINES = re.compile(r"\n{3,}")
# <link rel="canonical" href="..."> and <meta property="og:url" content="...">, attributes in
# any order; only the document head is searched.
_LINK_TAG = re.compile(rb"<link\b[^>]*>", re.I)
_META_TAG = re.compile(rb"<meta\b[^>]*>", re.I)
_HEAD_END = re.compile(rb"</head\s*>", re.I)
_ATTR = re.compile(rb"""([a-zA-Z:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


@dataclass(frozen=True, slots=True)
class ExtractConfig:
    """The ``[extract]`` table: when the page's text is trusted over the feed's."""

    # Below this share of the feed's own text, the page extraction is taken to have failed.
    min_page_to_feed_ratio: float = setting(0.6, Number())
    min_text_chars: int = 200


def _attributes(tag: bytes) -> dict[str, str]:
    return {
        m.group(1).decode("ascii", "replace").lower(): (
            m.group(2) or m.group(3) or m.group(4) or b""
        )
        .decode("utf-8", "replace")
        .strip()
        for m in _ATTR.finditer(tag)
    }


def declared_canonical(html: bytes) -> str | None:
    """The page's own claim of its URL: rel=canonical, else og:url (head only)."""
    end = _HEAD_END.search(html)
    head = html[: end.start() if end else 65536]
    for tag in _LINK_TAG.findall(head):
        attrs = _attributes(tag)
        if "canonical" in attrs.get("rel", "").lower().split() and attrs.get("href"):
            return attrs["href"]
    for tag in _META_TAG.findall(head):
        attrs = _attributes(tag)
        if attrs.get("property", attrs.get("name", "")).lower() == "og:url" and attrs.get(
            "content"
        ):
            return attrs["content"]
    return None


def _language(html: bytes, found: str | None) -> str | None:
    if found:
        return found.lower()
    m = _HTML_LANG.search(html[:4096])
    return m.group(1).decode("ascii").lower() if m else None


def _published(date_text: str | None) -> datetime | None:
    if not date_text:
        return None
    try:
        moment = datetime.fromisoformat(date_text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _canonical(page_url: str, declared: str | None) -> str:
    """The page's rel=canonical / og:url when it is believable, else the page URL.

    Only a same-site claim with a real path is believed. Some sites declare their home page as
    canonical for every article, and a syndicating site may point at the original outlet:
    trusting either would fold different articles, or another outlet's copy, into one URL.
    Syndicated copies are recognised by their text instead (the dedup stage).
    """
    if declared:
        try:
            absolute = urljoin(page_url, declared.strip())
            if is_http_url(absolute):
                page, claim = urlsplit(page_url), urlsplit(absolute)
                page_host = (page.hostname or "").removeprefix("www.")
                claim_host = (claim.hostname or "").removeprefix("www.")
                if claim_host and claim_host == page_host and claim.path.strip("/"):
                    return canonicalise_url(absolute)
        except ValueError:
            pass  # a malformed claim ("http://[x/") is no claim: the page URL stands
    return canonicalise_url(page_url)


def clean_text(text: str) -> str:
    return _BLANK_LINES.sub("\n\n", text.replace("\r\n", "\n")).strip()


def extract_page(html: bytes, *, url: str) -> ExtractedArticle | None:
    """Run trafilatura on one page, then the product's boilerplate rules; None when no text."""
    from ingest.extract.page import extract_body  # heavy (trafilatura): imported on first use

    try:
        found = extract_body(html, url=url)
    except (ValueError, TypeError, RecursionError, LookupError) as exc:
        raise ExtractionError(f"trafilatura failed on {url}: {exc}") from exc
    if found is None or not found.text.strip():
        return None
    return ExtractedArticle(
        url=url,
        canonical_url=_canonical(url, declared_canonical(html)),
        title=found.title,
        author=found.author,
        published=_published(found.date),
        language=_language(html, found.language),
        text=clean_text(found.text),
        extraction="page",
        raw_html=html,
    )


def choose_text(
    page: ExtractedArticle | None,
    *,
    url: str,
    feed_text: str | None,
    feed_title: str | None,
    feed_published: datetime | None,
    settings: ExtractConfig,
    page_error: str | None = None,
) -> ExtractedArticle:
    """Pick the page extraction or the feed's text, and say why when it is the feed.

    The feed text wins when the page could not be fetched, yielded nothing, or is much shorter
    than what the feed itself carries (a paywall stub, a consent wall, a failed extraction).
    """
    feed_text = clean_text(feed_text or "")
    if page is not None and len(page.text) < settings.min_text_chars:
        # A few words of navigation or a "please enable JavaScript" line is not an article.
        note = f"page text too short ({len(page.text)} chars): extraction failed"
    elif page is not None:
        short = len(page.text) < settings.min_page_to_feed_ratio * len(feed_text)
        if not short:
            return _with_feed_metadata(page, feed_title, feed_published)
        note = f"page text ({len(page.text)} chars) much shorter than the feed's ({len(feed_text)})"
    else:
        note = page_error or "no article text found on the page"
    if not feed_text:
        raise ExtractionError(f"{note}; the feed entry has no text either ({url})")
    return ExtractedArticle(
        url=url,
        canonical_url=page.canonical_url if page else canonicalise_url(url),
        title=feed_title or (page.title if page else None),
        author=page.author if page else None,
        published=feed_published or (page.published if page else None),
        language=page.language if page else None,
        text=feed_text,
        extraction="feed",
        raw_html=page.raw_html if page else None,
        note=note,
    )


def _with_feed_metadata(
    page: ExtractedArticle, feed_title: str | None, feed_published: datetime | None
) -> ExtractedArticle:
    # The feed's timestamp has a time of day and zone; trafilatura's is often a bare date.
    return replace(
        page,
        title=page.title or feed_title,
        published=feed_published or page.published,
    )
