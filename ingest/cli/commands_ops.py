"""``report``: the HTML page of figures, changes and findings."""

from __future__ import annotations

from pathlib import Path

import click

from ingest.cli.common import app, common_options, handle_errors, resolve_metric
from ingest.cli.group import main


@main.command()
@click.option(
    "--metric",
    metavar="KEY",
    help="Only this metric: its key or its label (ingest/data/metrics.toml).",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="HTML file to write (replaced atomically).",
)
@click.option("--limit", default=50_000, show_default=True, help="Most figures to read.")
@common_options
@handle_errors
def report(metric: str | None, out: Path, limit: int) -> None:
    """Write a self-contained HTML report: per metric, a timeline chart by source (changes and
    conflicts marked) and the table of findings with links and quotes.

    The page has no scripts and loads nothing from the network: open it anywhere, mail it,
    archive it.

    \b
    Example:
        ingest report --out report.html
        ingest report --metric ai_investment_commitment --out capex.html
    """
    from ingest.models import utcnow
    from ingest.ops.report import build_report

    ctx = app()
    store = ctx.existing_store
    metric = resolve_metric(metric)
    from ingest.daemon import figure_settings_for

    labels = {m.key: m.label for m in figure_settings_for(ctx.config).metrics}
    html = build_report(store, metric=metric, generated=utcnow(), limit=limit, labels=labels)
    # Written beside the target then renamed, so a reader never sees half a page.
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(out)
    except OSError as exc:
        raise click.FileError(str(out), hint=exc.strerror) from exc
    click.echo(f"wrote {out} ({len(html) // 1024} KiB)")
