"""Entries, articles, revisions and raw pages."""

from __future__ import annotations

import sqlite3
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.models import ArticleRow, ExtractedArticle, from_iso, to_iso
from ingest.store.base import StoreBase
from ingest.store.rows import Row


@dataclass(frozen=True, slots=True)
class SeenEntry:
    id: int
    status: str
    fingerprint: str | None
    article_id: int | None
    attempts: int


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """One feed entry's row: what the feed said and what became of it."""

    source_id: int
    entry_key: str
    guid: str | None
    link: str | None
    title: str | None
    published: datetime | None
    fingerprint: str
    status: str  # stored | rejected | failed
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """What the dedup decision needs to know of an article already stored."""

    id: int
    canonical_url: str
    guid: str | None
    source_id: int | None
    text: str
    text_hash: str
    duplicate_of: int | None
    revision: int
    revision_hashes: tuple[str, ...]
    published: datetime | None = None
    # Texts of earlier revisions (first and the few before the current one), for copies made
    # before a correction.
    earlier_texts: tuple[str, ...] = ()


# Earlier revisions offered to the copy check: the first (what copies of the original carry)
# and the last few before the current one. Bounded so an article edited fifty times stays cheap.
_EARLIER_REVISIONS = 3


def earlier_revisions(numbers: list[int]) -> list[int]:
    """Which earlier revisions a known article offers the copy check, from its revision numbers
    in order: the first and the last few before the current one (none for a single revision)."""
    if len(numbers) <= 1:
        return []
    return sorted({numbers[0]} | set(numbers[-1 - _EARLIER_REVISIONS : -1]))


def known_article(row: Row, hashes: tuple[str, ...], earlier: tuple[str, ...]) -> KnownArticle:
    return KnownArticle(
        id=row["id"],
        canonical_url=row["canonical_url"],
        guid=row["guid"],
        source_id=row["source_id"],
        text=row["text"],
        text_hash=row["text_hash"],
        duplicate_of=row["duplicate_of"],
        revision=row["revision"],
        revision_hashes=hashes,
        published=from_iso(row["published"]),
        earlier_texts=earlier,
    )


@dataclass(frozen=True, slots=True)
class RevisitDue:
    """A stored page due to be fetched again."""

    id: int
    url: str
    source_id: int | None
    guid: str | None
    title: str | None
    published: datetime | None


@dataclass(frozen=True, slots=True)
class Revision:
    revision: int
    fetched_at: datetime
    title: str | None
    text_hash: str
    diff: str | None
    text: str


_ARTICLE_SELECT = """
    SELECT a.*, s.name AS source_name,
      (SELECT COUNT(*) FROM articles d WHERE d.duplicate_of = a.id) + 1 AS appearances
    FROM articles a LEFT JOIN sources s ON s.id = a.source_id
"""


