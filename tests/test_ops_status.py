"""`ingest status` screen: sources by state, polls, today's articles, findings and alerts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from ops_fixtures import T0, seed_store

from ingest.models import CheckOutcome, SourceStatus
from ingest.ops.status import format_status, gather_status
from ingest.store import ScheduleUpdate, Store
from ingest.store.ops import probe_writable


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store(tmp_path / "status.db")
    seed_store(s)
    yield s
    s.close()


def fail(store: Store, name: str, when: Any, error: str = "timeout: read timed out") -> None:
    source = next(s for s in store.list_sources() if s.name == name)
    store.record_check(
        CheckOutcome(source.id, when, 10, "error", error_kind="timeout", error=error),
        ScheduleUpdate(
            status=SourceStatus.FAILING, next_check=when + timedelta(minutes=5), failures=1,
            last_error=error, last_error_kind="timeout",
        ),
        url=source.url,
    )  # fmt: skip


def succeed(store: Store, name: str, when: Any) -> None:
    source = next(s for s in store.list_sources() if s.name == name)
    store.record_check(
        CheckOutcome(source.id, when, 10, "not_modified", 304),
        ScheduleUpdate(
            status=SourceStatus.OK, next_check=when + timedelta(minutes=30), failures=0,
            success=True,
        ),
        url=source.url,
    )  # fmt: skip


def test_source_summary_counts_and_times(store: Store) -> None:
    """The summary counts sources by state and finds the latest check and success."""
    now = T0 + timedelta(days=11)
    succeed(store, "Harbour Wire", now - timedelta(hours=2))
    fail(store, "Ledger Daily", now - timedelta(hours=1))
    summary = store.source_summary()
    assert summary.by_status == {"ok": 1, "failing": 1}
    assert summary.failing == 1
    assert summary.last_checked == now - timedelta(hours=1)
    assert summary.last_success == now - timedelta(hours=2)
    assert summary.next_check == now - timedelta(hours=2) + timedelta(minutes=30)  # earliest


def test_status_screen(store: Store) -> None:
    """The screen shows states, last success, today's articles, failures and the failing table."""
    now = T0 + timedelta(days=10, hours=1)
    succeed(store, "Harbour Wire", now - timedelta(hours=2))
    fail(store, "Ledger Daily", now - timedelta(minutes=30))
    lines = format_status(gather_status(store, now))
    text = "\n".join(lines)
    assert "sources      2: 1 failing, 1 ok" in text
    assert "(2.0 h ago)" in text
    assert "last 24 h    1 articles (1 new stories)" in text
    assert "1 failed checks: 1 timeout" in text
    assert any(line.startswith("Ledger Daily") and "read timed out" in line for line in lines)


def test_status_on_a_database_without_findings_or_outbox(store: Store) -> None:
    """A database from before the findings and alerts stages says "not recorded" for them."""
    for table in ("alert_deliveries", "findings"):
        store.conn.execute(f"DROP TABLE IF EXISTS {table}")
    text = "\n".join(format_status(gather_status(store, T0)))
    assert "findings     not recorded" in text
    assert "alerts       not recorded" in text


def test_status_reads_findings_and_alerts_when_present(store: Store) -> None:
    """With the findings and outbox tables, the screen counts findings by kind and deliveries."""
    from ingest.store.alerts import create_alert_tables
    from ingest.store.findings import create_findings_tables

    create_findings_tables(store.conn)
    create_alert_tables(store.conn)
    now = T0 + timedelta(days=20)
    for kind, age in (("new", 1), ("changed", 2), ("changed", 3), ("new", 30)):
        store.conn.execute(
            "INSERT INTO findings (kind, metric, data, created_at) VALUES (?, 'm', '{}', ?)",
            (kind, (now - timedelta(hours=age)).isoformat()),
        )
    store.conn.execute(
        "INSERT INTO alerts (id, uid, kind, finding, created_at) VALUES (1, 'u', 'new', '{}', ?)",
        (now.isoformat(),),
    )
    for i, status in enumerate(("pending", "pending", "dead", "disabled", "sent")):
        store.conn.execute(
            "INSERT INTO alert_deliveries (alert_id, target, status, next_attempt, horizon_from)"
            " VALUES (1, ?, ?, ?, ?)",
            (f"t{i}", status, now.isoformat(), now.isoformat()),
        )
    text = "\n".join(format_status(gather_status(store, now)))
    assert "findings     3 in the last 24 h: 2 changed, 1 new" in text
    assert "alerts       2 pending, 2 failed (dead or target disabled), 1 sent" in text


def test_probe_writable(store: Store, tmp_path: Path) -> None:
    """The write probe passes on a normal file and names the problem otherwise."""
    assert probe_writable(store.path) is None
    missing = probe_writable(str(tmp_path / "nope" / "x.db"), timeout_s=0.1)
    assert missing is not None and "unable to open" in missing
