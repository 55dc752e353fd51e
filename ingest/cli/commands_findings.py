"""``findings``: what the figures told us: new, changed, conflicting and revised values."""

from __future__ import annotations

from typing import Any

import click

from ingest.cli.common import (
    app,
    common_options,
    handle_errors,
    parse_since,
    print_jsonl,
    print_table,
    resolve_metric,
)
from ingest.cli.group import main

KINDS = ("new", "changed", "conflict", "revised")


def _value(record: dict[str, Any] | None) -> str:
    if not record:
        return "(removed)"
    return f"{record.get('text')} ({record.get('source') or '?'})"


@main.command()
@click.option("--kind", type=click.Choice(KINDS), help="Only findings of this kind.")
@click.option("--metric", help="Only this metric: its key or its label (ingest/data/metrics.toml).")
@click.option("--subject", help="Only findings about this company or product.")
@click.option("--since", help="Only findings made since this date (ISO 8601, UTC if no zone).")
@click.option("--limit", default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one finding per line.")
@common_options
@handle_errors
def findings(
    kind: str | None,
    metric: str | None,
    subject: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List findings, newest first: new, changed, conflicting and revised figures.

    JSON fields (docs/findings.md): id, kind, subject, metric, metric_label, period, figure
    (the figure record plus article_id, article_url, source, published), previous (list of
    such records), article_url, created_at, relative_change, corroborations (how many sources
    state the finding's value, counted now), corroborating_sources, change (revised: changed
    or removed) and claim_id.

    \b
    Example:
        ingest findings --kind changed --json
        ingest findings --metric ai_investment_commitment --since 2026-11-01
    """
    from ingest.findings.listing import finding_records

    store = app().existing_store
    metric = resolve_metric(metric)
    rows = finding_records(
        store, kind=kind, metric=metric, subject=subject, since=parse_since(since), limit=limit
    )
    if as_json:
        print_jsonl(rows)
        return
    print_table(
        ["id", "kind", "subject", "metric", "was", "now", "sources", "created"],
        [
            [
                str(r["id"]),
                r["kind"],
                r["subject"] or "",
                r["metric_label"] or r["metric"],
                "; ".join(_value(p) for p in r["previous"])[:60],
                _value(r["figure"])[:50],
                str(r["corroborations"]),
                r["created_at"],
            ]
            for r in rows
        ],
    )
