"""What a new operator meets first: wrong database paths, the demo's database, clear messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.cli.commands_demo import demo_config
from ingest_demo.loopback import LoopbackServer
from ingest_demo.site import serve_demo_site

READ_ONLY = [
    ["status"],
    ["sources"],
    ["sources", "--json"],
    ["sources", "enable", "x"],
    ["articles"],
    ["articles", "show", "1"],
    ["articles", "history", "1"],
    ["articles", "search", "Qwen"],
    ["figures"],
    ["findings"],
    ["report", "--out", "report.html"],
    ["alerts"],
]


def invoke(*args: str, config: Path | None = None) -> tuple[int, str, str]:
    env = {"INGEST_CONFIG": str(config) if config else "", "INGEST_DB": ""}
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "ingest.toml"
    path.write_text("", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_read_only_commands_do_not_create_a_database(
    command: list[str], config: Path, tmp_path: Path
) -> None:
    """A read-only command on a path with no database says so and exits 3; nothing is created
    (neither the file nor its directory)."""
    db = tmp_path / "typo" / "ingest.db"
    code, out, err = invoke(*command, "--config", str(config), "--db", str(db))
    assert code == 3, out + err
    assert f"no database at {db}" in err
    assert not db.parent.exists()


def test_read_only_commands_work_on_an_existing_database(config: Path, tmp_path: Path) -> None:
    """The check is for a missing file only: an existing (empty) database lists nothing, exit 0."""
    db = tmp_path / "ingest.db"
    code, _, err = invoke("import", "--config", str(config), "--db", str(db), str(config))
    assert db.is_file(), err  # `import` creates the database (the file itself is refused)
    for command in (["status"], ["sources"], ["articles"], ["figures"], ["findings"]):
        code, _, err = invoke(*command, "--config", str(config), "--db", str(db))
        assert code == 0, (command, err)


def _bad_paths(tmp_path: Path) -> list[Path]:
    a_file = tmp_path / "hostname"
    a_file.write_text("box\n", encoding="utf-8")
    paths = [a_file / "x.db", a_file / "deeper" / "x.db"]
    if Path("/etc/hostname").is_file():
        paths.append(Path("/etc/hostname/x.db"))
    if Path("/proc/self").is_dir():
        paths.append(Path("/proc/nope/x.db"))
    return paths


@pytest.mark.parametrize("command", [["poll"], ["status"], ["import", "NOTE"]], ids=" ".join)
def test_impossible_database_paths_exit_3_with_a_message(
    command: list[str], config: Path, tmp_path: Path
) -> None:
    """`--db` below a file or below a directory that cannot be created is a database error
    (exit 3) with the path in the message, for writing and reading commands alike."""
    note = tmp_path / "note.txt"
    note.write_text("Alibaba Cloud revenue rose 26% to 39.8 billion yuan.", encoding="utf-8")
    args = [str(note) if a == "NOTE" else a for a in command]
    for db in _bad_paths(tmp_path):
        code, out, err = invoke(*args, "--config", str(config), "--db", str(db))
        assert code == 3, (db, out, err)
        assert str(db) in err
        assert "Traceback" not in err
        if command[0] != "status":
            assert "cannot create the directory" in err
            if "hostname" in str(db):
                assert "is not a directory" in err


def test_demo_says_its_database_goes_away(tmp_path: Path) -> None:
    """Without --dir the demo says its database is deleted and how to keep it; with --dir it
    says where the database is kept, and that database is there afterwards."""
    code, out, err = invoke("demo")
    assert code == 0, err
    assert "is deleted with its temporary directory; keep it with --dir DIR" in out
    kept = tmp_path / "demo"
    code, out, err = invoke("demo", "--dir", str(kept))
    assert code == 0, err
    assert f"database kept at {kept / 'demo.db'}" in out
    code, out, err = invoke("findings", "--db", str(kept / "demo.db"))
    assert code == 0, err
    assert "changed" in out


@pytest.fixture
def polled(tmp_path: Path, loopback: LoopbackServer) -> Path:
    """A config on the demo site, polled once: articles with figures in the database."""
    path = tmp_path / "site.toml"
    path.write_text(demo_config(serve_demo_site(loopback), tmp_path / "site.db"), "utf-8")
    code, _, err = invoke("poll", config=path)
    assert code == 0, err
    return path


def test_figures_table_shows_values_as_written(polled: Path) -> None:
    """The table prints "380 billion", not 3.8e+11; --json keeps the number."""
    code, out, err = invoke("figures", "--metric", "ai_investment_commitment", config=polled)
    assert code == 0, err
    assert "380 billion" in out
    assert "e+11" not in out
    code, out, _ = invoke("figures", "--metric", "ai_investment_commitment", "--json",
                          config=polled)  # fmt: skip
    values = {json.loads(line)["value"] for line in out.splitlines()}
    assert 380e9 in values


@pytest.mark.parametrize("command", ["figures", "findings"])
def test_metric_accepts_key_or_label(polled: Path, command: str) -> None:
    """--metric takes the key or the label the tables show (any case); both give the same rows."""
    from ingest.figures import load_figure_settings

    label = next(
        m.label for m in load_figure_settings().metrics if m.key == "ai_investment_commitment"
    )
    outs = []
    for given in ("ai_investment_commitment", label, label.upper()):
        code, out, err = invoke(command, "--metric", given, "--json", config=polled)
        assert code == 0, err
        outs.append(out)
    assert outs[0] and outs[0] == outs[1] == outs[2]


@pytest.mark.parametrize("command", [["figures"], ["findings"], ["report", "--out", "r.html"]])
def test_unknown_metric_is_an_error(polled: Path, command: list[str]) -> None:
    """An unknown --metric exits 2 naming it and the known keys, instead of an empty table."""
    code, out, err = invoke(*command, "--metric", "nonsense", config=polled)
    assert code == 2, out
    assert "unknown metric 'nonsense'" in err
    assert "(known: " in err and "ai_investment_commitment" in err
