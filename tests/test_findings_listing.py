"""Findings as JSON records: corroborations counted from the value's statements."""

from __future__ import annotations

from ingest.findings.listing import finding_record
from ingest.store.findings import StoredFinding

RECORD = {"kind": "new", "metric": "cloud_revenue", "corroborations": 0}


def test_counts_distinct_sources_first_first() -> None:
    stored = StoredFinding(7, RECORD, ("Wire", "Daily", "Wire"), 5)
    out = finding_record(stored)
    assert out["id"] == 7 and out["corroborations"] == 2
    assert out["corroborating_sources"] == ["Wire", "Daily"] and out["mentions"] == 5
    assert RECORD["corroborations"] == 0, "the stored record is not changed"


def test_finding_without_a_value_keeps_its_record() -> None:
    """A `revised` finding about a removed figure names no value: its record stands as stored."""
    out = finding_record(StoredFinding(3, RECORD, None, None))
    assert out == {**RECORD, "id": 3}
