"""The product's own boilerplate handling, applied to trafilatura's extracted body tree.

trafilatura finds the article's container well; what it keeps inside that container is where it
loses precision: the headline and standfirst repeated above the text, "Read more: <link>" teasers,
newsletter boxes, and the related-stories lists and widgets that trail the last paragraph. Those
have shapes the page itself gives away (its own title in the metadata, text that is nothing but
the label of a link elsewhere on the page), so each rule here is a shape, never a site.

Works on trafilatura's XML body (``p``, ``head``, ``list``/``item``, ``table``/``row``/``cell``,
``quote``...). The functions mutate the tree they are given: the caller passes its own copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

_WORD = re.compile(r"\w+")

# A promotional label at the start of a short block: "Read more: ...", "Related: ...", "DON'T
# MISS", "Subscribe to ...". Only labels that never open a sentence of reporting; "Copyright" and
# "Click here" alone are left alone because wire copy and app reviews keep them in the story.
_PROMO = re.compile(
    r"^\W*(read more|read also|also read|related( coverage| articles| stories| posts?)?\s*:"
    r"|see more\s*:|see also|more\s*:|don'?t miss|also on |you may also like|you might also like"
    r"|popular on|most read|most popular|explore further|follow us|like this story"
    r"|get the latest|filed under|tags\s*:?$|\d* ?comments?$|subscribe\b|sign up\b"
    r"|click here to (subscribe|sign up))",
    re.I,
)
# A newsletter box names itself in a line or two; a story about a newsletter runs longer.
_NEWSLETTER = re.compile(r"\bnewsletters?\b", re.I)
_MAX_NEWSLETTER_WORDS = 15
# The label in front of a teaser link: what is left after it is compared with the page's links.
_LINK_LABEL = re.compile(
    r"^\W*(read more|read also|also read|related|see more|see also|more|also on \S+|watch|listen)"
    r"\s*[:|-]\s*",
    re.I,
)
# Blocks longer than this are prose, whatever words they start with.
_MAX_PROMO_WORDS = 30
# A trailing or labelled link longer than this is a sentence that happens to be linked.
_MAX_LINK_WORDS = 40
_TITLE_SHARE = 0.6
_LEADING_BLOCKS = 4


@dataclass(frozen=True, slots=True)
class PageHints:
    """What the page says about itself, besides the article container trafilatura picked.

    ``title``: the page's title from its metadata. ``link_texts``: the normalised text of every
    link on the page (:func:`normalise`), collected before trafilatura strips the links.
    """

    title: str | None
    link_texts: frozenset[str]


def normalise(text: str) -> str:
    """Lower-cased words joined by single spaces: the form in which block and link text match."""
    return " ".join(_WORD.findall(text.lower()))


def link_texts(anchors: Iterable[str]) -> frozenset[str]:
    """The set of normalised, non-empty link texts."""
    return frozenset(n for n in (normalise(a) for a in anchors) if n)


def block_text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def is_title(text: str, title: str | None) -> bool:
    """The block repeats the page title (allowing for a " | Site name" suffix or a kicker)."""
    block, page = normalise(text), normalise(title or "")
    if not block or not page:
        return False
    short, long = (block, page) if len(block) <= len(page) else (page, block)
    return short in long and len(short) >= _TITLE_SHARE * len(long)


def is_promo(text: str) -> bool:
    """A short block that is a newsletter box, a "Read more"/"Related" teaser or a widget label."""
    words = len(_WORD.findall(text))
    if words <= _MAX_NEWSLETTER_WORDS and _NEWSLETTER.search(text):
        return True
    return words <= _MAX_PROMO_WORDS and _PROMO.search(text) is not None


def is_link_only(text: str, links: frozenset[str]) -> bool:
    """The block is nothing but the label of a link on the page, possibly after "Read more:"."""
    whole = normalise(text)
    if not whole:
        return True
    rest = normalise(_LINK_LABEL.sub("", text))
    return whole in links or (rest != whole and rest in links)


def is_labelled_link(text: str, links: frozenset[str]) -> bool:
    """ "Read more: <headline of another story>", where the headline is a link on the page."""
    whole = normalise(text)
    rest = normalise(_LINK_LABEL.sub("", text))
    return bool(rest) and rest != whole and rest in links


def _blocks(body: etree._Element, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    yield from list(body.iter(*tags))


def _remove(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is not None:
        # lxml keeps an element's tail with it; keep the text that followed in the document.
        if element.tail and element.tail.strip():
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + element.tail
            else:
                parent.text = (parent.text or "") + element.tail
        parent.remove(element)


def drop_title_and_standfirst(body: etree._Element, title: str | None) -> None:
    """Remove the headline repeated at the top, and the heading right after it (the standfirst).

    Only when the first text block matches the page title: a page that opens with a heading of
    its own (a list of deals, a table of results) keeps it.
    """
    found_title = False
    for element in list(body)[:_LEADING_BLOCKS]:
        text = block_text(element)
        if not text:
            continue
        if not found_title and is_title(text, title):
            _remove(element)
            found_title = True
            continue
        if found_title and element.tag == "head":
            _remove(element)
        break


def drop_promos(body: etree._Element) -> None:
    for element in _blocks(body, ("p", "head", "item")):
        if is_promo(block_text(element)):
            _remove(element)


def drop_link_lists(body: etree._Element, links: frozenset[str]) -> None:
    """Remove lists whose every item is just a link: related stories, "more from" widgets."""
    for element in _blocks(body, ("list",)):
        items = element.findall("item")
        if len(items) >= 2 and all(is_link_only(block_text(i), links) for i in items):
            _remove(element)


def drop_labelled_links(body: etree._Element, links: frozenset[str]) -> None:
    for element in _blocks(body, ("p", "head", "item")):
        text = block_text(element)
        if len(_WORD.findall(text)) <= _MAX_LINK_WORDS and is_labelled_link(text, links):
            _remove(element)


def _is_tail_junk(element: etree._Element, links: frozenset[str]) -> bool:
    text = block_text(element)
    if not text or element.tag == "head":
        # A heading with nothing after it heads nothing: a widget title ("Most read").
        return True
    if element.tag == "list":
        return all(is_link_only(block_text(i), links) for i in element.findall("item"))
    if element.tag == "p":
        short = len(_WORD.findall(text)) <= _MAX_LINK_WORDS
        return is_promo(text) or (short and is_link_only(text, links))
    return False


def trim_tail(body: etree._Element, links: frozenset[str]) -> None:
    """Remove what trails the last paragraph of prose: headings, link lists, teasers."""
    for element in reversed(list(body)):
        if not _is_tail_junk(element, links):
            break
        _remove(element)


def strip_boilerplate(body: etree._Element, hints: PageHints) -> None:
    """Apply every rule to ``body`` (in place), in the order that keeps each rule simple."""
    drop_title_and_standfirst(body, hints.title)
    drop_promos(body)
    drop_link_lists(body, hints.link_texts)
    drop_labelled_links(body, hints.link_texts)
    trim_tail(body, hints.link_texts)
