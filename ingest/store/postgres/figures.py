"""Figures of each article revision, on PostgreSQL (see ``store/figures.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ingest.figures import Figure
from ingest.models import to_iso
from ingest.store.figures import _SELECT, StoredFigure, _stored
from ingest.store.postgres.base import PostgresBase


class PgFigureQueries(PostgresBase):
    def add_figures(
        self, article_id: int, revision: int, figures: Sequence[Figure], *, now: datetime
    ) -> None:
        stamp = to_iso(now)
        self._executemany(
            """INSERT INTO figures (article_id, revision, position, text, start, "end", sentence,
                 value, unit, noun, qualifier, low, high, subject, metric, period, equivalent_of,
                 value_usd, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                 %s)""",
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
        where: list[str] = ["TRUE"]
        params: list[object] = []
        if current_only:
            where.append("f.revision = a.revision")
        if article_id is not None:
            where.append("f.article_id = %s")
            params.append(article_id)
        if metric:
            where.append("f.metric = %s")
            params.append(metric)
        if subject:
            where.append("lower(f.subject) = lower(%s)")
            params.append(subject)
        if since:
            where.append("COALESCE(a.published, a.fetched_at) >= %s")
            params.append(to_iso(since))
        rows = self._rows(
            _SELECT + f" WHERE {' AND '.join(where)}"
            " ORDER BY f.article_id DESC, f.revision, f.position LIMIT %s",
            (*params, limit),
        )
        return [_stored(r) for r in rows]

    def articles_without_figures(self, limit: int = 1000) -> list[int]:
        rows = self._rows(
            """SELECT a.id FROM articles a WHERE NOT EXISTS (
                 SELECT 1 FROM figure_runs r WHERE r.article_id = a.id AND r.revision = a.revision)
               ORDER BY a.id LIMIT %s""",
            (limit,),
        )
        return [int(r["id"]) for r in rows]

    def mark_figures_extracted(self, article_id: int, revision: int, count: int) -> None:
        self._count(
            "INSERT INTO figure_runs (article_id, revision, figures) VALUES (%s, %s, %s)"
            " ON CONFLICT (article_id, revision) DO UPDATE SET figures = excluded.figures",
            (article_id, revision, count),
        )
