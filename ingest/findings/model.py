"""Records of the findings stage: a figure with where it was read, and a :class:`Finding`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from ingest.figures import Figure, figure_to_dict
from ingest.models import to_iso


class FindingKind(StrEnum):
    """What a finding says about a claim (docs/findings.md has the rules)."""

    NEW = "new"
    CHANGED = "changed"
    CONFLICT = "conflict"
    REVISED = "revised"


@dataclass(frozen=True, slots=True)
class FigureRef:
    """A figure together with the article, source and time it was read from."""

    figure: Figure
    article_id: int
    article_url: str
    source: str | None
    published: datetime | None
    figure_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The figure record plus ``article_id``, ``article_url``, ``source``, ``published``."""
        return {
            **figure_to_dict(self.figure),
            "article_id": self.article_id,
            "article_url": self.article_url,
            "source": self.source,
            "published": to_iso(self.published),
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing worth telling a reader about a claim.

    ``figure`` is the figure that prompted it (None when a revision removed a figure);
    ``previous`` the values it differs from, newest first; ``corroborations`` the sources that
    state the same value as ``figure`` (for ``new`` and ``changed``: the value's sources so far).
    ``change`` says, for ``revised``, whether the figure was "changed" or "removed".
    """

    kind: FindingKind
    subject: str | None
    metric: str
    period: str | None
    figure: FigureRef | None
    previous: tuple[FigureRef, ...]
    article_url: str
    created_at: datetime
    metric_label: str | None = None
    relative_change: float | None = None
    corroborations: tuple[str, ...] = ()
    change: str | None = None
    claim_id: int | None = None
    id: int | None = None
    # Why the figure was read as this claim, and how sure (issue 10; docs/findings.md).
    confidence: float | None = None
    cues: tuple[str, ...] = ()
    quantity: str | None = None
    role: str | None = None
    period_key: str | None = None
    period_interval: tuple[str, str] | None = None
    # For a `new` value of a newer period of a tracked series: the series' previous period.
    series_previous: FigureRef | None = None
    series_previous_period: str | None = None
    against_cues: tuple[str, ...] = ()


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """The JSON form (``ingest findings --json``, alert payloads); see docs/findings.md."""
    return {
        "id": finding.id,
        "kind": finding.kind.value,
        "subject": finding.subject,
        "metric": finding.metric,
        "metric_label": finding.metric_label,
        "period": finding.period,
        "figure": finding.figure.to_dict() if finding.figure else None,
        "previous": [ref.to_dict() for ref in finding.previous],
        "article_url": finding.article_url,
        "created_at": to_iso(finding.created_at),
        "relative_change": finding.relative_change,
        "corroborations": len(finding.corroborations),
        "corroborating_sources": list(finding.corroborations),
        "change": finding.change,
        "claim_id": finding.claim_id,
        "confidence": finding.confidence,
        "cues": list(finding.cues),
        "previous_cues": list(finding.against_cues),
        "quantity": finding.quantity,
        "role": finding.role,
        "period_key": finding.period_key,
        "period_interval": list(finding.period_interval) if finding.period_interval else None,
        "series": (
            {
                "period": finding.series_previous_period,
                "previous": finding.series_previous.to_dict(),
            }
            if finding.series_previous is not None
            else None
        ),
    }
