"""The ``ingest`` command group, which every command module registers its commands on."""

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
