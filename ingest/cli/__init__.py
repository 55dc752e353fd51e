"""Command-line interface: ``ingest COMMAND``.

Each area has its own module that registers commands on :data:`main`. Modules import heavy
libraries (trafilatura, feedparser, httpx) inside the command bodies so ``ingest --help`` stays
fast.
"""

from __future__ import annotations

import click

from ingest import __version__
from ingest.cli.common import common_options


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ingest")
@common_options
def main() -> None:
    """Watch news feeds and track every figure they state.

    \b
    Example:
        ingest --config config/ingest.toml run
    """


# Command modules register themselves on import; keep this list in sync with docs/cli.md.
from ingest.cli import (  # noqa: E402,F401
    commands_alerts,
    commands_backup,
    commands_cluster,
    commands_core,
    commands_corpus,
    commands_demo,
    commands_figure_list,
    commands_figures,
    commands_findings,
    commands_import,
    commands_ops,
)
