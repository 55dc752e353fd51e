"""The near-duplicate band index: the only SQL of the dedup stage.

One row per (band key, article). A lookup reads, for each of the incoming article's band keys,
at most ``per_key_cap`` article ids (newest first) and ranks articles by how many keys they
share. The cap bounds the work of a lookup even if some band ends up shared by thousands of
articles (e.g. a boilerplate stub that slipped past ``min_index_shingles``).

The functions never commit: they run inside the caller's transaction, so an entry's article,
revision and index rows are written together or not at all. SQL is kept portable: the only
SQLite-specific words are ``WITHOUT ROWID`` (PostgreSQL: drop it; the primary key is the
clustered index there too) and the parameter style.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ingest.dedup.settings import DedupSettings
from ingest.errors import StoreError

# Appended to the store's migration list as one step; IF NOT EXISTS keeps it re-runnable.
NEARDUP_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS neardup_band (
        band_key INTEGER NOT NULL,      -- signed 63-bit, from ingest.dedup.band_keys
        article_id INTEGER NOT NULL,    -- articles.id of a story or revised article
        PRIMARY KEY (band_key, article_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS neardup_meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
)

# The parameters that change band keys: an index built with others must be rebuilt.
_KEY_PARAMS = ("shingle_size", "bands", "rows", "seed")


def create_neardup_tables(conn: sqlite3.Connection) -> None:
    """Create the band index tables (idempotent); the store's migration calls this."""
    try:
        for statement in NEARDUP_DDL:
            conn.execute(statement)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot create near-duplicate index: {exc}") from exc


def check_index_params(conn: sqlite3.Connection, settings: DedupSettings) -> None:
    """Record the key parameters on first use; refuse settings that would silently miss.

    Band keys computed with another shingle size, band shape or seed never match the stored
    ones, so every lookup would find nothing; better to stop at start-up and say so.
    """
    wanted = index_params(settings)
    try:
        stored = dict(conn.execute("SELECT name, value FROM neardup_meta").fetchall())
        if not stored:
            conn.executemany(
                "INSERT INTO neardup_meta (name, value) VALUES (?, ?)", sorted(wanted.items())
            )
            return
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read near-duplicate index parameters: {exc}") from exc
    problem = params_mismatch(stored, wanted)
    if problem:
        raise StoreError(problem)


def index_params(settings: DedupSettings) -> dict[str, str]:
    """The settings that shape band keys, as stored beside the index."""
    return {name: str(getattr(settings, name)) for name in _KEY_PARAMS}


def params_mismatch(stored: dict[str, str], wanted: dict[str, str]) -> str | None:
    """Why an index built with ``stored`` parameters cannot serve ``wanted``; None when it can."""
    changed = {k: (stored.get(k), v) for k, v in wanted.items() if stored.get(k) != v}
    if not changed:
        return None
    detail = ", ".join(f"{k}: index {old} vs config {new}" for k, (old, new) in changed.items())
    return (
        f"near-duplicate index was built with other parameters ({detail}); "
        "rebuild it or restore the [dedup] settings"
    )


def add_to_index(conn: sqlite3.Connection, article_id: int, keys: Iterable[int]) -> None:
    """Index ``article_id`` under its band keys (re-adding the same pair is a no-op)."""
    rows = [(key, article_id) for key in keys]
    if not rows:
        return
    try:
        conn.executemany(
            "INSERT INTO neardup_band (band_key, article_id) VALUES (?, ?) "
            "ON CONFLICT (band_key, article_id) DO NOTHING",
            rows,
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot index article {article_id}: {exc}") from exc


def remove_from_index(conn: sqlite3.Connection, article_id: int, keys: Iterable[int]) -> None:
    """Drop ``article_id``'s rows (keys recomputed from its text: there is no index by id)."""
    try:
        conn.executemany(
            "DELETE FROM neardup_band WHERE band_key = ? AND article_id = ?",
            [(key, article_id) for key in keys],
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot unindex article {article_id}: {exc}") from exc


@lru_cache(maxsize=32)
def _lookup_sql(table: str, column: str, n_keys: int) -> str:
    per_key = " UNION ALL ".join(
        f"SELECT article_id FROM (SELECT article_id FROM {table} WHERE {column} = ? "
        f"ORDER BY article_id DESC LIMIT ?) AS k{i}"
        for i in range(n_keys)
    )
    return (
        f"SELECT article_id, COUNT(*) AS hits FROM ({per_key}) AS matched "
        "GROUP BY article_id ORDER BY hits DESC, article_id DESC LIMIT ?"
    )


def key_index_candidates(
    conn: sqlite3.Connection, table: str, column: str, keys: Sequence[int], limit: int,
    *, per_key_cap: int, what: str,
) -> list[int]:  # fmt: skip
    """Ids of articles sharing at least one key in a (key, article_id) index table, most
    shared keys first, at most ``limit``; each key contributes its newest ``per_key_cap``
    ids, so a key every article has costs no more than a rare one. ``table`` and ``column``
    are this package's own names, never input."""
    unique = sorted(set(keys))
    if not unique or limit <= 0:
        return []
    params: list[int] = []
    for key in unique:
        params += [key, per_key_cap]
    params.append(limit)
    try:
        return [row[0] for row in conn.execute(_lookup_sql(table, column, len(unique)), params)]
    except sqlite3.Error as exc:
        raise StoreError(f"{what} lookup failed: {exc}") from exc


def candidates(
    conn: sqlite3.Connection, keys: Sequence[int], limit: int, *, per_key_cap: int = 200
) -> list[int]:
    """Ids of articles sharing at least one band key, most shared keys first, at most ``limit``."""
    return key_index_candidates(
        conn, "neardup_band", "band_key", keys, limit, per_key_cap=per_key_cap,
        what="near-duplicate",
    )  # fmt: skip
