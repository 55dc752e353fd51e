"""ingest findings: the stored findings as a table or JSON Lines, with filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_findings_record import PLAN, FindingStore, save

import ingest.cli.commands_findings  # noqa: F401  (registers the command until the lead does)
from ingest.cli import main


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config whose store holds a new finding, a change and another metric's new finding."""
    db = tmp_path / "ingest.db"
    store = FindingStore(db)
    save(store, "ledger.example", "plan", PLAN)
    save(store, "wire.example", "up", PLAN.replace("380", "480"), hours=500)
    save(
        store,
        "b.example",
        "g",
        "Alibaba Cloud revenue grew 26% year on year in the June quarter.",
        hours=501,
    )
    store.close()
    path = tmp_path / "ingest.toml"
    path.write_text(f'[store]\npath = "{db}"\n', encoding="utf-8")
    return path


def run(config: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(main, ["findings", "--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_json_lines_newest_first(config: Path) -> None:
    """--json prints one finding per line with the documented fields, newest first."""
    rows = [json.loads(line) for line in run(config, "--json")]
    assert [r["kind"] for r in rows] == ["new", "changed", "new"]
    changed = rows[1]
    assert changed["figure"]["text"] == "480 billion yuan"
    assert changed["previous"][0]["article_url"] == "https://ledger.example/plan"
    assert changed["relative_change"] == pytest.approx(100 / 380)


@pytest.mark.parametrize(
    ("args", "kinds"),
    [
        (["--kind", "changed"], ["changed"]),
        (["--metric", "cloud_revenue_growth"], ["new"]),
        (["--subject", "alibaba"], ["changed", "new"]),
        (["--since", "2026-10-15"], ["new", "changed"]),
        (["--since", "2027-01-01"], []),
    ],
)
def test_filters(config: Path, args: list[str], kinds: list[str]) -> None:
    """--kind, --metric, --subject and --since narrow the list."""
    rows = [json.loads(line) for line in run(config, "--json", *args)]
    assert [r["kind"] for r in rows] == kinds


def test_table_output(config: Path) -> None:
    """Without --json a table shows the old and new values with their sources."""
    lines = run(config)
    assert lines[0].split()[:4] == ["id", "kind", "subject", "metric"]
    changed = next(line for line in lines if " changed " in line)
    assert "380 billion yuan (ledger.example)" in changed
    assert "480 billion yuan (wire.example)" in changed


def test_bad_since_is_a_usage_error(config: Path) -> None:
    """A --since that is not a date is rejected with a message."""
    result = CliRunner().invoke(main, ["findings", "--config", str(config), "--since", "soon"])
    assert result.exit_code == 2
    assert "expected a date" in result.output


def test_help_has_example() -> None:
    """The help names the JSON fields and shows an example."""
    result = CliRunner().invoke(main, ["findings", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "ingest findings --kind changed --json" in result.output