def _article(row: Row, *, with_text: bool = False) -> ArticleRow:
    fetched = from_iso(row["fetched_at"])
    assert fetched is not None
    return ArticleRow(
        id=row["id"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        title=row["title"],
        published=from_iso(row["published"]),
        source=row["source_name"],
        fetched_at=fetched,
        text_length=row["text_length"],
        extraction=row["extraction"],
        duplicate_of=row["duplicate_of"],
        revision=row["revision"],
        appearances=row["appearances"] if row["duplicate_of"] is None else 0,
        text=row["text"] if with_text else None,
        language=row["language"],
        author=row["author"],
        guid=row["guid"],
        extraction_note=row["extraction_note"],
        published_source=row["published_source"],
    )


class ArticleQueries(StoreBase):
    def seen_entry(self, source_id: int, entry_key: str) -> SeenEntry | None:
        row = self._one(
            "SELECT id, status, fingerprint, article_id, attempts FROM entries"
            " WHERE source_id = ? AND entry_key = ?",
            (source_id, entry_key),
        )
        if row is None:
            return None
        return SeenEntry(
            row["id"], row["status"], row["fingerprint"], row["article_id"], row["attempts"]
        )

    def upsert_entry(self, entry: EntryRecord, *, now: datetime, article_id: int | None) -> int:
        """Insert the entry, or update what changed; idempotent on (source, entry_key)."""
        stamp = to_iso(now)
        self._execute(
            """INSERT INTO entries (source_id, entry_key, guid, link, title, published,
                 fingerprint, status, reason, article_id, first_seen, last_seen, attempts)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
               ON CONFLICT (source_id, entry_key) DO UPDATE SET
                 fingerprint = excluded.fingerprint, status = excluded.status,
                 attempts = entries.attempts + 1,
                 reason = excluded.reason, title = excluded.title,
                 article_id = COALESCE(excluded.article_id, entries.article_id),
                 last_seen = excluded.last_seen""",
            (entry.source_id, entry.entry_key, entry.guid, entry.link, entry.title,
             to_iso(entry.published), entry.fingerprint, entry.status, entry.reason,
             article_id, stamp, stamp),
        )  # fmt: skip
        row = self._one(
            "SELECT id FROM entries WHERE source_id = ? AND entry_key = ?",
            (entry.source_id, entry.entry_key),
        )
        assert row is not None
        return int(row["id"])

    def _known(self, row: sqlite3.Row) -> KnownArticle:
        revisions = self._rows(
            "SELECT revision, text_hash FROM revisions WHERE article_id = ? ORDER BY revision",
            (row["id"],),
        )
        hashes = tuple(r["text_hash"] for r in revisions)
        earlier: tuple[str, ...] = ()
        numbers = earlier_revisions([r["revision"] for r in revisions])
        if numbers:
            marks = ",".join("?" * len(numbers))
            earlier = tuple(
                r["text"]
                for r in self._rows(
                    f"SELECT text FROM revisions WHERE article_id = ? AND revision IN ({marks})"
                    " ORDER BY revision",
                    (row["id"], *numbers),
                )
            )
        return known_article(row, hashes, earlier)

    def article_by_url_or_guid(
        self, canonical_url: str, guid: str | None, *, source_id: int | None
    ) -> KnownArticle | None:
        """The article stored at this canonical URL, else the one with this GUID in this source.

        A GUID identifies an entry only within its own feed: aggregators copy other feeds' GUIDs.
        """
        row = self._one("SELECT * FROM articles WHERE canonical_url = ?", (canonical_url,))
        if row is None and guid and source_id is not None:
            row = self._one(
                "SELECT * FROM articles WHERE guid = ? AND source_id = ? ORDER BY id LIMIT 1",
                (guid, source_id),
            )
        return self._known(row) if row else None

    def articles_by_text_hash(self, text_hash: str) -> list[KnownArticle]:
        return [
            self._known(r)
            for r in self._rows(
                "SELECT * FROM articles WHERE text_hash = ? ORDER BY id LIMIT 5", (text_hash,)
            )
        ]

    def known_articles(self, ids: list[int]) -> list[KnownArticle]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._rows(f"SELECT * FROM articles WHERE id IN ({marks}) ORDER BY id", ids)
        return [self._known(r) for r in rows]

    def insert_article(
        self,
        article: ExtractedArticle,
        *,
        source_id: int | None,
        guid: str | None,
        text_hash: str,
        now: datetime,
        duplicate_of: int | None,
    ) -> int:
        stamp = to_iso(now)
        article_id = self._execute(
            """INSERT INTO articles (url, canonical_url, guid, source_id, title, author, published,
                 language, fetched_at, updated_at, text, text_hash, text_length, extraction,
                 extraction_note, duplicate_of, revision, published_source)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)""",
            (article.url, article.canonical_url, guid, source_id, article.title, article.author,
             to_iso(article.published), article.language, stamp, stamp, article.text, text_hash,
             len(article.text), article.extraction, article.note, duplicate_of,
             article.published_source),
        ).lastrowid  # fmt: skip
        assert article_id is not None
        self._execute(
            "INSERT INTO revisions (article_id, revision, fetched_at, title, text, text_hash, diff)"
            " VALUES (?, 1, ?, ?, ?, ?, NULL)",
            (article_id, stamp, article.title, article.text, text_hash),
        )
        self._save_raw(article_id, 1, article.raw_html, stamp)
        return article_id

    def add_revision(
        self, article_id: int, article: ExtractedArticle, *, text_hash: str, diff: str,
        now: datetime,
    ) -> int:  # fmt: skip
        """Store a new revision of an article and make it the article's current text."""
        stamp = to_iso(now)
        row = self._one("SELECT revision FROM articles WHERE id = ?", (article_id,))
        assert row is not None
        revision = int(row["revision"]) + 1
        self._execute(
            "INSERT INTO revisions (article_id, revision, fetched_at, title, text, text_hash, diff)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (article_id, revision, stamp, article.title, article.text, text_hash, diff),
        )
        self._execute(
            """UPDATE articles SET text = ?, text_hash = ?, text_length = ?, title = ?,
                 revision = ?, updated_at = ?, extraction = ?, extraction_note = ?
               WHERE id = ?""",
            (article.text, text_hash, len(article.text), article.title, revision, stamp,
             article.extraction, article.note, article_id),
        )  # fmt: skip
        self._save_raw(article_id, revision, article.raw_html, stamp)
        return revision

    def _save_raw(
        self, article_id: int, revision: int, html: bytes | None, stamp: str | None
    ) -> None:
        if html:
            self._execute(
                "INSERT INTO raw_pages (article_id, revision, fetched_at, encoding, html)"
                " VALUES (?, ?, ?, 'zlib', ?)",
                # Level 1: pages shrink to ~24 % of raw instead of ~20 % at level 6, for a
                # third of the CPU; level 6 was 8 % of the whole per-article cost (see
                # docs/benchmarks.md, "Per-article cost").
                (article_id, revision, stamp, zlib.compress(html, 1)),
            )

    def articles_to_revisit(
        self, now: datetime, *, within: timedelta, every: timedelta, limit: int
    ) -> list[RevisitDue]:
        """Pages fetched less than ``within`` ago whose last check is older than ``every``.

        Only articles whose text came from their page: one stored from the feed's text (page
        unavailable at the time) would "change" into the page's text, which is not an edit.
        """
        rows = self._rows(
            """SELECT id, url, source_id, guid, title, published FROM articles
               WHERE fetched_at >= ? AND COALESCE(checked_at, fetched_at) <= ?
                 AND extraction = 'page'
               ORDER BY COALESCE(checked_at, fetched_at) LIMIT ?""",
            (to_iso(now - within), to_iso(now - every), limit),
        )
        return [
            RevisitDue(r["id"], r["url"], r["source_id"], r["guid"], r["title"],
                       from_iso(r["published"]))
            for r in rows
        ]  # fmt: skip

    def mark_checked(self, article_id: int, now: datetime) -> None:
        self._write("UPDATE articles SET checked_at = ? WHERE id = ?", (to_iso(now), article_id))

    def raw_html(self, article_id: int) -> bytes | None:
        row = self._one(
            "SELECT html FROM raw_pages WHERE article_id = ? ORDER BY revision DESC LIMIT 1",
            (article_id,),
        )
        return zlib.decompress(row["html"]) if row else None

    def prune_raw_pages(self, before: datetime) -> int:
        with self._atomic():
            cur = self._execute("DELETE FROM raw_pages WHERE fetched_at < ?", (to_iso(before),))
        return cur.rowcount

    def list_articles(
        self, *, limit: int = 50, stories_only: bool = False, source: str | None = None,
        since: datetime | None = None,
    ) -> list[ArticleRow]:  # fmt: skip
        where: list[str] = ["1 = 1"]
        params: list[object] = []
        if stories_only:
            where.append("a.duplicate_of IS NULL")
        if source:
            where.append("s.name = ?")
            params.append(source)
        if since:
            where.append("a.fetched_at >= ?")
            params.append(to_iso(since))
        rows = self._rows(
            _ARTICLE_SELECT + f" WHERE {' AND '.join(where)} ORDER BY a.id DESC LIMIT ?",
            (*params, limit),
        )
        return [_article(r) for r in rows]

    def get_article(self, article_id: int) -> ArticleRow | None:
        row = self._one(_ARTICLE_SELECT + " WHERE a.id = ?", (article_id,))
        return _article(row, with_text=True) if row else None

    def appearances(self, story_id: int) -> list[ArticleRow]:
        rows = self._rows(_ARTICLE_SELECT + " WHERE a.duplicate_of = ? ORDER BY a.id", (story_id,))
        return [_article(r) for r in rows]

    def history(self, article_id: int) -> list[Revision]:
        rows = self._rows(
            "SELECT * FROM revisions WHERE article_id = ? ORDER BY revision", (article_id,)
        )
        return [
            Revision(r["revision"], from_iso(r["fetched_at"]) or datetime.min, r["title"],
                     r["text_hash"], r["diff"], r["text"])
            for r in rows
        ]  # fmt: skip

    def search_articles(self, query: str, *, limit: int = 20) -> list[ArticleRow]:
        """Full-text search; the query is quoted so user input is never FTS syntax."""
        phrase = " ".join('"' + word.replace('"', '""') + '"' for word in query.split())
        if not phrase:
            return []
        rows = self._rows(
            _ARTICLE_SELECT + " JOIN articles_fts f ON f.rowid = a.id WHERE articles_fts MATCH ?"
            " ORDER BY f.rank LIMIT ?",
            (phrase, limit),
        )
        return [_article(r) for r in rows]

    def count_articles_since(self, since: datetime) -> tuple[int, int]:
        """(articles, stories) fetched since a moment."""
        row = self._one(
            "SELECT COUNT(*) AS n, SUM(duplicate_of IS NULL) AS s FROM articles"
            " WHERE fetched_at >= ?",
            (to_iso(since),),
        )
        assert row is not None
        return int(row["n"] or 0), int(row["s"] or 0)
