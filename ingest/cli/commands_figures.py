"""Commands about figures: ``ingest extract-figures`` (no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

import click

from ingest.cli.common import app, common_options, handle_errors
from ingest.cli.group import main


@main.command("extract-figures")
# Bytes, decoded here: text that is not UTF-8 is read with replacement characters, as
# `ingest import` reads it, instead of failing on the first bad byte.
@click.argument("source", type=click.File("rb"), default="-")
@click.option(
    "--jsonl",
    is_flag=True,
    help='Read JSON Lines of {"id": ..., "text": ...} instead of plain text; output carries "id".',
)
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory holding metrics.toml and fx.toml (default: as the daemon finds them for "
    "--config: [figures] metrics_file / fx_file, else beside the config file, else the bundled "
    "ones).",
)
@click.option(
    "--published",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Publication date (YYYY-MM-DD) choosing the FX table for value_usd.",
)
@common_options
@handle_errors
def extract_figures_command(
    source: IO[bytes], jsonl: bool, config_dir: Path | None, published: object
) -> None:
    """Print every figure in SOURCE (a file, or - for stdin) as JSON Lines; no database.

    Reads plain text, or with --jsonl lines of {"id": ..., "text": ...}; each output line is one
    figure record (text, start, end, sentence, value, unit, noun, qualifier, low, high, subject,
    metric, period, equivalent_of, value_usd), plus "id" with --jsonl. Bytes that are not
    UTF-8 are replaced (U+FFFD) and reported once on stderr. --db is accepted for symmetry with
    the other commands and not used.

    \b
    Example:
        echo 'Alibaba will invest 380 billion yuan (~$53 billion).' | ingest extract-figures
        ingest extract-figures --jsonl articles.jsonl > figures.jsonl
    """
    from datetime import datetime

    from ingest.figures import extract_figures, figure_to_dict, load_figure_settings

    if config_dir is None and app().config_path:
        from ingest.daemon import figure_settings_for

        # Same files as the daemon run with this config would use.
        settings = figure_settings_for(app().config)  # ConfigError -> exit 2 via handle_errors
    else:
        settings = load_figure_settings(config_dir)
    day = published.date() if isinstance(published, datetime) else None
    name = getattr(source, "name", "-")
    warned = False

    def decode(data: bytes, where: str) -> str:
        nonlocal warned
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if not warned:
                click.echo(
                    f"ingest: extract-figures: {where}: not valid UTF-8 (byte {exc.start}); "
                    "undecodable bytes replaced with U+FFFD",
                    err=True,
                )
                warned = True
            return data.decode("utf-8", errors="replace")

    if not jsonl:
        text = decode(source.read(), str(name))
        for position, fig in enumerate(extract_figures(text, settings, published=day)):
            # "position" is what another figure's equivalent_of points at.
            click.echo(
                json.dumps({"position": position, **figure_to_dict(fig)}, ensure_ascii=False)
            )
        return
    for lineno, raw in enumerate(source, start=1):
        line = decode(raw, f"{name}:{lineno}")
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"line {lineno}: not JSON: {exc.msg}") from exc
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise click.ClickException(f'line {lineno}: expected an object with a "text" string')
        figures = extract_figures(record["text"], settings, published=day)
        for position, fig in enumerate(figures):
            # "id" only when the input line had one; "position" is what equivalent_of points at.
            given = {"id": record["id"]} if "id" in record else {}
            out = {**given, "position": position, **figure_to_dict(fig)}
            click.echo(json.dumps(out, ensure_ascii=False))
