"""``ingest status``: one screen saying whether the daemon is doing its job.

Gathering reads the store; formatting is pure. Findings and alerts are read when the database
has their tables, so the screen works on a database from before those stages, saying "not
recorded" instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ingest.models import SourceState
from ingest.store.ops import SourceSummary

if TYPE_CHECKING:
    from ingest.store.interfaces import OpsQueries

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class StatusReport:
    database: str
    now: datetime
    sources: SourceSummary
    articles_today: int
    stories_today: int
    findings_today: Mapping[str, int] | None  # by kind; None: the store keeps no findings
    alerts: Mapping[str, int] | None  # delivery status -> count; None: no outbox
    failures_today: Mapping[str, int]  # failed checks in the last 24 h by error kind
    failing: tuple[SourceState, ...]


def gather_status(store: OpsQueries, now: datetime) -> StatusReport:
    articles, stories = store.count_articles_since(now - DAY)
    summary = store.source_summary()
    failing: tuple[SourceState, ...] = ()
    if summary.failing or summary.by_status.get("disabled"):
        failing = tuple(
            s for s in store.list_sources() if s.status.value in ("failing", "disabled")
        )
    return StatusReport(
        database=store.path,
        now=now,
        sources=summary,
        articles_today=articles,
        stories_today=stories,
        findings_today=store.findings_since(now - DAY),
        alerts=store.alert_deliveries(),
        failures_today=store.fetch_failures_since(now - DAY),
        failing=failing,
    )


def _ago(now: datetime, moment: datetime | None) -> str:
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    stamp = moment.isoformat(timespec="seconds")
    if seconds < 0:
        return f"{stamp} (in {_span(-seconds)})"
    return f"{stamp} ({_span(seconds)} ago)"


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def format_status(r: StatusReport, *, max_failing: int = 15) -> list[str]:
    """The screen, line by line (no colour: it is read in logs and over ssh too)."""
    s = r.sources
    states = ", ".join(f"{n} {k}" for k, n in sorted(s.by_status.items())) or "none"
    upcoming = "now" if s.next_check is None or s.next_check <= r.now else _ago(r.now, s.next_check)
    lines = [
        f"database     {r.database}",
        f"sources      {s.total}: {states}",
        f"last poll    {_ago(r.now, s.last_checked)}",
        f"last success {_ago(r.now, s.last_success)}",
        f"next poll    {upcoming}",
        f"last 24 h    {r.articles_today} articles ({r.stories_today} new stories)",
    ]
    if r.failures_today:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(r.failures_today.items()))
        lines.append(f"             {sum(r.failures_today.values())} failed checks: {kinds}")
    if r.findings_today is None:
        lines.append("findings     not recorded")
    else:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(r.findings_today.items()))
        total = sum(r.findings_today.values())
        lines.append(f"findings     {total} in the last 24 h" + (f": {kinds}" if kinds else ""))
    if r.alerts is None:
        lines.append("alerts       not recorded")
    else:
        pending = r.alerts.get("pending", 0)
        failed = r.alerts.get("dead", 0) + r.alerts.get("disabled", 0)
        lines.append(
            f"alerts       {pending} pending, {failed} failed (dead or target disabled), "
            f"{r.alerts.get('sent', 0)} sent"
        )
    if r.failing:
        width = max(len(x.name) for x in r.failing[:max_failing])
        lines += ["", f"{'failing source'.ljust(width)}  failures  error"]
        for x in r.failing[:max_failing]:
            lines.append(
                f"{x.name.ljust(width)}  {str(x.failures).rjust(8)}  {(x.last_error or '')[:80]}"
            )
        if len(r.failing) > max_failing:
            lines.append(f"... and {len(r.failing) - max_failing} more (ingest sources)")
    return lines
