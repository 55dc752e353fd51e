"""Entries, articles, revisions, raw pages and full-text search, on PostgreSQL.

Behaviour is the SQLite store's (``store/articles.py``); rows become the same records through
the shared conversions. Search reads ``article_search`` (a tsvector per article, GIN-indexed,
kept by a trigger): every word of the query must occur, and no input is query syntax.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from psycopg.rows import DictRow

from ingest.models import ArticleRow, ExtractedArticle, from_iso, to_iso
from ingest.store.articles import (
    _ARTICLE_SELECT,
    EntryRecord,
    KnownArticle,
    Revision,
    RevisitDue,
    SeenEntry,
    _article,
    earlier_revisions,
    known_article,
)
from ingest.store.postgres.base import PostgresBase


class PgArticleQueries(PostgresBase):
    def seen_entry(self, source_id: int, entry_key: str) -> SeenEntry | None:
        row = self._one(
            "SELECT id, status, fingerprint, article_id, attempts FROM entries"
            " WHERE source_id = %s AND entry_key = %s",
            (source_id, entry_key),
        )
        if row is None:
            return None
        return SeenEntry(
            row["id"], row["status"], row["fingerprint"], row["article_id"], row["attempts"]
        )

    def upsert_entry(self, entry: EntryRecord, *, now: datetime, article_id: int | None) -> int:
        stamp = to_iso(now)
        return self._insert(
            """INSERT INTO entries (source_id, entry_key, guid, link, title, published,
                 fingerprint, status, reason, article_id, first_seen, last_seen, attempts)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1)
               ON CONFLICT (source_id, entry_key) DO UPDATE SET
                 fingerprint = excluded.fingerprint, status = excluded.status,
                 attempts = entries.attempts + 1,
                 reason = excluded.reason, title = excluded.title,
                 article_id = COALESCE(excluded.article_id, entries.article_id),
                 last_seen = excluded.last_seen
               RETURNING id""",
            (entry.source_id, entry.entry_key, entry.guid, entry.link, entry.title,
             to_iso(entry.published), entry.fingerprint, entry.status, entry.reason,
             article_id, stamp, stamp),
        )  # fmt: skip

    def _known(self, row: DictRow) -> KnownArticle:
        revisions = self._rows(
            "SELECT revision, text_hash FROM revisions WHERE article_id = %s ORDER BY revision",
            (row["id"],),
        )
        hashes = tuple(r["text_hash"] for r in revisions)
        numbers = earlier_revisions([r["revision"] for r in revisions])
        earlier: tuple[str, ...] = ()
        if numbers:
            earlier = tuple(
                r["text"]
                for r in self._rows(
                    "SELECT text FROM revisions WHERE article_id = %s"
                    " AND revision = ANY(%s::integer[]) ORDER BY revision",
                    (row["id"], numbers),
                )
            )
        return known_article(row, hashes, earlier)

    def article_by_url_or_guid(
        self, canonical_url: str, guid: str | None, *, source_id: int | None
    ) -> KnownArticle | None:
        with self._atomic():
            row = self._one("SELECT * FROM articles WHERE canonical_url = %s", (canonical_url,))
            if row is None and guid and source_id is not None:
                row = self._one(
                    "SELECT * FROM articles WHERE guid = %s AND source_id = %s ORDER BY id LIMIT 1",
                    (guid, source_id),
                )
            return self._known(row) if row else None

    def articles_by_text_hash(self, text_hash: str) -> list[KnownArticle]:
        with self._atomic():
            rows = self._rows(
                "SELECT * FROM articles WHERE text_hash = %s ORDER BY id LIMIT 5", (text_hash,)
            )
            return [self._known(r) for r in rows]

    def known_articles(self, ids: list[int]) -> list[KnownArticle]:
        if not ids:
            return []
        with self._atomic():
            rows = self._rows(
                "SELECT * FROM articles WHERE id = ANY(%s::bigint[]) ORDER BY id", (ids,)
            )
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
        with self._atomic():
            article_id = self._insert(
                """INSERT INTO articles (url, canonical_url, guid, source_id, title, author,
                     published, language, fetched_at, updated_at, text, text_hash, text_length,
                     extraction, extraction_note, duplicate_of, revision, published_source)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1, %s)
                   RETURNING id""",
                (article.url, article.canonical_url, guid, source_id, article.title,
                 article.author, to_iso(article.published), article.language, stamp, stamp,
                 article.text, text_hash, len(article.text), article.extraction, article.note,
                 duplicate_of, article.published_source),
            )  # fmt: skip
            self._count(
                "INSERT INTO revisions (article_id, revision, fetched_at, title, text, text_hash,"
                " diff) VALUES (%s, 1, %s, %s, %s, %s, NULL)",
                (article_id, stamp, article.title, article.text, text_hash),
            )
            self._save_raw(article_id, 1, article.raw_html, stamp)
        return article_id

    def add_revision(
        self, article_id: int, article: ExtractedArticle, *, text_hash: str, diff: str,
        now: datetime,
    ) -> int:  # fmt: skip
        stamp = to_iso(now)
        with self._atomic():
            row = self._one("SELECT revision FROM articles WHERE id = %s FOR UPDATE", (article_id,))
            assert row is not None
            revision = int(row["revision"]) + 1
            self._count(
                "INSERT INTO revisions (article_id, revision, fetched_at, title, text, text_hash,"
                " diff) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (article_id, revision, stamp, article.title, article.text, text_hash, diff),
            )
            self._count(
                """UPDATE articles SET text = %s, text_hash = %s, text_length = %s, title = %s,
                     revision = %s, updated_at = %s, extraction = %s, extraction_note = %s
                   WHERE id = %s""",
                (article.text, text_hash, len(article.text), article.title, revision, stamp,
                 article.extraction, article.note, article_id),
            )  # fmt: skip
            self._save_raw(article_id, revision, article.raw_html, stamp)
        return revision

    def _save_raw(
        self, article_id: int, revision: int, html: bytes | None, stamp: str | None
    ) -> None:
        if html:
            self._count(
                "INSERT INTO raw_pages (article_id, revision, fetched_at, encoding, html)"
                " VALUES (%s, %s, %s, 'zlib', %s)",
                (article_id, revision, stamp, zlib.compress(html, 1)),
            )

    def articles_to_revisit(
        self, now: datetime, *, within: timedelta, every: timedelta, limit: int
    ) -> list[RevisitDue]:
        rows = self._rows(
            """SELECT id, url, source_id, guid, title, published FROM articles
               WHERE fetched_at >= %s AND COALESCE(checked_at, fetched_at) <= %s
                 AND extraction = 'page'
               ORDER BY COALESCE(checked_at, fetched_at), id LIMIT %s""",
            (to_iso(now - within), to_iso(now - every), limit),
        )
        return [
            RevisitDue(r["id"], r["url"], r["source_id"], r["guid"], r["title"],
                       from_iso(r["published"]))
            for r in rows
        ]  # fmt: skip

    def mark_checked(self, article_id: int, now: datetime) -> None:
        self._count("UPDATE articles SET checked_at = %s WHERE id = %s", (to_iso(now), article_id))

    def raw_html(self, article_id: int) -> bytes | None:
        row = self._one(
            "SELECT html FROM raw_pages WHERE article_id = %s ORDER BY revision DESC LIMIT 1",
            (article_id,),
        )
        return zlib.decompress(row["html"]) if row else None

    def prune_raw_pages(self, before: datetime) -> int:
        return self._count("DELETE FROM raw_pages WHERE fetched_at < %s", (to_iso(before),))

    def list_articles(
        self, *, limit: int = 50, stories_only: bool = False, source: str | None = None,
        since: datetime | None = None,
    ) -> list[ArticleRow]:  # fmt: skip
        where: list[str] = ["TRUE"]
        params: list[object] = []
        if stories_only:
            where.append("a.duplicate_of IS NULL")
        if source:
            where.append("s.name = %s")
            params.append(source)
        if since:
            where.append("a.fetched_at >= %s")
            params.append(to_iso(since))
        rows = self._rows(
            _ARTICLE_SELECT + f" WHERE {' AND '.join(where)} ORDER BY a.id DESC LIMIT %s",
            (*params, limit),
        )
        return [_article(r) for r in rows]

    def get_article(self, article_id: int) -> ArticleRow | None:
        row = self._one(_ARTICLE_SELECT + " WHERE a.id = %s", (article_id,))
        return _article(row, with_text=True) if row else None

    def appearances(self, story_id: int) -> list[ArticleRow]:
        rows = self._rows(_ARTICLE_SELECT + " WHERE a.duplicate_of = %s ORDER BY a.id", (story_id,))
        return [_article(r) for r in rows]

    def history(self, article_id: int) -> list[Revision]:
        rows = self._rows(
            "SELECT * FROM revisions WHERE article_id = %s ORDER BY revision", (article_id,)
        )
        return [
            Revision(r["revision"], from_iso(r["fetched_at"]) or datetime.min, r["title"],
                     r["text_hash"], r["diff"], r["text"])
            for r in rows
        ]  # fmt: skip

    def search_articles(self, query: str, *, limit: int = 20) -> list[ArticleRow]:
        """Articles containing every word of ``query``, best match first."""
        words = " ".join(query.split())
        if not words:
            return []
        rows = self._rows(
            "WITH q AS (SELECT plainto_tsquery('simple', %s) AS query) "
            + _ARTICLE_SELECT
            + " JOIN article_search f ON f.article_id = a.id CROSS JOIN q"
            " WHERE f.document @@ q.query"
            " ORDER BY ts_rank(f.document, q.query) DESC, a.id DESC LIMIT %s",
            (words, limit),
        )
        return [_article(r) for r in rows]

    def count_articles_since(self, since: datetime) -> tuple[int, int]:
        row = self._one(
            "SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE duplicate_of IS NULL) AS s"
            " FROM articles WHERE fetched_at >= %s",
            (to_iso(since),),
        )
        assert row is not None
        return int(row["n"] or 0), int(row["s"] or 0)
