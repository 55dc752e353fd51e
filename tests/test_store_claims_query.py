"""``claims_for`` reads a claim's newest previous values by index: the same values as the
query it replaced (a window function over every value of the claim), on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.figures import extract_figures, load_figure_settings
from ingest.findings.model import FigureRef
from ingest.store import Store

FIGURE = extract_figures("Alibaba said cloud revenue rose 5% in 2025.", load_figure_settings())[0]
FIGURE_JSON = json.dumps(
    FigureRef(FIGURE, article_id=1, article_url="https://a.example/1", source="a", published=None)
    .to_dict()
)  # fmt: skip
SOURCES = json.dumps([{"source": "a", "article_id": 1, "article_url": "u", "published": None}])
PERIODS = ("", "2025", "2026")


def reference_value_ids(
    conn: sqlite3.Connection, claim_ids: list[int], previous_limit: int
) -> list[int]:
    """The query ``claims_for`` ran before: every value of the claims, ranked, then cut."""
    marks = ",".join("?" * len(claim_ids))
    rows = conn.execute(
        f"""SELECT id FROM (
              SELECT cv.*, ROW_NUMBER() OVER (
                PARTITION BY claim_id, status = 'previous' ORDER BY as_of DESC, id DESC
              ) AS newest
              FROM claim_values cv WHERE claim_id IN ({marks}))
            WHERE status != 'previous' OR newest <= ?
            ORDER BY id""",
        (*claim_ids, previous_limit),
    ).fetchall()
    return [int(r[0]) for r in rows]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = Store(tmp_path_factory.mktemp("claims") / "claims.db")
    yield s
    s.close()


# One value: (claim index, status, day of as_of). Few days, so as_of ties are common and the
# id must break them as before.
VALUES = st.lists(
    st.tuples(
        st.integers(0, len(PERIODS) - 1),
        st.sampled_from(["current", "contender", "previous", "previous"]),
        st.integers(1, 4),
    ),
    max_size=40,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=VALUES, previous_limit=st.integers(0, 6), period=st.sampled_from(PERIODS))
def test_bounded_query_returns_the_values_of_the_window_query(
    store: Store, values: list[tuple[int, str, int]], previous_limit: int, period: str
) -> None:
    conn = store.conn
    with store.unit():
        conn.execute("DELETE FROM claim_values")
        conn.execute("DELETE FROM claims")
        claim_ids = [
            int(
                conn.execute(
                    "INSERT INTO claims (subject, metric, period, first_seen, last_seen)"
                    " VALUES ('Alibaba', 'revenue', ?, ?, ?)",
                    (p, f"2026-01-0{i + 1}T00:00:00Z", f"2026-01-0{i + 1}T00:00:00Z"),
                ).lastrowid
                or 0
            )
            for i, p in enumerate(PERIODS)
        ]
        for claim, status, day in values:
            stamp = f"2026-02-0{day}T00:00:00Z"
            conn.execute(
                """INSERT INTO claim_values (claim_id, status, low, high, basis, currencies,
                     figure, sources, first_seen, as_of, last_seen)
                   VALUES (?, ?, 5, 5, '%', '[]', ?, ?, ?, ?, ?)""",
                (claim_ids[claim], status, FIGURE_JSON, SOURCES, stamp, stamp, stamp),
            )
    found = store.claims_for("Alibaba", "revenue", period=period, previous_limit=previous_limit)
    wanted_claims = [c for c, p in zip(claim_ids, PERIODS, strict=True) if p in (period, "")]
    if not period:
        wanted_claims = claim_ids
    assert sorted(c.id for c in found) == wanted_claims
    got = sorted(v.id for c in found for v in c.values)
    assert got == reference_value_ids(conn, wanted_claims, previous_limit)
    for claim in found:
        assert all(v.status in ("current", "contender", "previous") for v in claim.values)
        assert [v.id for v in claim.values] == sorted(v.id for v in claim.values)
