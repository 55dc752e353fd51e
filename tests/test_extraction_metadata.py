"""Declared page metadata: Open Graph and <meta> tags, JSON-LD, <title> and <time>."""

from __future__ import annotations

import lxml.html

from ingest.extract.metadata import read_metadata


def meta_of(head: str, body: str = "") -> tuple[str | None, str | None, str | None]:
    found = read_metadata(lxml.html.fromstring(f"<html><head>{head}</head><body>{body}</body>"))
    return found.title, found.author, found.date


def test_open_graph_and_meta_tags() -> None:
    """og:title beats <title>; author and article:published_time come from meta tags."""
    head = ('<title>Qwen price cut | Harbour Ledger</title><meta property="og:title" '
            'content="Qwen price cut"><meta name="author" content="Mei Lin">'
            '<meta property="article:published_time" content="2026-11-03T06:30:00Z">')  # fmt: skip
    assert meta_of(head) == ("Qwen price cut", "Mei Lin", "2026-11-03T06:30:00Z")


def test_json_ld_article_in_a_graph() -> None:
    """A NewsArticle inside @graph gives headline, authors and datePublished."""
    head = """<script type="application/ld+json">{"@graph": [{"@type": "WebSite"},
      {"@type": ["NewsArticle"], "headline": "Cloud revenue up 26%",
       "author": [{"@type": "Person", "name": "A. Chen"}, {"name": "B. Wu"}],
       "datePublished": "2026-11-04T08:00:00+08:00"}]}</script>"""
    assert meta_of(head) == ("Cloud revenue up 26%", "A. Chen, B. Wu", "2026-11-04T08:00:00+08:00")


def test_broken_json_ld_and_fallbacks() -> None:
    """Broken JSON-LD is ignored; <title> and <time datetime> are the fallbacks."""
    head = '<script type="application/ld+json">{"@type": "NewsArticle",</script><title>T</title>'
    body = '<time datetime="2026-11-05">5 Nov</time>'
    assert meta_of(head, body) == ("T", None, "2026-11-05")


def test_author_url_not_taken_for_a_name() -> None:
    """article:author often holds a profile URL; that is not an author name."""
    head = '<meta property="article:author" content="https://social.example/mei">'
    assert meta_of(head) == (None, None, None)
