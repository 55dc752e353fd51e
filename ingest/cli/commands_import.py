"""``import``: backfill local files through the pipeline."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from ingest.cli.common import EXIT_ERROR, app, common_options, handle_errors
from ingest.cli.group import main


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--no-topic", is_flag=True, help="Store every document, on topic or not.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@common_options
@handle_errors
def import_(paths: tuple[Path, ...], no_topic: bool, quiet: bool) -> None:
    """Backfill local .html, .txt or JSON Lines files through the same pipeline as feeds.

    JSON Lines objects carry "url", and "text" or "html"; "title", "published" and
    "fetched_at" (ISO 8601; when the document was originally retrieved) are optional. A
    document without a date is dated from its text (a dateline), else by "fetched_at", else by
    the import's clock. Directories are searched for such files. Duplicates and revisions are
    recognised as for polled articles, so a second import of the same files adds nothing.
    Files are read line by line; a line (or an .html/.txt file) larger than [http]
    max_decoded_bytes is skipped and reported with its line number, as a fetched page that
    large would be. Exit code 1 when any file or line could not be imported (each is reported).

    \b
    Example:
        ingest import archive/2026-09/*.html
        ingest import backfill.jsonl --no-topic
    """
    from ingest.alerts.enqueue import Alerter
    from ingest.alerts.settings import alert_settings
    from ingest.daemon import dedup_settings_for, figure_settings_for, topic_filter_for
    from ingest.dedup.corpus import save_article
    from ingest.extract.importer import expand_paths, read_items
    from ingest.findings.settings import finding_settings
    from ingest.models import utcnow

    ctx = app()
    store, config = ctx.store, ctx.config
    dedup = dedup_settings_for(config)
    topic = topic_filter_for(config)
    figures = figure_settings_for(config)
    findings = finding_settings(config)
    alerter = Alerter(store, alert_settings(config))
    files = expand_paths(list(paths))
    counts: dict[str, int] = {}
    errors: list[str] = []
    with click.progressbar(
        files,
        label="importing",
        show_pos=True,
        file=sys.stderr,
        hidden=quiet or not sys.stderr.isatty(),
    ) as bar:
        for path in bar:
            for item in read_items(path, max_bytes=config.http.max_decoded_bytes):
                if item.article is None:
                    errors.append(f"{item.where}: {item.error}")
                    continue
                article = item.article
                if not no_topic and config.topic.enabled:
                    verdict = topic.match(f"{article.title or ''}\n{article.text}")
                    if not verdict.accepted:
                        counts["off-topic"] = counts.get("off-topic", 0) + 1
                        continue
                decision = save_article(
                    store,
                    article,
                    entry=None,
                    source_id=None,
                    now=min(item.fetched_at, utcnow()) if item.fetched_at else utcnow(),
                    settings=dedup,
                    # A backfill's dateline may be of any age unless the crawl time is known.
                    text_date_max_age=None if item.fetched_at is None else timedelta(days=45),
                    clock="fetched" if item.fetched_at is not None else "imported",
                    figure_settings=figures,
                    finding_settings=findings,
                    alerts=alerter,
                )
                counts[decision.kind.value] = counts.get(decision.kind.value, 0) + 1
    for line in errors:
        click.echo(f"ingest: import: {line}", err=True)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing"
    click.echo(f"{len(files)} files: {summary}; {len(errors)} errors")
    if errors:
        sys.exit(EXIT_ERROR)
