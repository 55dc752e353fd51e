"""Claims (the current value of each claim key) and findings: tables and queries.

``claims`` holds one row per claim key with its current value denormalised, so deciding about
a figure reads one small row set instead of scanning every stored figure. ``claim_values``
keeps every value a claim has had (current, contenders raised by a conflict, previous) with the
sources that stated it. ``findings`` holds each finding's JSON as it was when made.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingest.figures import Figure
from ingest.findings.claims import ClaimKey, Interval
from ingest.findings.compare import KnownClaim, KnownValue, Observation, ValueStatus
from ingest.findings.model import FigureRef, Finding, finding_to_dict
from ingest.models import from_iso, to_iso
from ingest.store.base import StoreBase
from ingest.store.figures import _SELECT as _FIGURE_SELECT
from ingest.store.figures import _stored
from ingest.store.rows import Row

SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,                      -- '' when the text names none
    metric TEXT NOT NULL,
    period TEXT NOT NULL,                       -- normalised; '' when none
    current_value_id INTEGER,
    current_low REAL,                           -- interval of the current value, in basis units
    current_high REAL,
    basis TEXT,                                 -- USD for converted money, else the unit
    current_value REAL,                         -- as written, in unit
    current_unit TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    UNIQUE (subject, metric, period)
);
CREATE TABLE IF NOT EXISTS claim_values (
    id INTEGER PRIMARY KEY,
    claim_id INTEGER NOT NULL REFERENCES claims (id),
    status TEXT NOT NULL,                       -- current | contender | previous
    low REAL NOT NULL,
    high REAL NOT NULL,
    basis TEXT NOT NULL,
    currencies TEXT NOT NULL,                   -- JSON list
    figure TEXT NOT NULL,                       -- JSON: the figure that first stated it
    figure_id INTEGER REFERENCES figures (id),
    sources TEXT NOT NULL,                      -- JSON list, one {source, article_id,
                                                --   article_url, published} per distinct source
    mentions INTEGER NOT NULL DEFAULT 1,        -- statements seen, all sources
    first_seen TEXT NOT NULL,                   -- publication time of the first statement
    as_of TEXT NOT NULL,                        -- publication time of the newest statement
    last_seen TEXT NOT NULL                     -- when we last saw it stated
);
CREATE INDEX IF NOT EXISTS claim_values_claim ON claim_values (claim_id, status);
CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT,
    metric TEXT NOT NULL,
    period TEXT,
    claim_id INTEGER REFERENCES claims (id),
    value_id INTEGER REFERENCES claim_values (id),
    article_id INTEGER REFERENCES articles (id),
    figure_id INTEGER REFERENCES figures (id),
    data TEXT NOT NULL,                         -- the JSON record (docs/findings.md)
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_created ON findings (created_at);
CREATE INDEX IF NOT EXISTS findings_metric ON findings (metric, subject);
"""


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding as stored: its JSON record and, when it names a claim value, the sources of
    that value's statements (one per distinct source, first first) and how many there were."""

    id: int
    record: Mapping[str, Any]
    sources: tuple[str, ...] | None
    mentions: int | None


def create_findings_tables(db: Any) -> None:
    """Create the claims, claim_values and findings tables (called from a migration).

    Takes the sqlite-utils ``Database``: its ``executescript`` runs inside the migration's
    transaction, where ``sqlite3.Connection.executescript`` would commit it half-way.
    """
    db.executescript(SCHEMA)


def _ref_from_json(data: dict[str, Any]) -> FigureRef:
    names = Figure.__dataclass_fields__
    figure = Figure(**{k: v for k, v in data.items() if k in names})
    return FigureRef(
        figure=figure, article_id=int(data["article_id"]), article_url=str(data["article_url"]),
        source=data.get("source"), published=from_iso(data.get("published")),
        figure_id=data.get("figure_id"),
    )  # fmt: skip


def _ref_json(ref: FigureRef, confidence: float = 1.0, cues: Sequence[str] = ()) -> str:
    return json.dumps(
        {**ref.to_dict(), "figure_id": ref.figure_id, "claim_confidence": confidence,
         "claim_cues": list(cues)},
        ensure_ascii=False,
    )  # fmt: skip


