"""trafilatura, run the way the product needs it: fast first, the full cascade only when needed.

trafilatura's default mode runs its own extractor and then two fallbacks (readability and
jusText) and keeps whichever text it judges best. On the Zyte benchmark that cascade costs half
the extraction time and, on balance, picks worse text (a listing page's whole river of stories
over the one article). So the fast mode runs first, and the cascade only when the fast result
looks like a menu (many lines of one or two words, as when a site's navigation is the only
dense text trafilatura finds) or is short (under ``SHORT_CHARS``) while the page's paragraphs
hold at least twice as much text. On trafilatura's own evaluation set, held out from the rules,
fast mode alone recalled 0.013 less than the cascade, mostly on pages where it found a
paragraph or two of a longer article; the cascade's text is then used when it is longer
(docs/benchmarks.md has both sets).

The page's link texts are collected from the same parsed tree before extraction (trafilatura
strips links from its output); :mod:`ingest.extract.boilerplate` needs them.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ingest.extract.boilerplate import PageHints, link_texts, strip_boilerplate
from ingest.extract.metadata import read_metadata

# A result is menu-like when at least this many of its lines are...
_MENU_MIN_LINES = 30
# ...and this share of them have at most _MENU_LINE_WORDS words.
_MENU_SHORT_SHARE = 0.6
_MENU_LINE_WORDS = 3
_ANCHORS = etree.XPath("//a")
_PARAGRAPHS = etree.XPath("//p")
# ...and the page's <p> elements hold at least this many times its length.
_MORE_TEXT = 2.0
# A fast result shorter than this (a paragraph or two) is checked against the full cascade.
SHORT_CHARS = 1000


@dataclass(frozen=True, slots=True)
class BodyText:
    """The article text after boilerplate handling, with trafilatura's metadata."""

    text: str
    title: str | None
    author: str | None
    date: str | None
    language: str | None
    mode: str  # "fast" or "full": which trafilatura mode produced the text


def looks_like_menu(text: str) -> bool:
    """Many short lines: navigation, not prose."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < _MENU_MIN_LINES:
        return False
    short = sum(1 for line in lines if len(line.split()) <= _MENU_LINE_WORDS)
    return short >= _MENU_SHORT_SHARE * len(lines)


def paragraph_chars(tree: etree._Element) -> int:
    """How much text the page's ``<p>`` elements hold (whitespace collapsed)."""
    return sum(
        len(" ".join(etree.tostring(p, method="text", encoding="unicode", with_tail=False).split()))
        for p in _PARAGRAPHS(tree)
    )


def _run(tree: etree._Element, url: str, *, fast: bool) -> object | None:
    import trafilatura

    # trafilatura copies a tree it is handed, so ``tree`` stays intact for a second run.
    return trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        # Metadata comes from read_metadata: trafilatura's pass costs as much as extraction.
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        # Its duplicate check keeps state across calls (an LRU of paragraphs seen before):
        # a second article of the same site would lose its shared paragraphs.
        deduplicate=False,
    )


def _text(doc: object | None) -> str:
    text = getattr(doc, "text", None)
    return text if isinstance(text, str) else ""


def extract_body(html: bytes, *, url: str, mode: str = "auto") -> BodyText | None:
    """The page's article text and metadata, or None when trafilatura finds no article.

    ``mode``: ``auto`` (the product's choice, see the module docstring), ``fast`` (fast mode
    only) or ``full`` (the full cascade only); the last two are for the benchmarks.
    """
    from trafilatura.utils import load_html
    from trafilatura.xml import xmltotxt

    tree = load_html(html)
    if tree is None:
        return None
    # One compiled XPath and lxml's own text serialiser: a third of the cost of itertext()
    # per anchor (same texts on the 1,171 benchmark pages).
    links = link_texts(
        etree.tostring(a, method="text", encoding="unicode", with_tail=False)
        for a in _ANCHORS(tree)
    )
    declared = read_metadata(tree)
    used = "full" if mode == "full" else "fast"
    doc = _run(tree, url, fast=used == "fast")
    fast_text = _text(doc).strip()
    if mode == "auto" and (not fast_text or looks_like_menu(fast_text)):
        full = _run(tree, url, fast=False)
        if _text(full).strip():
            doc, used = full, "full"
    elif (
        mode == "auto"
        and len(fast_text) < SHORT_CHARS
        and paragraph_chars(tree) >= _MORE_TEXT * len(fast_text)
    ):
        # A short fast result on a page whose paragraphs hold much more text is where the fast
        # extractor most often missed the article (docs/benchmarks.md, held-out set): the
        # cascade's text wins when it is longer.
        full = _run(tree, url, fast=False)
        if len(_text(full).strip()) > len(fast_text):
            doc, used = full, "full"
    if doc is None:
        return None
    title = declared.title
    body = getattr(doc, "body", None)
    text = _text(doc)
    if isinstance(body, etree._Element):
        strip_boilerplate(body, PageHints(title=title, link_texts=links))
        text = xmltotxt(body, False)
    return BodyText(
        text=text,
        title=title,
        author=declared.author,
        date=declared.date,
        language=None,  # the caller reads <html lang>; trafilatura only guesses it with py3langid
        mode=used,
    )
