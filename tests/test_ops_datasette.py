"""The Datasette metadata: valid JSON whose canned queries run on a real ingest database."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ops_fixtures import METRIC, seed_store

from ingest.figures import Figure
from ingest.models import ExtractedArticle
from ingest.store import Store

METADATA = Path(__file__).resolve().parent.parent / "datasette" / "metadata.json"


@pytest.fixture
def db(tmp_path: Path) -> Any:
    from ingest.store.alerts import create_alert_tables
    from ingest.store.findings import create_findings_tables

    store = Store(tmp_path / "ingest.db")
    seed_store(store)
    # The findings and alerts stages' tables, as their migrations will create them.
    create_findings_tables(store.conn)
    create_alert_tables(store.conn)
    store.close()
    conn = sqlite3.connect(tmp_path / "ingest.db")
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def queries() -> dict[str, Any]:
    meta = json.loads(METADATA.read_text(encoding="utf-8"))
    result: dict[str, Any] = meta["databases"]["ingest"]["queries"]
    return result


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_metadata_names_real_tables(db: sqlite3.Connection) -> None:
    """Every table the metadata describes exists in a freshly migrated database."""
    meta = json.loads(METADATA.read_text(encoding="utf-8"))
    described = set(meta["databases"]["ingest"]["tables"])
    assert described <= tables(db)
    assert meta["databases"]["ingest"]["tables"]["articles"]["fts_table"] in tables(db)


def test_canned_queries_declare_their_params() -> None:
    """Each :param used in a query's SQL is declared in its params list."""
    for name, q in queries().items():
        used = set(re.findall(r"(?<!:):(\w+)", q["sql"]))
        assert used == set(q.get("params", [])), name


def test_metric_history_query(db: sqlite3.Connection) -> None:
    """The metric history lists every stated value of the metric, oldest first."""
    rows = db.execute(queries()["metric_history"]["sql"], {"metric": METRIC, "subject": ""})
    got = [(r["source"], r["figure"]) for r in rows]
    assert got[0] == ("Harbour Wire", "380 billion yuan")
    assert got[-1] == ("Ledger Daily", "$53 billion")
    assert len(got) == 5


def test_conflicting_sources_query(db: sqlite3.Connection) -> None:
    """Conflicts are the findings of kind conflict (sources disagreeing at the same time), with
    what was stated, what it disagrees with and both sources; a change over time is not one."""
    conflict = {
        "figure": {"text": "32", "source": "Lantern Markets", "sentence": "It runs 32 regions."},
        "article_url": "https://lantern.test/a/9",
        "previous": [{"text": "29", "source": "Harbour Wire"}],
    }
    for kind in ("conflict", "changed"):
        db.execute(
            "INSERT INTO findings (kind, subject, metric, period, data, created_at)"
            " VALUES (?, 'Alibaba', 'regions_and_data_centres', '', ?, '2025-02-10T00:00:00Z')",
            (kind, json.dumps(conflict)),
        )
    (row,) = db.execute(queries()["conflicting_sources"]["sql"]).fetchall()
    assert row["stated"] == "32 (Lantern Markets)" and row["against"] == "29 (Harbour Wire)"


def test_latest_findings_query(db: sqlite3.Connection) -> None:
    """Latest findings come newest first with figure, quote, link and previous values."""
    record = {
        "figure": {"text": "480 billion yuan", "sentence": "Raised to 480 billion yuan."},
        "article_url": "https://harbour.test/a/3",
        "previous": [{"text": "380 billion yuan", "source": "Harbour Wire"}],
    }
    for i, kind in enumerate(("new", "changed")):
        db.execute(
            "INSERT INTO findings (kind, subject, metric, period, data, created_at)"
            " VALUES (?, 'Alibaba', ?, 'FY2025', ?, ?)",
            (kind, METRIC, json.dumps(record), f"2025-02-1{i}T00:00:00+00:00"),
        )
    sql = queries()["latest_findings"]["sql"]
    rows = db.execute(sql, {"kind": ""}).fetchall()
    assert [r["kind"] for r in rows] == ["changed", "new"]
    assert rows[0]["figure"] == "480 billion yuan"
    assert rows[0]["previous"] == "380 billion yuan (Harbour Wire)"
    assert [r["kind"] for r in db.execute(sql, {"kind": "new"})] == ["new"]