def _value(row: Row) -> KnownValue:
    first_seen, as_of = from_iso(row["first_seen"]), from_iso(row["as_of"])
    assert first_seen is not None and as_of is not None
    sources = tuple(dict.fromkeys(s["source"] for s in json.loads(row["sources"])))
    native = json.loads(row["native"]) if row["native"] else None
    interval = Interval(
        row["low"], row["high"], row["basis"], frozenset(json.loads(row["currencies"])),
        (float(native[0]), float(native[1]), str(native[2])) if native else None,
    )  # fmt: skip
    status: ValueStatus = row["status"]
    data = json.loads(row["figure"])
    return KnownValue(
        id=row["id"], ref=_ref_from_json(data), interval=interval,
        sources=sources, first_seen=first_seen, as_of=as_of, status=status,
        confidence=float(data.get("claim_confidence", 1.0)),
        cues=tuple(data.get("claim_cues", ())),
    )  # fmt: skip


def _source_entry(obs: Observation) -> dict[str, Any]:
    return {
        "source": obs.source,
        "article_id": obs.ref.article_id,
        "article_url": obs.ref.article_url,
        "published": to_iso(obs.when),
    }


class FindingQueries(StoreBase):
    """Claims and findings. Every write here belongs inside the caller's transaction."""

    def revision_figures(self, article_id: int, revision: int) -> list[FigureRef]:
        """The figures stored for one revision of an article, in text order."""
        rows = self._rows(
            _FIGURE_SELECT + " WHERE f.article_id = ? AND f.revision = ? ORDER BY f.position",
            (article_id, revision),
        )
        refs = []
        for row in rows:
            stored = _stored(row)
            refs.append(
                FigureRef(
                    figure=stored.figure,
                    article_id=stored.article_id,
                    article_url=stored.article_url,
                    source=stored.source,
                    published=stored.published,
                    figure_id=stored.id,
                )
            )
        return refs

    def previous_revision_with_figures(self, article_id: int, revision: int) -> int | None:
        """The newest revision before ``revision`` that went through the extractor."""
        row = self._one(
            "SELECT MAX(revision) FROM figure_runs WHERE article_id = ? AND revision < ?",
            (article_id, revision),
        )
        return int(row[0]) if row and row[0] is not None else None

    def article_row_facts(self, article_id: int) -> tuple[datetime | None, str | None, str]:
        """An article's fetch time, where its date came from, and its current text."""
        row = self._one(
            "SELECT fetched_at, published_source, text FROM articles WHERE id = ?", (article_id,)
        )
        if row is None:
            return None, None, ""
        return from_iso(row["fetched_at"]), row["published_source"], row["text"] or ""

    def claims_for(
        self, subject: str, metric: str, *, period: str = "", previous_limit: int = 5,
        claim_limit: int = 50,
    ) -> list[KnownClaim]:  # fmt: skip
        """The claims of a subject and metric that a figure of ``period`` may be about, each with
        its current value, contenders and newest ``previous_limit`` previous values.

        With a period, those of the same period or of none; without one, every period, most
        recently seen first, at most ``claim_limit`` of them: a metric stated for a hundred
        fiscal years must not make each new figure read a hundred claims.
        """
        if period:
            claims = self._rows(
                "SELECT * FROM claims WHERE subject = ? AND metric = ? AND period IN (?, '')"
                " ORDER BY id",
                (subject, metric, period),
            )
        else:
            claims = self._rows(
                "SELECT * FROM (SELECT * FROM claims WHERE subject = ? AND metric = ?"
                " ORDER BY last_seen DESC, id DESC LIMIT ?) ORDER BY id",
                (subject, metric, claim_limit),
            )
        if not claims:
            return []
        ids = [c["id"] for c in claims]
        marks = ",".join("?" * len(ids))
        # One query for all the claims' values. Previous values are history that only grows:
        # the newest few are all a finding carries, so only those are read.
        values = self._rows(
            f"""SELECT * FROM (
                  SELECT cv.*, ROW_NUMBER() OVER (
                    PARTITION BY claim_id, status = 'previous' ORDER BY as_of DESC, id DESC
                  ) AS newest
                  FROM claim_values cv WHERE claim_id IN ({marks}))
                WHERE status != 'previous' OR newest <= ?
                ORDER BY id""",
            (*ids, previous_limit),
        )
        by_claim: dict[int, list[sqlite3.Row]] = {i: [] for i in ids}
        for v in values:
            by_claim[v["claim_id"]].append(v)
        out = []
        for claim in claims:
            last_seen = from_iso(claim["last_seen"])
            assert last_seen is not None
            key = ClaimKey(claim["subject"], claim["metric"], claim["period"])
            found = tuple(_value(v) for v in by_claim[claim["id"]])
            out.append(KnownClaim(claim["id"], key, found, last_seen))
        return out

    def set_figure_claim(
        self, figure_id: int, claim_id: int | None, confidence: float, cues: Sequence[str]
    ) -> None:
        """Record which claim a figure was judged under (inside the article's transaction)."""
        self._execute(
            "UPDATE figures SET claim_id = ?, claim_confidence = ?, claim_cues = ? WHERE id = ?",
            (claim_id, confidence, json.dumps(list(cues)), figure_id),
        )

    def series_claims(self, subject: str, metric: str, *, limit: int = 12) -> list[KnownClaim]:
        """The claims of a subject and metric that have a period, most recently seen first
        among :meth:`claims_for`'s (the other periods of a series)."""
        found = self.claims_for(subject, metric, previous_limit=0, claim_limit=limit)
        return [c for c in found if c.key.period]

    def trim_contenders(self, claim_id: int, *, keep: int) -> None:
        """Turn all but the newest ``keep`` contenders of a claim into previous values."""
        self._execute(
            """UPDATE claim_values SET status = 'previous'
               WHERE claim_id = ? AND status = 'contender' AND id NOT IN (
                 SELECT id FROM claim_values WHERE claim_id = ? AND status = 'contender'
                 ORDER BY as_of DESC, id DESC LIMIT ?)""",
            (claim_id, claim_id, keep),
        )

    def create_claim(self, key: ClaimKey, *, now: datetime) -> int:
        stamp = to_iso(now)
        return self._write(
            "INSERT INTO claims (subject, metric, period, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?)",
            (key.subject, key.metric, key.period, stamp, stamp),
        )

    def add_claim_value(
        self, claim_id: int, obs: Observation, status: ValueStatus, *, now: datetime
    ) -> int:
        """Store a value first stated by ``obs``; a ``current`` one replaces the current value."""
        when = to_iso(obs.when)
        iv = obs.interval
        value_id = self._write(
            """INSERT INTO claim_values (claim_id, status, low, high, basis, currencies, figure,
                 figure_id, sources, first_seen, as_of, last_seen)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (claim_id, status, iv.low, iv.high, iv.basis, json.dumps(sorted(iv.currencies)),
             _ref_json(obs.ref, obs.confidence, obs.cues), obs.ref.figure_id,
             json.dumps([_source_entry(obs)]), when, when, to_iso(now)),
        )  # fmt: skip
        if status == "current":
            self.set_current(claim_id, value_id, now=now)
        else:
            self._touch(claim_id, now)
        return value_id

    def set_current(self, claim_id: int, value_id: int, *, now: datetime) -> None:
        """Make a value current; the old current value and all contenders become previous."""
        self._write(
            "UPDATE claim_values SET status = 'previous' WHERE claim_id = ? AND id != ?"
            " AND status IN ('current', 'contender')",
            (claim_id, value_id),
        )
        row = self._one("SELECT * FROM claim_values WHERE id = ?", (value_id,))
        if row is None:
            return
        figure = json.loads(row["figure"])
        self._write(
            """UPDATE claims SET current_value_id = ?, current_low = ?, current_high = ?,
                 basis = ?, current_value = ?, current_unit = ?, last_seen = ? WHERE id = ?""",
            (value_id, row["low"], row["high"], row["basis"], figure["value"], figure["unit"],
             to_iso(now), claim_id),
        )  # fmt: skip
        self._write("UPDATE claim_values SET status = 'current' WHERE id = ?", (value_id,))

    def corroborate(
        self, value_id: int, obs: Observation, *, now: datetime,
        native: tuple[float, float, str] | None = None,
    ) -> None:  # fmt: skip
        """Add ``obs``'s source to a value's statements; its as_of moves to the newest.
        ``native``: the value's interval as the statements now leave it."""
        row = self._one(
            "SELECT claim_id, sources, as_of FROM claim_values WHERE id = ?", (value_id,)
        )
        if row is None:
            return
        sources = json.loads(row["sources"])
        entry = _source_entry(obs)
        # One entry per distinct source (its first statement): the list stays as long as the
        # number of outlets, however often they repeat a number; ``mentions`` counts the rest.
        if all(s["source"] != entry["source"] for s in sources):
            sources.append(entry)
        as_of = max(row["as_of"], entry["published"] or row["as_of"])
        self._write(
            """UPDATE claim_values SET sources = ?, as_of = ?, last_seen = ?,
                 mentions = mentions + 1, native = COALESCE(?, native) WHERE id = ?""",
            (json.dumps(sources, ensure_ascii=False), as_of, to_iso(now),
             json.dumps(list(native)) if native else None, value_id),
        )  # fmt: skip
        self._touch(int(row["claim_id"]), now)

    def value_sources(self, value_id: int) -> tuple[str, ...]:
        """The distinct sources that have stated a value, first first."""
        row = self._one("SELECT sources FROM claim_values WHERE id = ?", (value_id,))
        if row is None:
            return ()
        return tuple(dict.fromkeys(s["source"] for s in json.loads(row["sources"])))

    def _touch(self, claim_id: int, now: datetime) -> None:
        self._write("UPDATE claims SET last_seen = ? WHERE id = ?", (to_iso(now), claim_id))

    def add_finding(
        self, finding: Finding, *, value_id: int | None, figure_id: int | None,
        article_id: int | None,
    ) -> int:  # fmt: skip
        """Store a finding; returns its id."""
        data = finding_to_dict(finding)
        return self._write(
            """INSERT INTO findings (kind, subject, metric, period, claim_id, value_id, article_id,
                 figure_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (finding.kind.value, finding.subject, finding.metric, finding.period,
             finding.claim_id, value_id, article_id, figure_id,
             json.dumps(data, ensure_ascii=False), to_iso(finding.created_at)),
        )  # fmt: skip

    def list_findings(
        self, *, kind: str | None = None, metric: str | None = None,
        subject: str | None = None, since: datetime | None = None, limit: int = 1000,
    ) -> list[StoredFinding]:  # fmt: skip
        """Findings as stored, newest first, each with its value's statements as of now (the
        findings stage counts them: :func:`ingest.findings.listing.finding_records`)."""
        where = ["1 = 1"]
        params: list[object] = []
        for column, wanted in (("f.kind", kind), ("f.metric", metric)):
            if wanted:
                where.append(f"{column} = ?")
                params.append(wanted)
        if subject:
            where.append("f.subject = ? COLLATE NOCASE")
            params.append(subject)
        if since:
            where.append("f.created_at >= ?")
            params.append(to_iso(since))
        rows = self._rows(
            f"""SELECT f.id, f.data, v.sources, v.mentions FROM findings f
                LEFT JOIN claim_values v ON v.id = f.value_id
                WHERE {" AND ".join(where)} ORDER BY f.id DESC LIMIT ?""",
            (*params, limit),
        )
        return [
            StoredFinding(
                id=row["id"],
                record=json.loads(row["data"]),
                sources=(
                    tuple(s["source"] for s in json.loads(row["sources"]))
                    if row["sources"] is not None
                    else None
                ),
                mentions=row["mentions"],
            )
            for row in rows
        ]
