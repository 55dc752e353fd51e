"""The entry-point scripts: what their comments promise exists."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from ingest.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_options_named_in_scripts_run_exist() -> None:
    """Every option the comment of scripts/run shows (``scripts/run --x``) is an option of
    ``ingest run``, and every command it names (``ingest poll``) exists."""
    comment = "\n".join(
        line for line in (ROOT / "scripts" / "run").read_text("utf-8").splitlines()
        if line.startswith("#")
    )  # fmt: skip
    shown = re.findall(r"scripts/run ((?:-{1,2}[\w-]+)(?: [\w./-]+)?)", comment)
    assert shown, "the comment shows no example"
    help_text = CliRunner().invoke(main, ["run", "--help"]).output
    for example in shown:
        option = example.split()[0]
        assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", help_text), option
    for command in re.findall(r"ingest (\w[\w-]*)", comment):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0, command
