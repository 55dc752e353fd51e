"""ingest extract-figures: plain text and JSON Lines in, one JSON object per figure out."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ingest.cli import main


def test_plain_text_from_stdin() -> None:
    """Plain text on stdin gives one JSON object per figure."""
    result = CliRunner().invoke(
        main, ["extract-figures", "-"], input="Alibaba pledged 380 billion yuan (~$53 billion).\n"
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["value"], r["unit"], r["equivalent_of"]) for r in rows] == [
        (380e9, "CNY", None),
        (53e9, "USD", 0),
    ]


def test_jsonl_carries_id() -> None:
    """With --jsonl each output line carries the input record's id."""
    lines = "\n".join(
        json.dumps(r) for r in [{"id": "a", "text": "Shares rose 9%."}, {"id": 7, "text": "None."}]
    )
    result = CliRunner().invoke(main, ["extract-figures", "--jsonl"], input=lines + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["id"], r["value"], r["unit"]) for r in rows] == [("a", 9.0, "%")]


def test_jsonl_bad_line_is_an_error() -> None:
    """A line that is not JSON fails with its line number."""
    result = CliRunner().invoke(main, ["extract-figures", "--jsonl"], input="{oops\n")
    assert result.exit_code != 0
    assert "line 1" in result.output


def test_help_has_example() -> None:
    """The command's help shows an example."""
    result = CliRunner().invoke(main, ["extract-figures", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "ingest extract-figures --jsonl" in result.output


def test_bad_config_dir_exits_2(tmp_path: Path) -> None:
    """A catalogue directory without metrics.toml is a configuration error (exit 2)."""
    result = CliRunner().invoke(
        main, ["extract-figures", "--config-dir", str(tmp_path), "-"], input="5%\n"
    )
    assert result.exit_code == 2
    assert "metrics.toml" in result.output


def test_catalogue_beside_config_is_used(tmp_path: Path) -> None:
    """With --config, a metrics.toml next to that file replaces the bundled catalogue."""
    bundled = Path(__file__).resolve().parents[1] / "config"
    (tmp_path / "fx.toml").write_text((bundled / "fx.toml").read_text("utf-8"), "utf-8")
    (tmp_path / "metrics.toml").write_text(
        '[[metric]]\nkey = "gizmo_growth"\nunits = ["%"]\ngroups = [["gizmos?"]]\n', "utf-8"
    )
    config = tmp_path / "ingest.toml"
    config.write_text("", "utf-8")
    result = CliRunner().invoke(
        main, ["extract-figures", "--config", str(config), "-"], input="Gizmo sales rose 5%.\n"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["metric"] == "gizmo_growth"


def test_position_names_what_equivalent_of_points_at() -> None:
    """Each record has its position; the dollar conversion's equivalent_of is the yuan figure's
    position; a --jsonl line without an id gets no id field."""
    import json as _json

    from click.testing import CliRunner

    from ingest.cli import main

    text = "Alibaba will invest RMB 380 billion (approximately $53 billion) over three years."
    result = CliRunner().invoke(main, ["extract-figures", "-"], input=text)
    records = [_json.loads(line) for line in result.stdout.splitlines()]
    yuan, dollars = records
    assert (yuan["position"], dollars["position"]) == (0, 1)
    assert dollars["equivalent_of"] == yuan["position"] and yuan["unit"] == "CNY"
    lines = '{"text": "Revenue rose 34%."}\n{"id": 7, "text": "Revenue rose 5%."}\n'
    result = CliRunner().invoke(main, ["extract-figures", "--jsonl", "-"], input=lines)
    first, second = (_json.loads(line) for line in result.stdout.splitlines())
    assert "id" not in first and second["id"] == 7
