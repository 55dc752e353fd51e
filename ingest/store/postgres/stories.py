"""The candidate indexes (near-duplicate bands, story keys), related stories and story
summaries, on PostgreSQL.

The indexes are rows (``(key, article_id)``), as on SQLite, so any worker finds any copy a
worker stored. A lookup is one statement: for each key of the incoming article, its newest
``per_key_cap`` ids (a LATERAL subquery on the primary key), ranked by how many keys they share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from ingest.dedup.settings import DedupSettings
from ingest.errors import StoreError
from ingest.models import from_iso, to_iso
from ingest.store.neardup import index_params, params_mismatch
from ingest.store.postgres.base import PostgresBase
from ingest.store.stories import RelatedRow, StorySummary, outlet_host

# table -> key column; names of this package, never input
_INDEXES = {"neardup_band": "band_key", "story_key": "story_key"}
# Lock taken while the band index parameters are first recorded.
_META_LOCK = 0x696E67657374 + 2


class PgStoryQueries(PostgresBase):
    def neardup_check(self, settings: DedupSettings) -> None:
        """Refuse settings whose band keys differ from the stored index's (first use records)."""
        wanted = index_params(settings)
        with self._atomic():
            self._lock(_META_LOCK)
            stored = {r["name"]: r["value"] for r in self._rows("SELECT * FROM neardup_meta")}
            if not stored:
                self._executemany(
                    "INSERT INTO neardup_meta (name, value) VALUES (%s, %s)",
                    sorted(wanted.items()),
                )
                return
        problem = params_mismatch(stored, wanted)
        if problem:
            raise StoreError(problem)

    def _candidates(
        self, table: str, keys: Sequence[int], limit: int, per_key_cap: int
    ) -> list[int]:
        unique = sorted(set(keys))
        if not unique or limit <= 0:
            return []
        column = _INDEXES[table]
        rows = self._rows(
            f"""SELECT m.article_id, COUNT(*) AS hits
                FROM unnest(%s::bigint[]) AS k (key)
                CROSS JOIN LATERAL (
                    SELECT article_id FROM {table} WHERE {column} = k.key
                    ORDER BY article_id DESC LIMIT %s) AS m
                GROUP BY m.article_id ORDER BY hits DESC, m.article_id DESC LIMIT %s""",
            (unique, per_key_cap, limit),
        )
        return [int(r["article_id"]) for r in rows]

    def _add_keys(self, table: str, article_id: int, keys: Iterable[int]) -> None:
        unique = sorted(set(keys))
        if not unique:
            return
        column = _INDEXES[table]
        self._count(
            f"INSERT INTO {table} ({column}, article_id)"
            " SELECT key, %s FROM unnest(%s::bigint[]) AS k (key)"
            f" ON CONFLICT ({column}, article_id) DO NOTHING",
            (article_id, unique),
        )

    def neardup_candidates(
        self, keys: Sequence[int], *, limit: int, per_key_cap: int = 200
    ) -> list[int]:
        return self._candidates("neardup_band", keys, limit, per_key_cap)

    def neardup_add(self, article_id: int, keys: Sequence[int]) -> None:
        self._add_keys("neardup_band", article_id, keys)

    def story_key_candidates(
        self, keys: Sequence[int], *, limit: int, per_key_cap: int = 50
    ) -> list[int]:
        return self._candidates("story_key", keys, limit, per_key_cap)

    def story_keys_add(self, article_id: int, keys: Iterable[int]) -> None:
        self._add_keys("story_key", article_id, keys)

    def add_related(
        self, article_id: int, related_id: int, *, shared_figures: int, alignment: float,
        reason: str, now: datetime,
    ) -> None:  # fmt: skip
        if article_id == related_id:
            return
        self._count(
            "INSERT INTO related_story (article_id, related_id, shared_figures, alignment,"
            " reason, created_at) VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (article_id, related_id) DO NOTHING",
            (article_id, related_id, shared_figures, alignment, reason, to_iso(now)),
        )

    def related_stories(self, story_id: int) -> list[RelatedRow]:
        rows = self._rows(
            """SELECT a.id, a.url, a.title, s.name AS source, r.shared_figures, r.alignment,
                      r.reason
               FROM (SELECT related_id AS other, shared_figures, alignment, reason
                       FROM related_story WHERE article_id = %s
                     UNION ALL
                     SELECT article_id AS other, shared_figures, alignment, reason
                       FROM related_story WHERE related_id = %s) AS r
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
        out: list[StorySummary] = []
        with self._atomic():
            for story_id in story_ids:
                story = self._one(
                    "SELECT id, title, canonical_url FROM articles WHERE id = %s", (story_id,)
                )
                if story is None:
                    continue
                members = self._rows(
                    "SELECT canonical_url, COALESCE(published, fetched_at) AS seen"
                    " FROM articles WHERE id = %s OR duplicate_of = %s",
                    (story["id"], story["id"]),
                )
                related = self._one(
                    "SELECT COUNT(*) AS n FROM related_story"
                    " WHERE article_id = %s OR related_id = %s",
                    (story["id"], story["id"]),
                )
                hosts = sorted({outlet_host(m["canonical_url"]) for m in members})
                times = [t for m in members if (t := from_iso(m["seen"])) is not None]
                out.append(
                    StorySummary(
                        id=story["id"], title=story["title"], url=story["canonical_url"],
                        outlets=tuple(hosts), appearances=len(members), first_seen=min(times),
                        last_seen=max(times), related=int(related["n"]) if related else 0,
                    )
                )  # fmt: skip
        return out
