"""The band index in SQLite (ingest.store.neardup)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from ingest.dedup import DedupSettings, band_keys, signature
from ingest.errors import StoreError
from ingest.store import neardup


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    """An in-memory database with the index tables."""
    db = sqlite3.connect(":memory:")
    neardup.create_neardup_tables(db)
    yield db
    db.close()


def _count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM neardup_band").fetchone()[0])


def test_create_is_idempotent(conn: sqlite3.Connection) -> None:
    """Creating the tables twice is harmless (the migration may be re-run)."""
    neardup.create_neardup_tables(conn)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"neardup_band", "neardup_meta"} <= names


def test_lookup_ranks_by_shared_keys(conn: sqlite3.Connection) -> None:
    """Articles sharing more band keys with the query come first; strangers never."""
    neardup.add_to_index(conn, 1, [10, 11, 12])
    neardup.add_to_index(conn, 2, [10, 11, 99])
    neardup.add_to_index(conn, 3, [10, 50, 51])
    neardup.add_to_index(conn, 4, [70, 71, 72])
    assert neardup.candidates(conn, [10, 11, 12], limit=10) == [1, 2, 3]
    assert neardup.candidates(conn, [10, 11, 12], limit=2) == [1, 2]
    assert neardup.candidates(conn, [1000], limit=10) == []


def test_adding_twice_keeps_one_row(conn: sqlite3.Connection) -> None:
    """Re-indexing an article (a re-poll) adds no rows."""
    neardup.add_to_index(conn, 1, [10, 11])
    neardup.add_to_index(conn, 1, [10, 11])
    assert _count(conn) == 2
    assert neardup.candidates(conn, [10, 10, 11], limit=5) == [1]


def test_empty_inputs(conn: sqlite3.Connection) -> None:
    """No keys (a stub) indexes nothing and finds nothing."""
    neardup.add_to_index(conn, 1, [])
    assert _count(conn) == 0
    assert neardup.candidates(conn, [], limit=5) == []
    neardup.add_to_index(conn, 1, [5])
    assert neardup.candidates(conn, [5], limit=0) == []


def test_hot_key_is_capped_newest_first(conn: sqlite3.Connection) -> None:
    """A key shared by many articles yields at most per_key_cap ids, the newest."""
    conn.executemany(
        "INSERT INTO neardup_band (band_key, article_id) VALUES (7, ?)",
        [(i,) for i in range(1, 1001)],
    )
    neardup.add_to_index(conn, 2000, [7, 8])
    found = neardup.candidates(conn, [7, 8], limit=50, per_key_cap=10)
    assert found[0] == 2000  # shares both keys
    assert found[1:] == list(range(1000, 991, -1))  # the other 9 newest under key 7


def test_remove_from_index(conn: sqlite3.Connection) -> None:
    """Removing an article's keys removes only its rows."""
    neardup.add_to_index(conn, 1, [10, 11])
    neardup.add_to_index(conn, 2, [10])
    neardup.remove_from_index(conn, 1, [10, 11])
    assert neardup.candidates(conn, [10, 11], limit=5) == [2]


def test_rows_follow_the_callers_transaction(conn: sqlite3.Connection) -> None:
    """The index never commits on its own: a rolled-back entry leaves no index rows."""
    conn.commit()
    neardup.add_to_index(conn, 1, [10, 11])
    conn.rollback()
    assert _count(conn) == 0


def test_real_signatures_round_trip(conn: sqlite3.Connection) -> None:
    """Keys from real signatures are stored and found again (63-bit values fit)."""
    settings = DedupSettings()
    text = "Alibaba Cloud cut prices of its Qwen models by up to 85% on Tuesday " * 3
    keys = band_keys(signature(text, settings))
    neardup.add_to_index(conn, 42, keys)
    assert neardup.candidates(conn, keys, limit=5) == [42]


def test_parameters_are_recorded_and_checked(conn: sqlite3.Connection) -> None:
    """The first use records the key parameters; a different band shape is refused."""
    neardup.check_index_params(conn, DedupSettings())
    neardup.check_index_params(conn, DedupSettings(candidate_limit=5))  # not a key parameter
    with pytest.raises(StoreError, match="bands: index 24 vs config 30"):
        neardup.check_index_params(conn, DedupSettings(bands=30))


def test_sqlite_failures_become_store_errors() -> None:
    """A database error surfaces as StoreError, never as sqlite3.Error."""
    db = sqlite3.connect(":memory:")
    with pytest.raises(StoreError, match="near-duplicate lookup failed"):
        neardup.candidates(db, [1], limit=5)  # tables never created
    db.close()
    with pytest.raises(StoreError):
        neardup.create_neardup_tables(db)
