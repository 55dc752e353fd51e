"""Commands about figures: ``ingest extract-figures`` (no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

import click

from ingest.cli import main


@main.command("extract-figures")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option(
    "--jsonl",
    is_flag=True,
    help='Read JSON Lines of {"id": ..., "text": ...} instead of plain text; output carries "id".',
)
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory holding metrics.toml and fx.toml (default: the bundled config/).",
)
@click.option(
    "--published",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Publication date (YYYY-MM-DD) choosing the FX table for value_usd.",
)
def extract_figures_command(
    source: IO[str], jsonl: bool, config_dir: Path | None, published: object
) -> None:
    """Print every figure in FILE (or stdin) as one JSON object per line; no database.

    \b
    Example:
        echo 'Alibaba will invest 380 billion yuan (~$53 billion).' | ingest extract-figures
        ingest extract-figures --jsonl articles.jsonl > figures.jsonl
    """
    from datetime import datetime

    from ingest.errors import ConfigError
    from ingest.figures import extract_figures, figure_to_dict, load_figure_settings

    try:
        settings = load_figure_settings(config_dir)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    day = published.date() if isinstance(published, datetime) else None
    if not jsonl:
        for fig in extract_figures(source.read(), settings, published=day):
            click.echo(json.dumps(figure_to_dict(fig), ensure_ascii=False))
        return
    for lineno, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"line {lineno}: not JSON: {exc.msg}") from exc
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise click.ClickException(f'line {lineno}: expected an object with a "text" string')
        for fig in extract_figures(record["text"], settings, published=day):
            out = {"id": record.get("id"), **figure_to_dict(fig)}
            click.echo(json.dumps(out, ensure_ascii=False))
