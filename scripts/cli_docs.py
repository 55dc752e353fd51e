"""Write docs/cli.md from the commands' own --help texts (so the reference cannot drift).

Run: .venv/bin/python scripts/cli_docs.py          # rewrite docs/cli.md
     .venv/bin/python scripts/cli_docs.py --check  # exit 1 if docs/cli.md is out of date
tests/test_cli.py runs the check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.testing import CliRunner

from ingest.cli import main

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for name in sorted(group.commands):
        cmd = group.commands[name]
        out.append((*prefix, name))
        if isinstance(cmd, click.Group):
            out.extend(commands(cmd, (*prefix, name)))
    return out


def render() -> str:
    runner = CliRunner()
    parts = [
        "# Command-line reference\n",
        "Generated from each command's `--help` by `scripts/cli_docs.py`; do not edit by hand.\n",
        "Every command takes `--config FILE` (or `$INGEST_CONFIG`) and `--db FILE` (or",
        "`$INGEST_DB`). Exit codes: 0 success, 1 a problem with the work, 2 a configuration or",
        "usage error, 3 a database error.\n",
    ]
    for path in commands(main):
        result = runner.invoke(main, [*path, "--help"], prog_name="ingest", terminal_width=100)
        text = result.output.replace("Usage: main ", "Usage: ingest ")
        parts.append(f"## ingest {' '.join(path)}\n\n```text\n{text.rstrip()}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is out of date: run scripts/cli_docs.py", file=sys.stderr)
            sys.exit(1)
    else:
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {DOC}")
