"""The command line: help texts, exit codes, and the JSON contracts operators' scripts use."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.cli.commands_demo import demo_config
from ingest.store import Store
from ingest_demo.loopback import LoopbackServer
from ingest_demo.site import PLEDGE, serve_demo_site

ARTICLE_FIELDS = {
    "id", "url", "canonical_url", "title", "published", "source", "fetched_at", "text_length",
    "extraction", "duplicate_of", "revision", "appearances",
}  # fmt: skip
SOURCE_FIELDS = {
    "name", "url", "status", "last_checked", "next_check", "failures", "last_error", "entries",
}  # fmt: skip


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((f"{prefix}{name}", cmd))
        if isinstance(cmd, click.Group):
            out.extend(all_commands(cmd, f"{prefix}{name} "))
    return out


@pytest.mark.parametrize(("name", "command"), all_commands(main))
def test_every_command_has_help_with_example(name: str, command: click.Command) -> None:
    """Each command's --help works, shows an example and offers --config and --db."""
    result = CliRunner().invoke(main, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"{name} --help has no example"
    assert "--config" in result.output and "--db" in result.output


@pytest.fixture
def site(tmp_path: Path, loopback: LoopbackServer) -> Path:
    """A config pointing at the demo site on the loopback server."""
    feeds = serve_demo_site(loopback)
    config = tmp_path / "ingest.toml"
    config.write_text(demo_config(feeds, tmp_path / "ingest.db"), encoding="utf-8")
    return config


def run(*args: str, config: Path | None = None) -> tuple[int, str, str]:
    env = {"INGEST_CONFIG": str(config)} if config else {}
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_check_config_reports_file_and_key(tmp_path: Path) -> None:
    """A wrong config exits 2 and names the file and the key; a right one says OK."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nname = "x"\nurl = "gopher://x"\n', encoding="utf-8")
    code, _, err = run("check-config", "--config", str(bad))
    assert code == 2
    assert f"{bad}: sources[0].url:" in err
    code, out, _ = run("check-config", "--config", str(Path("config/ingest.toml").resolve()))
    assert code == 0 and "OK" in out


def test_poll_then_json_contracts(site: Path) -> None:
    """After a poll, sources/articles/show/history print the documented JSON fields."""
    code, out, err = run("poll", config=site)
    assert code == 0, err
    code, out, _ = run("sources", "--json", config=site)
    sources = [json.loads(line) for line in out.splitlines()]
    assert len(sources) == 2 and all(set(s) >= SOURCE_FIELDS for s in sources)
    assert {s["status"] for s in sources} == {"ok"}
    code, out, _ = run("articles", "--json", config=site)
    articles = [json.loads(line) for line in out.splitlines()]
    assert len(articles) == 4 and all(set(a) >= ARTICLE_FIELDS for a in articles)
    story = next(a for a in articles if a["title"] == PLEDGE.title and a["duplicate_of"] is None)
    assert story["appearances"] == 2 and story["revision"] == 1 and story["extraction"] == "page"
    code, out, _ = run("articles", "--stories", "--json", config=site)
    assert len(out.splitlines()) == 3
    code, out, _ = run("articles", "show", str(story["id"]), "--json", config=site)
    shown = json.loads(out)
    assert ARTICLE_FIELDS | {"text"} <= set(shown) and "480 billion yuan" in shown["text"]
    assert len(shown["appearances_list"]) == 1
    code, out, _ = run("articles", "history", str(story["id"]), "--json", config=site)
    (rev,) = [json.loads(line) for line in out.splitlines()]
    assert rev["revision"] == 1 and len(rev["text_hash"]) == 64 and rev["diff"] is None
    code, out, _ = run("articles", "search", "infrastructure pledge", "--json", config=site)
    assert story["id"] in {json.loads(line)["id"] for line in out.splitlines()}
    code, out, _ = run("status", config=site)
    assert code == 0 and "2 ok" in out


def test_poll_exit_code_when_a_source_fails(tmp_path: Path, loopback: LoopbackServer) -> None:
    """`poll` exits 1 and names the source when a check fails."""
    config = tmp_path / "c.toml"
    feeds = {"broken": loopback.url("/nothing-here")}
    config.write_text(demo_config(feeds, tmp_path / "x.db"), encoding="utf-8")
    code, _, err = run("poll", config=config)
    assert code == 1 and "broken: error: http_4xx" in err


def test_missing_article_is_an_error(site: Path) -> None:
    """Asking for an article that does not exist exits 1 with a message."""
    run("poll", config=site)  # a database to ask (with none at all the exit code is 3)
    code, _, err = run("articles", "show", "999", config=site)
    assert code == 1 and "no article 999" in err


def test_import_twice_adds_nothing(tmp_path: Path, site: Path) -> None:
    """Backfilled files are stored once; a second import adds nothing; bad lines are reported."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(
        "Alibaba Cloud opens two data centres\n\nAlibaba Cloud said it opened data centres in "
        "Mexico and Thailand, taking its footprint to 31 regions worldwide.", encoding="utf-8"
    )  # fmt: skip
    lines = [
        {"url": "https://news.example/qwen-1", "title": "Qwen 4 released",
         "published": "2026-10-01T08:00:00Z",
         "text": "Alibaba released Qwen 4, a large language model family, on Thursday."},
        {"url": "https://news.example/other", "text": "Ferry timetable changes on Monday."},
        {"title": "no url"},
    ]  # fmt: skip
    (docs / "b.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    code, out, err = run("import", str(docs), config=site)
    assert code == 1, "bad lines make the exit code 1"
    assert "2 new" in out and "1 off-topic" in out
    assert "b.jsonl:3: missing or non-http 'url'" in err and "b.jsonl:4: invalid JSON" in err
    code, out, _ = run("import", str(docs), config=site)
    assert "2 unchanged" in out
    code, out, _ = run("articles", "--json", config=site)
    assert len(out.splitlines()) == 2


def test_sources_import_opml_is_idempotent(site: Path) -> None:
    """An OPML export adds its feeds once; a second import adds nothing; a broken file exits 2."""
    opml = Path(__file__).parent / "data" / "opml" / "feedly.opml"
    code, out, err = run("sources", "import", str(opml), "--tag", "imported", config=site)
    assert code == 0, err
    added = [line for line in out.splitlines() if line.startswith("added ")]
    assert len(added) >= 4
    code, out, _ = run("sources", "import", str(opml), config=site)
    assert code == 0 and out.startswith("0 added")
    code, out, _ = run("sources", "--json", config=site)
    imported = [json.loads(line) for line in out.splitlines()]
    assert sum("imported" in s["tags"] for s in imported) == len(added)
    broken = site.parent / "broken.opml"
    broken.write_text("<opml><body><outline", encoding="utf-8")
    code, _, err = run("sources", "import", str(broken), config=site)
    assert code == 2 and "broken.opml" in err, "OPML is source configuration: exit 2"


def test_cli_reference_is_current() -> None:
    """docs/cli.md is regenerated from the --help texts; it must match them (no drift)."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "scripts" / "cli_docs.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_listing_commands_do_not_touch_sources(site: Path, tmp_path: Path) -> None:
    """A read-only command run with another config leaves the database's sources alone."""
    run("poll", config=site)
    other = tmp_path / "other.toml"
    db = site.parent / "ingest.db"
    other.write_text('[[sources]]\nname = "x"\nurl = "https://x.example/f"\n', encoding="utf-8")
    for command in (["articles"], ["findings"], ["figures"], ["status"], ["alerts"], ["sources"]):
        code, _, err = run(*command, "--config", str(other), "--db", str(db))
        assert code == 0, err
    code, out, _ = run("sources", "--json", config=site)
    listed = [json.loads(line) for line in out.splitlines()]
    assert len(listed) == 2, "no source of the other config was added"
    assert {s["status"] for s in listed} == {"ok"}


def test_sources_enable_and_disable(site: Path) -> None:
    """`sources disable NAME` stops a source; `sources enable NAME` puts it back, due now."""
    run("poll", config=site)
    code, out, _ = run("sources", "disable", "Harbour Ledger", config=site)
    assert code == 0 and "disabled" in out
    code, out, _ = run("sources", "--json", config=site)
    ledger = next(json.loads(x) for x in out.splitlines() if "Harbour" in x)
    assert ledger["status"] == "disabled" and not ledger["enabled"]
    code, _, _ = run("sources", "enable", "Harbour Ledger", config=site)
    code, out, _ = run("sources", "--json", config=site)
    ledger = next(json.loads(x) for x in out.splitlines() if "Harbour" in x)
    assert ledger["status"] == "new" and ledger["enabled"] and ledger["next_check"] is None
    code, _, err = run("sources", "enable", "Nope", config=site)
    assert code == 1 and "no source named" in err


def test_options_before_or_after_the_command(site: Path, tmp_path: Path) -> None:
    """`ingest --config F CMD` and `ingest CMD --config F` both work; typed beats environment."""
    Store(site.parent / "ingest.db").close()  # `sources` reads a database that must exist
    result = CliRunner().invoke(main, ["--config", str(site), "sources", "--json"])
    assert result.exit_code == 0, result.stderr
    env = {"INGEST_CONFIG": str(tmp_path / "missing.toml")}
    result = CliRunner().invoke(main, ["--config", str(site), "check-config"], env=env)
    assert result.exit_code == 0, result.stderr
    result = CliRunner().invoke(main, ["check-config", "--config", str(tmp_path / "no.toml")],
                                env={"INGEST_CONFIG": str(site)})  # fmt: skip
    assert result.exit_code == 2 and "no.toml" in result.stderr


def test_feed_credentials_never_shown(tmp_path: Path, loopback: LoopbackServer) -> None:
    """A feed URL carrying user:password and an api_key: neither appears in stored errors,
    `sources` output or `poll` output."""
    from ingest_demo.loopback import CannedResponse

    loopback.route("/gone/feed?api_key=SECRETKEY123456", CannedResponse(status=410, body=b"gone"))
    host = loopback.base_url.removeprefix("http://")
    url = f"http://user:hunter2pass@{host}/gone/feed?api_key=SECRETKEY123456"
    config = tmp_path / "c.toml"
    config.write_text(demo_config({"tokened": url}, tmp_path / "t.db"), encoding="utf-8")
    outputs = [run("poll", config=config), run("sources", config=config),
               run("sources", "--json", config=config)]  # fmt: skip
    assert "410" in outputs[2][1]
    for _code, out, err in outputs:
        assert "hunter2pass" not in out + err and "SECRETKEY123456" not in out + err


def test_poll_logs_carry_the_same_keys(site: Path) -> None:
    """`-v` logs are JSON lines off a terminal: one per source check and per stored article,
    with source, url, stage and duration_ms, and article_id on the article lines."""
    code, _, err = run("-v", "poll", config=site)
    assert code == 0
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    checks = [x for x in lines if str(x.get("event", "")).startswith("source checked")]
    stored = [x for x in lines if x.get("stage") == "corpus"]
    assert len(checks) == 2 and len(stored) == 4
    for line in checks + stored:
        assert {"source", "url", "stage", "duration_ms"} <= set(line), line
    assert all(isinstance(x["article_id"], int) for x in stored)


def test_reading_commands_work_without_the_daemons_secrets(site: Path, tmp_path: Path) -> None:
    """A config naming an unset secret variable: listing commands work; poll and check-config
    refuse it (exit 2) as the daemon would at start."""
    config = tmp_path / "secret.toml"
    config.write_text(
        site.read_text(encoding="utf-8")
        + '\n[[alerts.webhook]]\nurl = "https://hooks.example.com/x"\n'
        + 'secret_env = "INGEST_TEST_UNSET_SECRET"\n',
        encoding="utf-8",
    )
    Store(site.parent / "ingest.db").close()  # listing commands read a database that exists
    for command in (["articles"], ["findings"], ["alerts"], ["status"], ["sources"]):
        code, _, err = run(*command, config=config)
        assert code == 0, (command, err)
    for command in (["poll"], ["check-config"]):
        code, _, err = run(*command, config=config)
        assert code == 2 and "INGEST_TEST_UNSET_SECRET is not set" in err
