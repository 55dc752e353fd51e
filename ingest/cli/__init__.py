"""Command-line interface: ``ingest COMMAND``.

Each area has its own module that registers commands on :data:`main` (defined in
:mod:`ingest.cli.group`, so the command modules need not import this package). Modules import heavy
libraries (trafilatura, feedparser, httpx) inside the command bodies so ``ingest --help`` stays
fast.
"""

from __future__ import annotations

# Command modules register themselves on import; keep this list in sync with docs/cli.md.
from ingest.cli import (  # noqa: F401
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
    commands_migrate,
    commands_ops,
)
from ingest.cli.group import main as main
