"""Backfill: local ``.html``, ``.txt`` and JSON Lines files through the same path as feed articles.

Each file (or JSON line) becomes an :class:`ExtractedArticle` and goes through the topic filter
and :func:`ingest.dedup.corpus.save_article`, so duplicates and revisions are recognised
exactly as for polled articles, and importing the same files twice adds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from ingest.errors import ExtractionError, IngestError
from ingest.extract.article import clean_text, extract_page
from ingest.models import ExtractedArticle
from ingest.urls import canonicalise_url, is_http_url

SUFFIXES = (".html", ".htm", ".txt", ".jsonl", ".ndjson")


class ImportError_(IngestError):
    """A file or line that cannot be imported; carries where."""


@dataclass(frozen=True, slots=True)
class ImportItem:
    """One document to import, or the reason it cannot be."""

    where: str  # file, or file:line
    article: ExtractedArticle | None
    error: str | None = None
    # When the document was originally retrieved (JSON Lines "fetched_at", e.g. an archive's
    # crawl time); dates an undated document instead of the import's own clock.
    fetched_at: datetime | None = None


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files named, and the importable files under directories named, in a stable order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES))
        else:
            out.append(path)
    return out


def _file_url(path: Path) -> str:
    return path.resolve().as_uri()


def _parse_published(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _from_text(
    text: str, *, url: str, title: str | None, published: datetime | None
) -> ExtractedArticle:
    text = clean_text(text)
    if not text:
        raise ExtractionError("empty text")
    if title is None:
        first, _, _ = text.partition("\n")
        title = first[:200] if len(first) < 200 else None
    return ExtractedArticle(
        url=url,
        canonical_url=canonicalise_url(url),
        title=title,
        author=None,
        published=published,
        language=None,
        text=text,
        extraction="feed",
        note="imported text",
    )


def _from_html(
    html: bytes, *, url: str, title: str | None, published: datetime | None
) -> ExtractedArticle:
    page = extract_page(html, url=url)
    if page is None:
        raise ExtractionError("no article text found in the HTML")
    return replace(
        page,
        title=title or page.title,
        published=published or page.published,
        extraction="page",
    )


def _json_item(line: str, where: str) -> ImportItem:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return ImportItem(where, None, f"invalid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(obj, dict):
        return ImportItem(where, None, "expected a JSON object")
    url = obj.get("url")
    if not isinstance(url, str) or not is_http_url(url):
        return ImportItem(where, None, "missing or non-http 'url'")
    title = obj.get("title") if isinstance(obj.get("title"), str) else None
    published = _parse_published(obj.get("published"))
    try:
        if isinstance(obj.get("html"), str) and obj["html"].strip():
            article = _from_html(
                obj["html"].encode("utf-8"), url=url, title=title, published=published
            )
        elif isinstance(obj.get("text"), str):
            article = _from_text(obj["text"], url=url, title=title, published=published)
        else:
            return ImportItem(where, None, "needs 'text' or 'html'")
    except (ExtractionError, ValueError) as exc:
        return ImportItem(where, None, str(exc))
    if published is not None:
        article = replace(article, published_source="import")
    return ImportItem(where, article, fetched_at=_parse_published(obj.get("fetched_at")))


# A line or file is capped as a fetched page is: [http] max_decoded_bytes (40 MiB by default).
DEFAULT_MAX_BYTES = 40 * 1024 * 1024
_SKIP_CHUNK = 1 << 20


def _json_lines(path: Path, where: str, max_bytes: int) -> Iterator[ImportItem]:
    """The file's lines, read one at a time: memory is one line (at most ``max_bytes``), not
    the file. A longer line is skipped, read through in 1 MiB chunks, and reported."""
    with path.open("rb") as stream:
        number = 0
        while True:
            line = stream.readline(max_bytes + 1)
            if not line:
                return
            number += 1
            if len(line) > max_bytes and not line.endswith(b"\n"):
                while (rest := stream.readline(_SKIP_CHUNK)) and not rest.endswith(b"\n"):
                    pass
                yield ImportItem(
                    f"{where}:{number}",
                    None,
                    f"line longer than {max_bytes:,} bytes ([http] max_decoded_bytes): skipped",
                )
                continue
            text = line.decode("utf-8", errors="replace")
            if text.strip():
                yield _json_item(text, f"{where}:{number}")


def read_items(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[ImportItem]:
    """The documents in one file; a bad file or line yields an item with its error."""
    where = str(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            yield from _json_lines(path, where, max_bytes)
            return
        size = path.stat().st_size
        if size > max_bytes:
            yield ImportItem(
                where, None, f"{size:,} bytes, more than {max_bytes:,} ([http] max_decoded_bytes)"
            )
            return
        data = path.read_bytes()
    except OSError as exc:
        yield ImportItem(where, None, f"cannot read: {exc.strerror}")
        return
    url = _file_url(path)
    try:
        if suffix in (".html", ".htm"):
            yield ImportItem(where, _from_html(data, url=url, title=None, published=None))
        elif suffix == ".txt":
            text = data.decode("utf-8", errors="replace")
            yield ImportItem(where, _from_text(text, url=url, title=None, published=None))
        else:
            yield ImportItem(where, None, f"unsupported file type {suffix or '(none)'}")
    except (ExtractionError, ValueError) as exc:
        yield ImportItem(where, None, str(exc))
