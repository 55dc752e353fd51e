"""The schema the migrations build, pinned (issue 14, item 5: migrations frozen).

Each migration holds its own DDL, so editing a store module can no longer change what an old
migration built. This test pins the resulting schema (tables, columns with type, nullability,
default and key position, indexes with their columns) in ``tests/data/store/schema.txt``: an
accidental edit of a released migration fails here. A deliberate schema change is a new
migration plus a regenerated snapshot (``INGEST_REGENERATE=1``), both visible in review.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ingest.store import Store

SNAPSHOT = Path(__file__).parent / "data" / "store" / "schema.txt"


def describe(conn: sqlite3.Connection) -> str:
    """The schema as sorted lines, independent of how the DDL was written."""
    lines = []
    tables = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    ).fetchall()
    for (table,) in tables:
        for _cid, name, kind, notnull, default, pk in conn.execute(f'PRAGMA table_info("{table}")'):
            lines.append(f"{table}.{name} {kind} notnull={notnull} default={default} pk={pk}")
        for _, index, unique, origin, _partial in conn.execute(f'PRAGMA index_list("{table}")'):
            cols = ",".join(r[2] or "?" for r in conn.execute(f'PRAGMA index_info("{index}")'))
            lines.append(f"{table} index {index} unique={unique} origin={origin} ({cols})")
    return "\n".join(lines) + "\n"


def test_fresh_database_matches_the_pinned_schema(tmp_path: Path) -> None:
    """Every migration in order gives exactly the pinned schema."""
    store = Store(tmp_path / "fresh.db")
    try:
        got = describe(store.conn)
    finally:
        store.close()
    if os.environ.get("INGEST_REGENERATE") == "1":
        SNAPSHOT.write_text(got, encoding="utf-8")
    assert got == SNAPSHOT.read_text(encoding="utf-8")


def test_migrations_do_not_depend_on_live_table_functions(tmp_path: Path) -> None:
    """The tables the store modules' create_* helpers make are the ones the frozen migrations
    made (the helpers remain for tests and tools; they must not drift from the migrations)."""
    from ingest.store.alerts import create_alert_tables
    from ingest.store.findings import create_findings_tables
    from ingest.store.neardup import create_neardup_tables
    from ingest.store.stories import create_story_tables

    store = Store(tmp_path / "m.db")
    try:
        migrated = describe(store.conn)
    finally:
        store.close()
    conn = sqlite3.connect(tmp_path / "live.db")
    try:
        create_neardup_tables(conn)
        create_alert_tables(conn)
        create_findings_tables(conn)
        create_story_tables(conn)
        live = describe(conn)
    finally:
        conn.close()
    tables = {line.split(".")[0].split(" ")[0] for line in live.splitlines()}
    pinned = [ln for ln in migrated.splitlines() if ln.split(".")[0].split(" ")[0] in tables]
    # Later migrations add columns to these tables (claim_values.native): compare only what
    # the helpers create.
    assert set(live.splitlines()) <= set(pinned)
