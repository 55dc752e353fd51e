"""Stories: the figure-key index, related-story links, and per-story summaries (issue 12).

``story_key`` is a second candidate index beside the band index: one row per (figure key,
article), for the stories and revised articles the band index holds. A reworded copy keeps its
figures when it has lost its shingles, and separately written stories on one event share them,
so this index proposes what the band index cannot. Bounded like the band index: at most
``per_key_cap`` ids per key, newest first.

``related_story`` links two stories reported as the same event; written once, when the later
story arrives, in its transaction. A link never changes ``duplicate_of``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from ingest.errors import StoreError
from ingest.models import from_iso, to_iso
from ingest.store.base import StoreBase
from ingest.store.neardup import key_index_candidates

STORY_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS story_key (
        story_key INTEGER NOT NULL,     -- 63-bit, from ingest.dedup.align.figure_keys
        article_id INTEGER NOT NULL,
        PRIMARY KEY (story_key, article_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS related_story (
        article_id INTEGER NOT NULL REFERENCES articles (id),   -- the later story
        related_id INTEGER NOT NULL REFERENCES articles (id),   -- the story it is related to
        shared_figures INTEGER NOT NULL,
        alignment REAL NOT NULL,
        reason TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (article_id, related_id)
    )""",
    "CREATE INDEX IF NOT EXISTS related_story_back ON related_story (related_id)",
)


def create_story_tables(conn: sqlite3.Connection) -> None:
    """Create the story tables (idempotent), as migration m012 does."""
    try:
        for statement in STORY_DDL:
            conn.execute(statement)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot create story tables: {exc}") from exc


def story_candidates(
    conn: sqlite3.Connection, keys: Sequence[int], limit: int, *, per_key_cap: int = 50
) -> list[int]:
    """Ids of articles sharing a figure key, most shared keys first, at most ``limit``."""
    return key_index_candidates(
        conn, "story_key", "story_key", keys, limit, per_key_cap=per_key_cap, what="story-key"
    )


def add_story_keys(conn: sqlite3.Connection, article_id: int, keys: Iterable[int]) -> None:
    """Index an article under its figure keys (inside the caller's transaction)."""
    rows = [(key, article_id) for key in keys]
    if not rows:
        return
    try:
        conn.executemany(
            "INSERT INTO story_key (story_key, article_id) VALUES (?, ?) "
            "ON CONFLICT (story_key, article_id) DO NOTHING",
            rows,
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot index article {article_id} by figures: {exc}") from exc


@dataclass(frozen=True, slots=True)
class RelatedRow:
    """A related story as shown next to an article."""

    id: int
    url: str
    title: str | None
    source: str | None
    shared_figures: int
    alignment: float
    reason: str


@dataclass(frozen=True, slots=True)
class StorySummary:
    """One story with where and when it appeared (``ingest articles --stories``)."""

    id: int
    title: str | None
    url: str
    outlets: tuple[str, ...]
    appearances: int
    first_seen: datetime
    last_seen: datetime
    related: int


def outlet_host(url: str) -> str:
    """The outlet of a URL as shown: its host without ``www.``."""
    return (urlsplit(url).hostname or url).removeprefix("www.")


class StoryQueries(StoreBase):
    def story_key_candidates(
        self, keys: Sequence[int], *, limit: int, per_key_cap: int = 50
    ) -> list[int]:
        """Ids of articles sharing a figure key, most shared keys first, at most ``limit``."""
        return story_candidates(self.conn, keys, limit, per_key_cap=per_key_cap)

    def story_keys_add(self, article_id: int, keys: Iterable[int]) -> None:
        """Index an article under its figure keys (inside the caller's transaction)."""
        add_story_keys(self.conn, article_id, keys)

    def add_related(
        self, article_id: int, related_id: int, *, shared_figures: int, alignment: float,
        reason: str, now: datetime,
    ) -> None:  # fmt: skip
        if article_id == related_id:
            return
        self._execute(
            "INSERT INTO related_story (article_id, related_id, shared_figures, alignment,"
            " reason, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (article_id, related_id) DO NOTHING",
            (article_id, related_id, shared_figures, alignment, reason, to_iso(now)),
        )

    def related_stories(self, story_id: int) -> list[RelatedRow]:
        """Stories linked to ``story_id`` as the same event, in either direction."""
        rows = self._rows(
            """SELECT a.id, a.url, a.title, s.name AS source, r.shared_figures, r.alignment,
                      r.reason
               FROM (SELECT related_id AS other, shared_figures, alignment, reason
                       FROM related_story WHERE article_id = ?
                     UNION ALL
                     SELECT article_id AS other, shared_figures, alignment, reason
                       FROM related_story WHERE related_id = ?) AS r
               JOIN articles a ON a.id = r.other LEFT JOIN sources s ON s.id = a.source_id
               ORDER BY a.id""",
            (story_id, story_id),
        )
        return [
            RelatedRow(r["id"], r["url"], r["title"], r["source"], r["shared_figures"],
                       r["alignment"], r["reason"])
            for r in rows
        ]  # fmt: skip

    def story_summaries(self, story_ids: Sequence[int]) -> list[StorySummary]:
        """The given stories (in that order), each with its outlets (URL hosts) and its first
        and last appearance."""
        out: list[StorySummary] = []
        stories = [
            row
            for story_id in story_ids
            if (row := self._one(
                "SELECT id, title, canonical_url FROM articles WHERE id = ?", (story_id,)
            )) is not None
        ]  # fmt: skip
        for story in stories:
            members = self._rows(
                "SELECT canonical_url, COALESCE(published, fetched_at) AS seen, fetched_at"
                " FROM articles WHERE id = ? OR duplicate_of = ?",
                (story["id"], story["id"]),
            )
            hosts = sorted({outlet_host(m["canonical_url"]) for m in members})
            # An appearance is when the outlet published it, else when we first saw it.
            times = [t for m in members if (t := from_iso(m["seen"])) is not None]
            related = self._one(
                "SELECT COUNT(*) AS n FROM related_story WHERE article_id = ? OR related_id = ?",
                (story["id"], story["id"]),
            )
            out.append(
                StorySummary(
                    id=story["id"], title=story["title"], url=story["canonical_url"],
                    outlets=tuple(hosts), appearances=len(members), first_seen=min(times),
                    last_seen=max(times), related=int(related["n"]) if related else 0,
                )
            )  # fmt: skip
        return out
