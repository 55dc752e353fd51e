"""Synthetic findings, for tests, benchmarks and crash drills of the outbox (``enqueue_synthetic``).

They follow the ``ingest findings --json`` contract, with made-up but realistic values; nothing
here is copied from a real article.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from ingest.models import to_iso

_METRICS = (
    ("ai_investment_commitment", "AI infrastructure commitment", "Alibaba"),
    ("cloud_revenue", "Cloud revenue", "Alibaba Cloud"),
    ("cloud_revenue_growth", "Cloud revenue growth", "Alibaba Cloud"),
)


class _Enqueues(Protocol):
    """An :class:`ingest.alerts.enqueue.Alerter` (the policy applied, the outbox written)."""

    def enqueue_record(self, record: Mapping[str, Any], *, now: datetime) -> int | None: ...


def _record(
    text: str,
    value: float,
    unit: str,
    *,
    metric: str,
    subject: str,
    source: str,
    url: str,
    published: datetime,
    sentence: str,
    article_id: int,
) -> dict[str, Any]:
    return {
        "text": text,
        "value": value,
        "unit": unit,
        "qualifier": "exact",
        "low": None,
        "high": None,
        "value_usd": value * 0.14 if unit == "CNY" else None,
        "noun": None,
        "subject": subject,
        "metric": metric,
        "period": None,
        "sentence": sentence,
        "article_id": article_id,
        "article_url": url,
        "source": source,
        "published": to_iso(published),
    }


def synthetic_finding(
    finding_id: int, *, kind: str = "changed", now: datetime, metric_index: int | None = None
) -> dict[str, Any]:
    """A finding record as the findings stage hands it over: ``kind`` ``new`` has no previous."""
    metric, label, subject = _METRICS[
        (metric_index if metric_index is not None else finding_id) % len(_METRICS)
    ]
    old = 380 + finding_id % 50
    new = old + 100
    url = f"https://news.example.com/2026/alibaba-ai-{finding_id}"
    figure = _record(
        f"{new} billion yuan",
        new * 1e9,
        "CNY",
        metric=metric,
        subject=subject,
        source="Example Wire",
        url=url,
        published=now - timedelta(minutes=5),
        sentence=f"{subject} raised its {label.lower()} to {new} billion yuan, executives said.",
        article_id=finding_id * 10,
    )
    previous = []
    if kind != "new":
        previous.append(
            _record(
                f"{old} billion yuan",
                old * 1e9,
                "CNY",
                metric=metric,
                subject=subject,
                source="Example Daily",
                url=f"https://daily.example.org/story-{finding_id}",
                published=now - timedelta(days=30),
                sentence=f"{subject} said its {label.lower()} would reach {old} billion yuan.",
                article_id=finding_id * 10 + 1,
            )
        )
    return {
        "id": finding_id,
        "kind": kind,
        "subject": subject,
        "metric": metric,
        "metric_label": label,
        "period": None,
        "figure": figure,
        "previous": previous,
        "article_url": url,
        "created_at": to_iso(now),
        "relative_change": (new - old) / old if previous else None,
        "corroborations": 0,
    }


def enqueue_synthetic(
    alerter: _Enqueues, count: int, *, now: datetime, first_id: int = 1, kind: str = "changed"
) -> list[int]:
    """Enqueue ``count`` synthetic findings (ids ``first_id``...); returns the alert ids made."""
    made = []
    for i in range(first_id, first_id + count):
        alert_id = alerter.enqueue_record(synthetic_finding(i, kind=kind, now=now), now=now)
        if alert_id is not None:
            made.append(alert_id)
    return made
