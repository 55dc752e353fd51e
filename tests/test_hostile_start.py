"""Safe start and bounded input (issue 11): two processes on a new database, numbers that are
not numbers, a JSON Lines file with a huge line, a 20,000-outline OPML file, credentials in
feed URLs, control characters and huge titles. Real files, real processes, a real server."""

from __future__ import annotations

import base64
import json
import math
import os
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.config import parse_config
from ingest.errors import ConfigError
from ingest.extract.importer import read_items
from ingest.store.migrations import migrations
from ingest_demo.loopback import CannedResponse, LoopbackServer, RecordedRequest

_OPEN = """
import sys, time
from ingest.store import Store
start = float(sys.argv[2])
while time.time() < start:
    pass
Store(sys.argv[1]).close()
"""


def test_two_processes_opening_a_new_database_both_start(tmp_path: Path) -> None:
    """Ten times, two processes open the same new file at the same instant: both exit 0 (the
    second waits for the first's migrations) and each migration is applied once."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    for trial in range(10):
        db = tmp_path / f"race{trial}.db"
        start = str(time.time() + 1.0)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _OPEN, str(db), start], env=env, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, f"trial {trial}: {err.decode()}"
        conn = sqlite3.connect(db)
        names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")]
        conn.close()
        assert sorted(names) == sorted(m.name for m in migrations._migrations)


_NUMERIC = [
    ("http", "connect_timeout"), ("http", "read_timeout"), ("http", "total_timeout"),
    ("http", "per_host_min_delay"), ("schedule", "tick"), ("schedule", "default_interval"),
    ("schedule", "min_interval"), ("schedule", "max_interval"), ("schedule", "check_budget"),
    ("schedule", "stop_grace"), ("schedule", "revisit_every"),
    ("extract", "min_page_to_feed_ratio"), ("dedup", "duplicate_containment"),
]  # fmt: skip


@pytest.mark.parametrize(("table", "key"), _NUMERIC)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 1e300, "99999999999999d"])
def test_non_finite_and_absurd_numbers_are_refused_with_key_and_range(
    table: str, key: str, bad: object
) -> None:
    """nan, inf and out-of-range values (numbers or durations) are a ConfigError naming the
    key and the allowed range, never a value the daemon later trips over."""
    from ingest.daemon import dedup_settings_for

    if isinstance(bad, str) and table in ("http", "extract", "dedup"):
        pytest.skip("not a duration key")
    with pytest.raises(ConfigError) as info:
        config = parse_config({table: {key: bad}}, file="c.toml", environ={})
        dedup_settings_for(config)
    assert info.value.key == f"{table}.{key}"
    text = str(info.value)
    assert text.startswith(f"c.toml: {table}.{key}: ")
    assert table == "dedup" or "at most" in text


def test_a_source_interval_of_inf_is_refused() -> None:
    """`interval = inf` on a source names the source's key."""
    with pytest.raises(ConfigError) as info:
        parse_config({"sources": [{"name": "a", "url": "https://a/", "interval": math.inf}]},
                     file="c.toml", environ={})  # fmt: skip
    assert info.value.key == "sources[0].interval"


