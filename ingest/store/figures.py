"""Figures of each article revision."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ingest.figures import Figure
from ingest.models import from_iso, to_iso
from ingest.store.base import StoreBase
from ingest.store.rows import Row


@dataclass(frozen=True, slots=True)
class StoredFigure:
    """A figure as stored: the record plus where it was found."""

    id: int
    article_id: int
    revision: int
    position: int  # order in the revision's text; what another figure's equivalent_of names
    figure: Figure
    article_url: str
    published: datetime | None
    source: str | None
    duplicate_of: int | None
    created_at: datetime
    # The claim the findings stage judged it under, how sure that match is, and why.
    claim_id: int | None = None
    claim_confidence: float | None = None
    claim_cues: tuple[str, ...] = ()


def _stored(row: Row) -> StoredFigure:
    figure = Figure(
        text=row["text"], start=row["start"], end=row["end"], sentence=row["sentence"],
        value=row["value"], unit=row["unit"], noun=row["noun"], qualifier=row["qualifier"],
        low=row["low"], high=row["high"], subject=row["subject"], metric=row["metric"],
        period=row["period"], equivalent_of=row["equivalent_of"], value_usd=row["value_usd"],
    )  # fmt: skip
    created = from_iso(row["created_at"])
    assert created is not None
    return StoredFigure(
        id=row["id"], article_id=row["article_id"], revision=row["revision"],
        position=row["position"], figure=figure,
        article_url=row["url"], published=from_iso(row["published"]), source=row["source_name"],
        duplicate_of=row["duplicate_of"], created_at=created, claim_id=row["claim_id"],
        claim_confidence=row["claim_confidence"],
        claim_cues=tuple(json.loads(row["claim_cues"])) if row["claim_cues"] else (),
    )  # fmt: skip


_SELECT = """
    SELECT f.*, a.url, a.published, a.duplicate_of, s.name AS source_name
    FROM figures f JOIN articles a ON a.id = f.article_id
    LEFT JOIN sources s ON s.id = a.source_id
"""


class FigureQueries(StoreBase):
    def add_figures(
        self, article_id: int, revision: int, figures: Sequence[Figure], *, now: datetime
    ) -> None:
        """Store the figures of one revision of an article (call inside its transaction).

        ``equivalent_of`` is stored as the position in the same list, as the extractor gives it.
        """
        stamp = to_iso(now)
        self._executemany(
            """INSERT INTO figures (article_id, revision, position, text, start, "end", sentence,
                 value, unit, noun, qualifier, low, high, subject, metric, period, equivalent_of,
                 value_usd, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (article_id, revision, i, f.text, f.start, f.end, f.sentence, f.value, f.unit,
                 f.noun, f.qualifier, f.low, f.high, f.subject, f.metric, f.period,
                 f.equivalent_of, f.value_usd, stamp)
                for i, f in enumerate(figures)
            ],
        )  # fmt: skip

    def list_figures(
        self, *, article_id: int | None = None, metric: str | None = None,
        subject: str | None = None, since: datetime | None = None, limit: int = 1000,
        current_only: bool = True,
    ) -> list[StoredFigure]:  # fmt: skip
        """Figures, newest article first; by default only those of each article's current text."""
        where: list[str] = ["1 = 1"]
        params: list[object] = []
        if current_only:
            where.append("f.revision = a.revision")
        if article_id is not None:
            where.append("f.article_id = ?")
            params.append(article_id)
        if metric:
            where.append("f.metric = ?")
            params.append(metric)
        if subject:
            where.append("f.subject = ? COLLATE NOCASE")
            params.append(subject)
        if since:
            where.append("COALESCE(a.published, a.fetched_at) >= ?")
            params.append(to_iso(since))
        rows = self._rows(
            _SELECT + f" WHERE {' AND '.join(where)}"
            " ORDER BY f.article_id DESC, f.revision, f.position LIMIT ?",
            (*params, limit),
        )
        return [_stored(r) for r in rows]

    def articles_without_figures(self, limit: int = 1000) -> list[int]:
        """Articles whose current revision has never been through the extractor."""
        rows = self._rows(
            """SELECT a.id FROM articles a WHERE NOT EXISTS (
                 SELECT 1 FROM figure_runs r WHERE r.article_id = a.id AND r.revision = a.revision)
               ORDER BY a.id LIMIT ?""",
            (limit,),
        )
        return [int(r[0]) for r in rows]

    def mark_figures_extracted(self, article_id: int, revision: int, count: int) -> None:
        """Record that a revision went through the extractor (even when it found nothing)."""
        self._execute(
            "INSERT OR REPLACE INTO figure_runs (article_id, revision, figures) VALUES (?, ?, ?)",
            (article_id, revision, count),
        )
