"""``figures``: the figures stored with the articles."""

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
from ingest.models import to_iso


@main.command()
@click.option("--article", "article_id", type=int, help="Only the figures of this article.")
@click.option("--metric", help="Only this metric: its key or its label (ingest/data/metrics.toml).")
@click.option("--subject", help="Only figures about this company or product.")
@click.option("--since", help="Only articles published (or fetched) since this date.")
@click.option("--limit", default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one figure per line.")
@common_options
@handle_errors
def figures(
    article_id: int | None,
    metric: str | None,
    subject: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List the figures extracted from stored articles (their current text).

    The table shows values as people write them ("480 billion"); JSON keeps plain numbers.
    JSON fields: the figure record (text, start, end, sentence, value, unit, noun, qualifier,
    low, high, subject, metric, period, equivalent_of, value_usd) plus article_id, article_url,
    published, revision, position (what another figure's equivalent_of names), source, and
    claim (the id of the claim the figure was judged under; figures with one claim state one
    quantity of one subject over one period), claim_confidence and claim_cues.

    \b
    Example:
        ingest figures --metric ai_investment_commitment --json
        ingest figures --subject Alibaba --since 2026-11-01
        ingest figures --metric "Cloud revenue"
    """
    from ingest.figures import figure_to_dict, format_value

    store = app().existing_store
    metric = resolve_metric(metric)
    rows = store.list_figures(
        article_id=article_id, metric=metric, subject=subject, since=parse_since(since), limit=limit
    )
    if as_json:

        def record(row: Any) -> dict[str, Any]:
            out = figure_to_dict(row.figure)
            out.update(
                article_id=row.article_id,
                article_url=row.article_url,
                published=to_iso(row.published),
                revision=row.revision,
                position=row.position,
                source=row.source,
                duplicate_of=row.duplicate_of,
                claim=row.claim_id,
                claim_confidence=row.claim_confidence,
                claim_cues=list(row.claim_cues),
            )
            return out

        print_jsonl(record(r) for r in rows)
        return
    print_table(
        ["article", "figure", "value", "unit", "qualifier", "subject", "metric", "period"],
        [
            [
                str(r.article_id),
                r.figure.text[:30],
                format_value(r.figure.value),
                r.figure.unit,
                r.figure.qualifier,
                r.figure.subject or "",
                r.figure.metric or "",
                r.figure.period or "",
            ]
            for r in rows
        ],
    )
