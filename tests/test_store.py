"""The SQLite store: sources and their schedule, entries, articles, search, backup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.models import CheckOutcome, ExtractedArticle, SourceStatus
from ingest.store import EntryRecord, ScheduleUpdate, SourceSpec, Store

NOW = datetime(2026, 11, 3, 6, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "s.db")
    yield s  # type: ignore[misc]
    s.close()


def article(url: str, text: str = "Alibaba Cloud revenue rose 34%.") -> ExtractedArticle:
    return ExtractedArticle(
        url=url, canonical_url=url, title="T", author=None, published=NOW, language="en",
        text=text, extraction="page", raw_html=b"<html>" + text.encode() + b"</html>",
    )  # fmt: skip


def test_wal_and_migrations(store: Store) -> None:
    """The database is in WAL mode and every migration is recorded once."""
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = [r[0] for r in store.conn.execute("SELECT name FROM _sqlite_migrations")]
    assert names == sorted(set(names), key=names.index) and len(names) >= 3
    again = Store(store.path)  # re-opening applies nothing twice
    assert [r[0] for r in again.conn.execute("SELECT name FROM _sqlite_migrations")] == names
    again.close()


def test_sync_sources_keeps_state_and_disables_removed(store: Store) -> None:
    """Re-syncing keeps schedule state; a source dropped from the file is disabled, not deleted."""
    assert store.sync_sources([SourceSpec("a", "https://a/f"), SourceSpec("b", "https://b/f")]) == [
        "added a",
        "added b",
    ]
    a = store.list_sources()[0]
    store.record_check(
        CheckOutcome(a.id, NOW, 5, "ok"),
        ScheduleUpdate(status=SourceStatus.OK, next_check=NOW + timedelta(hours=1), failures=0,
                       etag='"e1"', success=True, new_url="https://a/moved"),
        url=a.url,
    )  # fmt: skip
    changes = store.sync_sources([SourceSpec("a", "https://a/f")])
    assert changes == ["disabled b (no longer in config)"]
    a, b = store.list_sources()
    assert a.etag == '"e1"' and a.url == "https://a/moved", "redirect-learned URL is kept"
    assert not b.enabled and b.status is SourceStatus.DISABLED
    store.sync_sources([SourceSpec("a", "https://a/edited")])
    assert store.list_sources()[0].url == "https://a/edited", "an edit of the file wins"


def test_claim_due_sources_leases(store: Store) -> None:
    """A claimed source is not handed to another owner until its lease ends or is released."""
    store.sync_sources([SourceSpec("a", "https://a/f")])
    first = store.claim_due_sources(NOW, limit=10, owner="one", lease=timedelta(minutes=5))
    assert [s.name for s in first] == ["a"]
    assert store.claim_due_sources(NOW, limit=10, owner="two", lease=timedelta(minutes=5)) == []
    later = NOW + timedelta(minutes=6)
    assert (
        len(store.claim_due_sources(later, limit=10, owner="two", lease=timedelta(minutes=5))) == 1
    )
    store.release_leases("two")
    assert (
        len(store.claim_due_sources(later, limit=10, owner="three", lease=timedelta(minutes=5)))
        == 1
    )


def test_not_due_sources_are_not_claimed(store: Store) -> None:
    """A source whose next check is in the future is only claimed by a full pass."""
    store.sync_sources([SourceSpec("a", "https://a/f")])
    (a,) = store.list_sources()
    store.record_check(
        CheckOutcome(a.id, NOW, 1, "ok"),
        ScheduleUpdate(status=SourceStatus.OK, next_check=NOW + timedelta(hours=1), failures=0),
        url=a.url,
    )
    assert store.claim_due_sources(NOW, limit=5, owner="o", lease=timedelta(minutes=1)) == []
    full = store.claim_due_sources(
        NOW, limit=5, owner="o", lease=timedelta(minutes=1), only_due=False
    )
    assert len(full) == 1


def test_failed_transaction_leaves_nothing(store: Store) -> None:
    """An exception inside a transaction rolls back everything written in it."""
    store.sync_sources([SourceSpec("a", "https://a/f")])
    entry = EntryRecord(1, "k", "g", "https://a/1", "T", NOW, "fp", "stored")
    with pytest.raises(RuntimeError), store.unit():
        aid = store.insert_article(article("https://a/1"), source_id=1, guid="g", text_hash="h",
                                   now=NOW, duplicate_of=None)  # fmt: skip
        store.upsert_entry(entry, now=NOW, article_id=aid)
        raise RuntimeError("killed")
    assert store.list_articles() == [] and store.seen_entry(1, "k") is None


def test_entry_upsert_is_idempotent(store: Store) -> None:
    """Upserting an entry twice keeps one row and counts attempts."""
    store.sync_sources([SourceSpec("a", "https://a/f")])
    entry = EntryRecord(1, "k", "g", "https://a/1", "T", NOW, "fp", "failed", "404")
    store.upsert_entry(entry, now=NOW, article_id=None)
    store.upsert_entry(entry, now=NOW, article_id=None)
    seen = store.seen_entry(1, "k")
    assert seen is not None and seen.attempts == 2 and seen.status == "failed"
    assert store.list_sources()[0].entries == 1


def test_search_revisions_raw_pages_and_backup(store: Store, tmp_path: Path) -> None:
    """FTS finds words; revisions are kept; raw pages are compressed and prunable; backup works."""
    aid = store.insert_article(article("https://a/1"), source_id=None, guid=None, text_hash="h1",
                               now=NOW, duplicate_of=None)  # fmt: skip
    store.add_revision(aid, article("https://a/1", "Alibaba Cloud revenue rose 26%."),
                       text_hash="h2", diff="-34%\n+26%", now=NOW + timedelta(hours=1))  # fmt: skip
    assert [a.id for a in store.search_articles("revenue")] == [aid]
    assert store.search_articles('"; DROP TABLE articles; --') == []
    history = store.history(aid)
    assert [r.revision for r in history] == [1, 2] and history[1].diff == "-34%\n+26%"
    assert store.raw_html(aid) == b"<html>Alibaba Cloud revenue rose 26%.</html>"
    assert store.prune_raw_pages(NOW + timedelta(minutes=30)) == 1
    target = tmp_path / "backup.db"
    store.backup(target)
    copy = Store(target)
    assert copy.get_article(aid) is not None and copy.integrity_check() == "ok"
    copy.close()


def test_source_back_in_the_file_is_polled_again(store: Store) -> None:
    """A source removed from the config and declared again is re-enabled; a 410 is not."""
    store.sync_sources([SourceSpec("a", "https://a/f"), SourceSpec("b", "https://b/f")])
    store.sync_sources([SourceSpec("b", "https://b/f")])
    assert store.sync_sources([SourceSpec("a", "https://a/f"), SourceSpec("b", "https://b/f")])
    a, b = store.list_sources()
    assert a.enabled and a.status is SourceStatus.NEW and a.last_error is None
    store.record_check(
        CheckOutcome(b.id, NOW, 1, "disabled"),
        ScheduleUpdate(status=SourceStatus.DISABLED, next_check=NOW, failures=1,
                       last_error="410", last_error_kind="http_410", disable=True),
        url=b.url,
    )  # fmt: skip
    store.sync_sources([SourceSpec("a", "https://a/f"), SourceSpec("b", "https://b/f")])
    assert not store.list_sources()[1].enabled, "a 410 stays off until enabled by hand"
    assert store.set_source_enabled("b", True)
    b = store.list_sources()[1]
    assert b.enabled and b.status is SourceStatus.NEW and b.last_error is None
