"""OPML import: the subscription lists that every feed reader exports.

An OPML file is a tree of ``<outline>`` elements. Outlines with an ``xmlUrl`` are feeds; the
outlines around them are folders, whose titles become the feed's tags (Feedly and Miniflux
export categories this way), as do the comma-separated ``category`` attribute's entries of OPML
2.0 (``/Tech/AI`` gives both "Tech" and "AI").

The file comes from a person, not from the network, but is parsed as if hostile anyway: lxml
with entity resolution, DTD loading and network access off and libxml2's size and depth limits
on (``huge_tree=False``). A file that cannot be read as OPML raises :class:`OpmlError` naming
the file. A bad feed outline (an ``xmlUrl`` that is not http(s)) spoils only itself:
:func:`read_opml` returns the good feeds and, apart, one :class:`OpmlError` per bad outline,
naming its line, position and title, so ``ingest sources import`` adds the good ones and lists
the rest (a feed reader's export with one odd entry is still worth importing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

# lxml ships no type information; the calls used here are covered by the tests.
from lxml import etree

from ingest.errors import OpmlError
from ingest.urls import canonicalise_url, is_http_url

__all__ = ["OpmlSource", "parse_opml", "read_opml"]

# title, feed URL, site URL, tags (a dict as an ordered set)
_Found = tuple[str, str, str | None, dict[str, None]]
_FEED_SCHEME_RE: Final = re.compile(r"^feed:(?://)?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class OpmlSource:
    """One feed of an OPML file: a unique name, the feed URL, the site URL and folder tags."""

    name: str
    url: str
    html_url: str | None
    tags: tuple[str, ...]


def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _attr(element: Any, name: str) -> str | None:
    """An attribute by case-insensitive name (some exporters write ``xmlurl``), stripped."""
    for key, value in element.attrib.items():
        if isinstance(key, str) and key.lower() == name.lower():
            cleaned = " ".join(str(value).split())
            return cleaned or None
    return None


def _feed_url(raw: str) -> str:
    """``feed://host/x`` and ``feed:https://host/x`` (old browser schemes) as http(s) URLs."""
    if _FEED_SCHEME_RE.match(raw):
        rest = _FEED_SCHEME_RE.sub("", raw)
        return rest if rest.lower().startswith(("http://", "https://")) else "http://" + rest
    return raw


def _walk(
    element: Any, folders: tuple[str, ...], path: str
) -> Iterator[tuple[Any, tuple[str, ...], str]]:
    index = 0
    for child in element:
        if not isinstance(child.tag, str) or etree.QName(child).localname != "outline":
            continue
        index += 1
        child_path = f"{path}/{index}" if path else str(index)
        yield child, folders, child_path
        if _attr(child, "xmlUrl") is None:
            folder = _attr(child, "title") or _attr(child, "text")
            yield from _walk(child, (*folders, folder) if folder else folders, child_path)


def _categories(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    parts = (part.strip() for item in value.split(",") for part in item.split("/"))
    return tuple(part for part in parts if part)


def parse_opml(data: bytes, *, file: str) -> list[OpmlSource]:
    """The feeds listed in the OPML document ``data`` (read from ``file``, named in errors).

    Feeds listed twice (by canonical URL) are returned once with the tags of both places;
    names are made unique by adding the feed's host. Raises :class:`OpmlError`, for a bad
    outline too (:func:`read_opml` keeps the good feeds of such a file).
    """
    sources, problems = read_opml(data, file=file)
    if problems:
        raise problems[0]
    return sources


def read_opml(data: bytes, *, file: str) -> tuple[list[OpmlSource], list[OpmlError]]:
    """The good feeds of ``data`` and one error per bad feed outline (with its line).

    Raises :class:`OpmlError` when the file as a whole is not OPML, or lists no feed at all.
    """
    if not data.strip():
        raise OpmlError("the file is empty", file=file)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not well-formed XML ({exc})", file=file) from exc
    except ValueError as exc:  # e.g. a document lxml refuses before parsing
        raise OpmlError(f"not readable as XML ({exc})", file=file) from exc
    if root is None or not isinstance(root.tag, str):
        raise OpmlError("no root element", file=file)
    if etree.QName(root).localname.lower() != "opml":
        raise OpmlError(
            f"the root element is <{etree.QName(root).localname}>, not <opml>", file=file
        )
    body = next(
        (c for c in root if isinstance(c.tag, str) and etree.QName(c).localname == "body"), None
    )
    if body is None:
        raise OpmlError("no <body> element", file=file)

    found: dict[str, _Found] = {}
    problems: list[OpmlError] = []
    for outline, folders, path in _walk(body, (), ""):
        raw_url = _attr(outline, "xmlUrl")
        if raw_url is None:
            continue
        title = _attr(outline, "title") or _attr(outline, "text")
        line = f"line {outline.sourceline}: " if outline.sourceline else ""
        where = f"{line}outline {path}" + (f" ({title!r})" if title else "")
        url = _feed_url(raw_url)
        if not is_http_url(url):
            problems.append(
                OpmlError(f"xmlUrl {raw_url!r} is not an http(s) URL", file=file, key=where)
            )
            continue
        html_url = _attr(outline, "htmlUrl")
        if html_url is not None and not is_http_url(html_url):
            html_url = None  # only informative; a bad one is dropped rather than refused
        tags = dict.fromkeys((*folders, *_categories(_attr(outline, "category"))))
        key = canonicalise_url(url)
        if key in found:
            found[key][3].update(tags)
            continue
        found[key] = (title or "", url, html_url, tags)
    if not found and not problems:
        raise OpmlError("no feeds found (no outline has an xmlUrl)", file=file)
    return _with_unique_names(found.values()), problems


def _with_unique_names(items: Iterable[_Found]) -> list[OpmlSource]:
    sources: list[OpmlSource] = []
    used: set[str] = set()
    for title, url, html_url, tags in items:
        host = canonicalise_url(url).split("/")[2]
        name = title or host
        if name.casefold() in used:
            name = f"{name} ({host})"
        candidate, n = name, 2
        while candidate.casefold() in used:
            candidate, n = f"{name} {n}", n + 1
        used.add(candidate.casefold())
        sources.append(OpmlSource(name=candidate, url=url, html_url=html_url, tags=tuple(tags)))
    return sources
