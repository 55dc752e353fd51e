"""Extraction: trafilatura on pages with chrome, canonical URLs, and the feed-text fallback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.config import ExtractConfig
from ingest.errors import ExtractionError
from ingest.extract.article import choose_text, extract_page
from ingest_demo.site import PLEDGE, QWEN, render_page

SETTINGS = ExtractConfig()
URL = "https://ledger.example/tech/alibaba-lifts-ai-infrastructure-pledge?utm_source=rss"


def test_extracts_body_without_chrome() -> None:
    """The article body is kept; cookie banner, navigation, related box and footer are not."""
    page = extract_page(render_page("ledger", PLEDGE, [QWEN]), url=URL)
    assert page is not None
    for paragraph in PLEDGE.paragraphs:
        assert paragraph in page.text
    for chrome in ("cookies", "Manage settings", "Related coverage", QWEN.title, "rights reserved"):
        assert chrome not in page.text
    assert page.title == PLEDGE.title and page.author == PLEDGE.author
    assert page.language == "en" and page.extraction == "page"


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("/ledger/alibaba-lifts-ai-infrastructure-pledge",
         "https://ledger.example/ledger/alibaba-lifts-ai-infrastructure-pledge"),
        ("https://www.ledger.example/", "https://ledger.example/tech/alibaba-lifts-ai-infrastructure-pledge"),
        ("https://original.example/story/1", "https://ledger.example/tech/alibaba-lifts-ai-infrastructure-pledge"),
    ],
)  # fmt: skip
def test_canonical_url_only_when_believable(declared: str, expected: str) -> None:
    """Same-site canonicals are used; a home-page or other-site canonical is ignored."""
    html = render_page("ledger", PLEDGE, []).replace(
        b'href="/ledger/alibaba-lifts-ai-infrastructure-pledge"', f'href="{declared}"'.encode()
    )
    page = extract_page(html, url=URL)
    assert page is not None and page.canonical_url == expected


def test_page_with_only_chrome_is_not_an_article() -> None:
    """A page that yields a few words of navigation is a failed extraction, not an article."""
    page = extract_page(b"<html><body><nav>Home</nav></body></html>", url=URL)
    with pytest.raises(ExtractionError, match="too short"):
        choose_text(page, url=URL, feed_text=None, feed_title=None, feed_published=None,
                    settings=SETTINGS)  # fmt: skip
    used = choose_text(page, url=URL, feed_text="Alibaba Cloud brief.", feed_title=None,
                       feed_published=None, settings=SETTINGS)  # fmt: skip
    assert used.extraction == "feed" and used.text == "Alibaba Cloud brief."


FEED_TEXT = " ".join(PLEDGE.paragraphs)
WHEN = datetime(2026, 11, 3, 6, 30, tzinfo=UTC)


def test_feed_text_used_when_page_missing_or_short() -> None:
    """No page, or a page much shorter than the feed's text, means the feed's text is stored."""
    used = choose_text(None, url=URL, feed_text=FEED_TEXT, feed_title="T", feed_published=WHEN,
                       settings=SETTINGS, page_error="page not used: http_4xx")  # fmt: skip
    assert used.extraction == "feed" and used.text == FEED_TEXT and "http_4xx" in (used.note or "")
    teaser = (
        "Alibaba Group said on Tuesday it would spend more on cloud and AI infrastructure over "
        "the next three years. Subscribers can read the full story, with the figures and what "
        "the chief executive told analysts, by signing in or starting a free trial today."
    )
    stub = extract_page(
        f"<html><body><article><p>{teaser}</p></article></body></html>".encode(), url=URL
    )
    assert stub is not None and len(stub.text) > SETTINGS.min_text_chars
    used = choose_text(stub, url=URL, feed_text=FEED_TEXT, feed_title="T", feed_published=WHEN,
                       settings=SETTINGS)  # fmt: skip
    assert used.extraction == "feed" and "much shorter" in (used.note or "")


def test_page_preferred_and_feed_time_kept() -> None:
    """A full page wins over a short feed summary, with the feed's timestamp."""
    page = extract_page(render_page("ledger", PLEDGE, []), url=URL)
    used = choose_text(page, url=URL, feed_text=PLEDGE.summary, feed_title=None,
                       feed_published=WHEN, settings=SETTINGS)  # fmt: skip
    assert used.extraction == "page" and used.published == WHEN


def test_nothing_at_all_is_an_error() -> None:
    """No page and no feed text is an ExtractionError saying why."""
    with pytest.raises(ExtractionError, match="no text either"):
        choose_text(None, url=URL, feed_text="", feed_title=None, feed_published=None,
                    settings=SETTINGS, page_error="page not used: timeout")  # fmt: skip


def test_malformed_canonical_is_ignored() -> None:
    """A canonical link that is not a valid URL (a stranger's page) falls back to the page URL."""
    html = render_page("ledger", PLEDGE, []).replace(
        b'href="/ledger/alibaba-lifts-ai-infrastructure-pledge"', b'href="http://[x/"'
    )
    page = extract_page(html, url=URL)
    assert page is not None
    assert (
        page.canonical_url == "https://ledger.example/tech/alibaba-lifts-ai-infrastructure-pledge"
    )
