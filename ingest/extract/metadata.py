"""Title, author and publication date from the page head: the cheap, declared kind.

trafilatura's own metadata pass (``with_metadata=True``) costs about as much as the article
extraction itself on the Zyte pages: it runs htmldate's text heuristics, guesses authors from
the body and collects categories and tags we never store. What the product needs is what the
publisher declares (Open Graph, ``<meta>`` tags, schema.org JSON-LD, ``<time>``), and the feed
entry usually carries the title and timestamp anyway
(:func:`ingest.extract.article.choose_text` prefers the feed's time). Reading those
declarations from the already parsed tree costs well under a millisecond.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

# In order of preference: the first one present wins.
_TITLE_KEYS = ("og:title", "twitter:title", "dc.title", "title")
_AUTHOR_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
                "byl", "twitter:creator")  # fmt: skip
_DATE_KEYS = (
    "article:published_time", "og:published_time", "datepublished", "date", "pubdate",
    "publishdate", "dc.date.issued", "dc.date", "dcterms.created", "sailthru.date",
    "parsely-pub-date", "article.published", "published_time",
)  # fmt: skip
_ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
     "opinionnewsarticle", "webpage", "report", "techarticle", "scholarlyarticle"}
)  # fmt: skip
_MAX_JSON_LD = 200_000  # characters; a script larger than this is a data dump, not metadata


@dataclass(frozen=True, slots=True)
class PageMetadata:
    title: str | None
    author: str | None
    date: str | None  # as declared; ISO 8601 in practice, parsed by the caller


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def _meta_tags(tree: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        value = _clean(meta.get("content") or meta.get("datetime"))
        if key and value and key not in found:
            found[key] = value
    return found


def _json_ld_objects(tree: etree._Element) -> Iterator[dict[str, Any]]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = script.text or ""
        if len(raw) > _MAX_JSON_LD:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue  # publishers ship broken JSON-LD often; the other sources still apply
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(reversed(item["@graph"]))


def _is_article(obj: dict[str, Any]) -> bool:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds)


def _person(value: object) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_person(v) for v in value) if n]
        return ", ".join(names) or None
    if isinstance(value, dict):
        return _clean(value.get("name"))
    return _clean(value)


def _title_element(tree: etree._Element) -> str | None:
    for element in tree.iter("title"):
        return _clean("".join(element.itertext()))
    return None


def _time_element(tree: etree._Element) -> str | None:
    for element in tree.iter("time"):
        value = _clean(element.get("datetime"))
        if value:
            return value
    return None


def read_metadata(tree: etree._Element) -> PageMetadata:
    """What the page declares about itself; None for what it does not declare."""
    meta = _meta_tags(tree)
    article = next((o for o in _json_ld_objects(tree) if _is_article(o)), {})
    title = next((meta[k] for k in _TITLE_KEYS if k in meta), None)
    title = title or _clean(article.get("headline")) or _title_element(tree)
    author = _person(article.get("author")) or next(
        (meta[k] for k in _AUTHOR_KEYS if k in meta and "://" not in meta[k]), None
    )
    date = _clean(article.get("datePublished")) or next(
        (meta[k] for k in _DATE_KEYS if k in meta), None
    )
    return PageMetadata(title=title, author=author, date=date or _time_element(tree))