def test_other_queries_run_where_their_tables_exist(db: sqlite3.Connection) -> None:
    """Each canned query over tables this database has runs without error."""
    present = tables(db)
    ran = 0
    for q in queries().values():
        referenced = set(re.findall(r"\b(?:from|join)\s+(\w+)", q["sql"], re.IGNORECASE))
        if not referenced <= present | {"stated", "latest", "json_each"}:
            continue  # e.g. findings, before that stage's migration exists
        db.execute(q["sql"], dict.fromkeys(q.get("params", []), "")).fetchall()
        ran += 1
    assert ran == len(queries()), ran


def add_imported(db: sqlite3.Connection, url: str, text: str) -> None:
    """An article as `ingest import` stores it (no source), with one figure of METRIC."""
    path = db.execute("PRAGMA database_list").fetchone()["file"]
    when = datetime(2025, 2, 20, tzinfo=UTC)
    store = Store(Path(path))
    try:
        article = ExtractedArticle(
            url=url, canonical_url=url, title="Imported", author=None, published=when,
            language="en", text=text, extraction="feed",
        )  # fmt: skip
        start = text.index("$53 billion")
        with store.unit():
            article_id = store.insert_article(
                article, source_id=None, guid=None, text_hash=url, now=when, duplicate_of=None
            )
            store.add_figures(
                article_id, 1,
                [Figure(text="$53 billion", start=start, end=start + 11, sentence=text,
                        value=53e9, unit="USD", subject="Alibaba", metric=METRIC,
                        period="FY2025", value_usd=53e9)],
                now=when,
            )  # fmt: skip
    finally:
        store.close()


def test_metric_history_names_the_source_of_imported_articles(db: sqlite3.Connection) -> None:
    """Imported articles have no feed: metric_history names their host, or a file's URL (as the
    findings records do), instead of an empty source."""
    text = "Alibaba will spend $53 billion on AI."
    add_imported(db, "https://Wire.example:8443/q/1?x=1", text)
    add_imported(db, "file:///srv/archive/qwen.html", text)
    rows = db.execute(queries()["metric_history"]["sql"], {"metric": METRIC, "subject": ""})
    sources = [r["source"] for r in rows]
    assert sources[-2:] == ["wire.example", "file:///srv/archive/qwen.html"]
    assert sources[0] == "Harbour Wire"  # a feed's article keeps its source name


def test_article_search_is_raw_fts5(db: sqlite3.Connection) -> None:
    """The articles table asks Datasette for raw search, so the FTS5 syntax the docs show
    (prefix, NEAR, phrases with AND/OR) reaches SQLite as written; and those queries find the
    articles they should in a real ingest database."""
    meta = json.loads(METADATA.read_text(encoding="utf-8"))
    articles = meta["databases"]["ingest"]["tables"]["articles"]
    assert articles["searchmode"] == "raw"
    add_imported(db, "https://wire.example/q/2", "Alibaba cloud launched Qwen3; $53 billion.")

    def search(query: str) -> list[str]:
        # What Datasette runs for ?_search= in raw mode: the query as the MATCH operand.
        sql = (
            f"SELECT a.url FROM articles a WHERE a.id IN (SELECT rowid FROM"
            f" {articles['fts_table']} WHERE {articles['fts_table']} MATCH :search)"
        )
        return [r["url"] for r in db.execute(sql, {"search": query})]

    assert search("Qwen*") == ["https://wire.example/q/2"]
    assert search("NEAR(Alibaba cloud, 5)") == ["https://wire.example/q/2"]
    assert search('"Alibaba cloud" AND Qwen3') == ["https://wire.example/q/2"]
    assert search("NEAR(Alibaba Qwen3, 0)") == []
