"""Claims, their values and findings, on PostgreSQL (see ``store/findings.py``).

Inside a unit of work, :meth:`claims_for` takes a transaction lock on its (subject, metric):
two workers judging figures of the same claim take turns, so the second sees the claim or value
the first created, as SQLite's single writer guarantees, instead of creating it twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from psycopg.rows import DictRow

from ingest.findings.claims import ClaimKey
from ingest.findings.compare import KnownClaim, Observation, ValueStatus
from ingest.findings.model import FigureRef, Finding, finding_to_dict
from ingest.models import from_iso, to_iso
from ingest.store.figures import _SELECT as _FIGURE_SELECT
from ingest.store.figures import _stored
from ingest.store.findings import StoredFinding, _ref_json, _source_entry, _value
from ingest.store.postgres.base import PostgresBase


class PgFindingQueries(PostgresBase):
    def revision_figures(self, article_id: int, revision: int) -> list[FigureRef]:
        rows = self._rows(
            _FIGURE_SELECT + " WHERE f.article_id = %s AND f.revision = %s ORDER BY f.position",
            (article_id, revision),
        )
        return [
            FigureRef(figure=s.figure, article_id=s.article_id, article_url=s.article_url,
                      source=s.source, published=s.published, figure_id=s.id)
            for s in map(_stored, rows)
        ]  # fmt: skip

    def previous_revision_with_figures(self, article_id: int, revision: int) -> int | None:
        row = self._one(
            "SELECT MAX(revision) AS revision FROM figure_runs"
            " WHERE article_id = %s AND revision < %s",
            (article_id, revision),
        )
        return int(row["revision"]) if row and row["revision"] is not None else None

    def article_row_facts(self, article_id: int) -> tuple[datetime | None, str | None, str]:
        row = self._one(
            "SELECT fetched_at, published_source, text FROM articles WHERE id = %s", (article_id,)
        )
        if row is None:
            return None, None, ""
        return from_iso(row["fetched_at"]), row["published_source"], row["text"] or ""

    def claims_for(
        self, subject: str, metric: str, *, period: str = "", previous_limit: int = 5,
        claim_limit: int = 50,
    ) -> list[KnownClaim]:  # fmt: skip
        with self._atomic():
            if self.in_unit:
                self._one(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0)) AS locked",
                    (f"claims\x1f{subject}\x1f{metric}",),
                )
            if period:
                claims = self._rows(
                    "SELECT * FROM claims WHERE subject = %s AND metric = %s"
                    " AND period IN (%s, '') ORDER BY id",
                    (subject, metric, period),
                )
            else:
                claims = self._rows(
                    "SELECT * FROM (SELECT * FROM claims WHERE subject = %s AND metric = %s"
                    " ORDER BY last_seen DESC, id DESC LIMIT %s) AS recent ORDER BY id",
                    (subject, metric, claim_limit),
                )
            if not claims:
                return []
            ids = [c["id"] for c in claims]
            values = self._rows(
                """SELECT * FROM (
                      SELECT cv.*, ROW_NUMBER() OVER (
                        PARTITION BY claim_id, status = 'previous' ORDER BY as_of DESC, id DESC
                      ) AS newest
                      FROM claim_values cv WHERE claim_id = ANY(%s::bigint[])) AS v
                    WHERE status != 'previous' OR newest <= %s
                    ORDER BY id""",
                (ids, previous_limit),
            )
        by_claim: dict[int, list[DictRow]] = {i: [] for i in ids}
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
        self._count(
            "UPDATE figures SET claim_id = %s, claim_confidence = %s, claim_cues = %s"
            " WHERE id = %s",
            (claim_id, confidence, json.dumps(list(cues)), figure_id),
        )

    def series_claims(self, subject: str, metric: str, *, limit: int = 12) -> list[KnownClaim]:
        found = self.claims_for(subject, metric, previous_limit=0, claim_limit=limit)
        return [c for c in found if c.key.period]

    def trim_contenders(self, claim_id: int, *, keep: int) -> None:
        self._count(
            """UPDATE claim_values SET status = 'previous'
               WHERE claim_id = %s AND status = 'contender' AND id NOT IN (
                 SELECT id FROM claim_values WHERE claim_id = %s AND status = 'contender'
                 ORDER BY as_of DESC, id DESC LIMIT %s)""",
            (claim_id, claim_id, keep),
        )

    def create_claim(self, key: ClaimKey, *, now: datetime) -> int:
        stamp = to_iso(now)
        return self._insert(
            "INSERT INTO claims (subject, metric, period, first_seen, last_seen)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (key.subject, key.metric, key.period, stamp, stamp),
        )

    def add_claim_value(
        self, claim_id: int, obs: Observation, status: ValueStatus, *, now: datetime
    ) -> int:
        when = to_iso(obs.when)
        iv = obs.interval
        with self._atomic():
            value_id = self._insert(
                """INSERT INTO claim_values (claim_id, status, low, high, basis, currencies,
                     figure, figure_id, sources, first_seen, as_of, last_seen)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
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
        with self._atomic():
            self._count(
                "UPDATE claim_values SET status = 'previous' WHERE claim_id = %s AND id != %s"
                " AND status IN ('current', 'contender')",
                (claim_id, value_id),
            )
            row = self._one("SELECT * FROM claim_values WHERE id = %s", (value_id,))
            if row is None:
                return
            figure = json.loads(row["figure"])
            self._count(
                """UPDATE claims SET current_value_id = %s, current_low = %s, current_high = %s,
                     basis = %s, current_value = %s, current_unit = %s, last_seen = %s
                   WHERE id = %s""",
                (value_id, row["low"], row["high"], row["basis"], figure["value"],
                 figure["unit"], to_iso(now), claim_id),
            )  # fmt: skip
            self._count("UPDATE claim_values SET status = 'current' WHERE id = %s", (value_id,))

    def corroborate(
        self, value_id: int, obs: Observation, *, now: datetime,
        native: tuple[float, float, str] | None = None,
    ) -> None:  # fmt: skip
        with self._atomic():
            row = self._one(
                "SELECT claim_id, sources, as_of FROM claim_values WHERE id = %s FOR UPDATE",
                (value_id,),
            )
            if row is None:
                return
            sources = json.loads(row["sources"])
            entry = _source_entry(obs)
            if all(s["source"] != entry["source"] for s in sources):
                sources.append(entry)
            as_of = max(row["as_of"], entry["published"] or row["as_of"])
            self._count(
                """UPDATE claim_values SET sources = %s, as_of = %s, last_seen = %s,
                     mentions = mentions + 1, native = COALESCE(%s, native) WHERE id = %s""",
                (json.dumps(sources, ensure_ascii=False), as_of, to_iso(now),
                 json.dumps(list(native)) if native else None, value_id),
            )  # fmt: skip
            self._touch(int(row["claim_id"]), now)

    def value_sources(self, value_id: int) -> tuple[str, ...]:
        row = self._one("SELECT sources FROM claim_values WHERE id = %s", (value_id,))
        if row is None:
            return ()
        return tuple(dict.fromkeys(s["source"] for s in json.loads(row["sources"])))

    def _touch(self, claim_id: int, now: datetime) -> None:
        self._count("UPDATE claims SET last_seen = %s WHERE id = %s", (to_iso(now), claim_id))

    def add_finding(
        self, finding: Finding, *, value_id: int | None, figure_id: int | None,
        article_id: int | None,
    ) -> int:  # fmt: skip
        data = finding_to_dict(finding)
        return self._insert(
            """INSERT INTO findings (kind, subject, metric, period, claim_id, value_id,
                 article_id, figure_id, data, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (finding.kind.value, finding.subject, finding.metric, finding.period,
             finding.claim_id, value_id, article_id, figure_id,
             json.dumps(data, ensure_ascii=False), to_iso(finding.created_at)),
        )  # fmt: skip

    def list_findings(
        self, *, kind: str | None = None, metric: str | None = None,
        subject: str | None = None, since: datetime | None = None, limit: int = 1000,
    ) -> list[StoredFinding]:  # fmt: skip
        """Findings as stored, newest first, each with its value's statements as of now (as
        the SQLite store: the findings stage counts them)."""
        where = ["TRUE"]
        params: list[object] = []
        for column, wanted in (("f.kind", kind), ("f.metric", metric)):
            if wanted:
                where.append(f"{column} = %s")
                params.append(wanted)
        if subject:
            where.append("lower(f.subject) = lower(%s)")
            params.append(subject)
        if since:
            where.append("f.created_at >= %s")
            params.append(to_iso(since))
        rows = self._rows(
            f"""SELECT f.id, f.data, v.sources, v.mentions FROM findings f
                LEFT JOIN claim_values v ON v.id = f.value_id
                WHERE {" AND ".join(where)} ORDER BY f.id DESC LIMIT %s""",
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
