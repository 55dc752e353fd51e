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
    from ingest.figures import DEFAULT_CONFIG_DIR as bundled

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


def test_figures_table_points_at_the_configs_own_catalogue(tmp_path: Path) -> None:
    """[figures] metrics_file / fx_file name the config's own copies, relative to the config
    file's directory; they win over the bundled files."""
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "mine.toml").write_text(
        '[[metric]]\nkey = "gizmo_spend"\nunits = ["money"]\ngroups = [["gizmos?"]]\n', "utf-8"
    )
    # A rate no real table has, so the output shows which table converted the figure.
    (tmp_path / "cat" / "rates.toml").write_text(
        "[[rates]]\nvalid_from = 2000-01-01\nCNY = 0.5\n", "utf-8"
    )
    config = tmp_path / "etc" / "ingest.toml"
    config.parent.mkdir()
    config.write_text(
        '[figures]\nmetrics_file = "../cat/mine.toml"\nfx_file = "../cat/rates.toml"\n', "utf-8"
    )
    result = CliRunner().invoke(
        main,
        ["extract-figures", "--config", str(config), "-"],
        input="Gizmo spending reached 10 billion yuan.\n",
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert (row["metric"], row["value_usd"]) == ("gizmo_spend", 5e9)


def test_a_missing_own_catalogue_names_its_path(tmp_path: Path) -> None:
    """A [figures] metrics_file that does not exist is a configuration error naming the file."""
    config = tmp_path / "ingest.toml"
    config.write_text('[figures]\nmetrics_file = "nope.toml"\n', "utf-8")
    result = CliRunner().invoke(main, ["extract-figures", "--config", str(config), "-"], input="")
    assert result.exit_code == 2
    assert str(tmp_path / "nope.toml") in result.output
    assert "file not found" in result.output


def test_unknown_key_in_the_figures_table_is_an_error(tmp_path: Path) -> None:
    """[figures] takes metrics_file and fx_file only; a typo is refused with the known keys."""
    config = tmp_path / "ingest.toml"
    config.write_text('[figures]\nmetric_file = "x.toml"\n', "utf-8")
    result = CliRunner().invoke(main, ["extract-figures", "--config", str(config), "-"], input="")
    assert result.exit_code == 2
    assert "figures.metric_file" in result.output
    assert "fx_file, metrics_file" in result.output


def test_metrics_beside_the_config_without_fx_uses_the_bundled_rates(tmp_path: Path) -> None:
    """Each file is looked for on its own: a metrics.toml beside the config without an fx.toml
    still converts money with the bundled FX table."""
    (tmp_path / "metrics.toml").write_text(
        '[[metric]]\nkey = "gizmo_spend"\nunits = ["money"]\ngroups = [["gizmos?"]]\n', "utf-8"
    )
    config = tmp_path / "ingest.toml"
    config.write_text("", "utf-8")
    result = CliRunner().invoke(
        main,
        ["extract-figures", "--config", str(config), "--published", "2026-01-15", "-"],
        input="Gizmo spending reached 10 billion yuan.\n",
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert row["metric"] == "gizmo_spend"
    assert row["value_usd"] is not None and 1e9 < row["value_usd"] < 2e9


def test_non_utf8_input_is_read_with_replacement(tmp_path: Path) -> None:
    """A file that is not UTF-8 is read as `ingest import` reads it (bad bytes replaced), the
    figures around the bad bytes are still found, and stderr says what happened."""
    path = tmp_path / "latin1.txt"
    path.write_bytes("Alibaba's café revenue rose 9% to 5 billion yuan.".encode("latin-1"))
    result = CliRunner().invoke(main, ["extract-figures", str(path)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["value"], r["unit"]) for r in rows] == [(9.0, "%"), (5e9, "CNY")]
    assert "caf\ufffd" in rows[0]["sentence"]
    assert f"{path}: not valid UTF-8" in result.stderr
    assert "Traceback" not in result.output


def test_non_utf8_jsonl_line_names_its_line(tmp_path: Path) -> None:
    """With --jsonl the message names the first line that is not UTF-8."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": 1, "text": "Up 3%."}\n{"id": 2, "text": "Up 4% \xff."}\n')
    result = CliRunner().invoke(main, ["extract-figures", "--jsonl", str(path)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 2]
    assert f"{path}:2: not valid UTF-8" in result.stderr