def test_check_config_exits_2_for_nan(tmp_path: Path) -> None:
    """`ingest check-config` on `tick = nan` exits 2 saying file, key and range."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[schedule]\ntick = nan\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check-config", "--config", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: schedule.tick:" in result.stderr and "at most 1h" in result.stderr


def _line(url: str, text: str) -> bytes:
    return json.dumps({"url": url, "text": text}).encode() + b"\n"


def test_a_huge_json_line_is_skipped_with_its_number_and_memory_stays_flat(
    tmp_path: Path,
) -> None:
    """A 30 MB line between two good ones, cap 1 MiB: the good ones are read, the huge one is
    reported as line 2, and the traced peak stays a small fraction of the line."""
    path = tmp_path / "big.jsonl"
    text = "Alibaba Cloud revenue grew 7% in the quarter. " * 40
    with path.open("wb") as out:
        out.write(_line("https://example.com/a", text))
        out.write(b'{"url": "https://example.com/huge", "text": "' + b"x" * 30_000_000 + b'"}\n')
        out.write(_line("https://example.com/b", text))
    tracemalloc.start()
    try:
        items = list(read_items(path, max_bytes=1 << 20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [i.where for i in items] == [f"{path}:1", f"{path}:2", f"{path}:3"]
    assert items[0].article is not None and items[2].article is not None
    assert items[1].article is None and "longer than 1,048,576 bytes" in (items[1].error or "")
    assert peak < 8_000_000, f"traced peak {peak} bytes for a 30 MB line"


def test_import_reports_the_oversized_line_and_goes_on(tmp_path: Path) -> None:
    """`ingest import` with max_decoded_bytes = 64 KiB: exit 1, the oversized line named with
    its line number, both good lines stored."""
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "d.db"}"\n[http]\nmax_decoded_bytes = 65536\n'
                      "[topic]\nenabled = false\n", encoding="utf-8")  # fmt: skip
    path = tmp_path / "in.jsonl"
    text = "Alibaba Cloud said its revenue grew 7% to RMB 29.6 billion this quarter. " * 10
    other = "Qwen models now serve 90,000 enterprise customers. " * 12
    path.write_bytes(
        _line("https://example.com/a", text)
        + _line("https://example.com/x", "y" * 200_000)
        + _line("https://example.com/b", other)
    )
    result = CliRunner().invoke(main, ["import", str(path), "--config", str(config), "-q"])
    assert result.exit_code == 1
    assert f"{path}:2: line longer than 65,536 bytes" in result.stderr
    assert "2 new" in result.stdout


def test_opml_of_20000_outlines_imports_once_through_the_index(tmp_path: Path) -> None:
    """20,000 outlines are all added; a second import adds none; the URL lookup uses the
    sources_url index (it was a full scan per outline: quadratic)."""
    outlines = "".join(
        f'<outline text="Feed {i}" xmlUrl="https://h{i % 97}.example/feed/{i}.xml"/>'
        for i in range(20_000)
    )
    opml = tmp_path / "big.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>')
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "d.db"}"\n', encoding="utf-8")
    args = ["sources", "import", str(opml), "--config", str(config)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.splitlines()[-1].startswith("20000 added, 0 already known")
    second = CliRunner().invoke(main, args)
    assert second.stdout.splitlines()[-1].startswith("0 added, 20000 already known")
    conn = sqlite3.connect(tmp_path / "d.db")
    query = "EXPLAIN QUERY PLAN SELECT 1 FROM sources WHERE name = ? OR url = ?"
    plan = " ".join(str(r) for r in conn.execute(query, ("a", "b")))
    conn.close()
    assert "sources_url" in plan


def _echo_feed(request: RecordedRequest) -> CannedResponse:
    """A server that echoes the Authorization header back, as some debugging proxies do."""
    auth = request.header("authorization") or "none"
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>F</title><item>'
        "<title>Alibaba\x00Cloud " + "very long title " * 5000 + "</title>"
        f"<guid>g1</guid><description>Alibaba Cloud said revenue grew 7%. {auth}</description>"
        "</item></channel></rss>"
    ).encode()
    return CannedResponse(body=body, content_type="application/rss+xml",
                          headers=(("X-Echo-Authorization", auth),))  # fmt: skip


def test_feed_credentials_are_used_but_never_logged_or_stored(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    """A feed URL with user:token: the request carries Basic auth; `poll -vv` output never
    shows the token nor its Basic-auth form (the server echoes it in a header); sources.url,
    declared_url and fetch_log.url hold no credentials; the token is kept apart."""
    token = "s3cr3t-T0ken-4f9a"
    basic = base64.b64encode(f"reader:{token}".encode()).decode()
    loopback.route("/feed", _echo_feed)
    feed = loopback.url("/feed").replace("http://", f"http://reader:{token}@")
    db = tmp_path / "d.db"
    config = tmp_path / "c.toml"
    config.write_text(
        f"""
[store]
path = "{db}"
[http]
allow_networks = ["127.0.0.1/32"]
per_host_min_delay = 0
[topic]
enabled = false
[[sources]]
name = "private"
url = "{feed}"
""",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "-vv", "poll", "--config", str(config)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert loopback.requests_to("/feed")[0].header("authorization") == f"Basic {basic}"
    assert "X-Echo-Authorization" in output or "x-echo-authorization" in output.lower(), (
        "-vv shows response headers: the echo must have been logged, redacted"
    )
    assert token not in output and basic not in output
    conn = sqlite3.connect(db)
    stored = [str(v) for row in conn.execute(
        "SELECT url, declared_url FROM sources UNION ALL SELECT url, '' FROM fetch_log")
        for v in row]  # fmt: skip
    kept = conn.execute("SELECT userinfo FROM source_credentials").fetchall()
    titles = [r[0] for r in conn.execute("SELECT title FROM entries UNION ALL "
                                         "SELECT title FROM articles")]  # fmt: skip
    conn.close()
    assert stored and all(token not in v and "reader" not in v for v in stored)
    assert kept == [(f"reader:{token}",)]
    # Also noted in the issue: a NUL and an 80,000-character title, stored clean and capped.
    assert titles and all("\x00" not in t and len(t) <= 1000 for t in titles)
    assert titles[0].startswith("AlibabaCloud very long title")
