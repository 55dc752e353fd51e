"""OPML import with bad outlines: the good feeds go in, the bad ones are listed by line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.errors import OpmlError
from ingest.feeds.opml import parse_opml, read_opml

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>mine</title></head>
  <body>
    <outline text="Tech">
      <outline text="Good one" xmlUrl="https://good.example/feed" htmlUrl="https://good.example/"/>
      <outline text="Gopher" xmlUrl="gopher://old.example/feed"/>
    </outline>
    <outline text="Second good" xmlUrl="https://two.example/rss"/>
    <outline text="Mail" xmlUrl="mailto:someone@example.com"/>
  </body>
</opml>
"""


def test_read_opml_keeps_the_good_feeds_and_lists_the_bad() -> None:
    """Bad outlines come back as errors with their line, position and title; the good feeds
    (with their htmlUrl) are returned all the same."""
    sources, problems = read_opml(OPML, file="mine.opml")
    assert [(s.name, s.url, s.html_url) for s in sources] == [
        ("Good one", "https://good.example/feed", "https://good.example/"),
        ("Second good", "https://two.example/rss", None),
    ]
    assert [str(p) for p in problems] == [
        "mine.opml: line 7: outline 1/2 ('Gopher'): xmlUrl 'gopher://old.example/feed' "
        "is not an http(s) URL",
        "mine.opml: line 10: outline 3 ('Mail'): xmlUrl 'mailto:someone@example.com' "
        "is not an http(s) URL",
    ]


def test_parse_opml_still_refuses_a_bad_outline() -> None:
    """parse_opml, the strict form, raises the first bad outline."""
    with pytest.raises(OpmlError, match="line 7"):
        parse_opml(OPML, file="mine.opml")


def test_a_file_that_is_not_opml_is_still_refused() -> None:
    """A file with no feed at all, or not XML, raises as before."""
    with pytest.raises(OpmlError, match="not well-formed"):
        read_opml(b"<opml><body>", file="x.opml")


def test_sources_import_adds_the_good_lists_the_bad_and_exits_1(tmp_path: Path) -> None:
    """`ingest sources import` adds the good feeds (keeping htmlUrl as site_url), lists each
    bad outline with its line on stderr, and exits 1; a second run adds nothing."""
    opml = tmp_path / "mine.opml"
    opml.write_bytes(OPML)
    config = tmp_path / "ingest.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "x.db"}"\n', encoding="utf-8")
    env = {"INGEST_CONFIG": str(config), "INGEST_DB": ""}
    result = CliRunner().invoke(main, ["sources", "import", str(opml)], env=env)
    assert result.exit_code == 1
    assert "added Good one <https://good.example/feed>" in result.stdout
    assert "added Second good <https://two.example/rss>" in result.stdout
    assert f"2 added, 0 already known, 2 skipped ({opml})" in result.stdout
    skipped = [x for x in result.stderr.splitlines() if "skipped" in x]
    assert len(skipped) == 2
    assert f"{opml}: line 7: outline 1/2 ('Gopher')" in skipped[0]
    assert "configuration error" not in result.stderr
    listed = CliRunner().invoke(main, ["sources", "--json"], env=env)
    rows = {r["name"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert rows["Good one"]["site_url"] == "https://good.example/"
    assert rows["Good one"]["tags"] == ["Tech"]
    assert rows["Second good"]["site_url"] is None
    again = CliRunner().invoke(main, ["sources", "import", str(opml)], env=env)
    assert "0 added, 2 already known, 2 skipped" in again.stdout


def test_a_clean_file_exits_0(tmp_path: Path) -> None:
    """Without bad outlines the import exits 0 and mentions no skipped feed."""
    opml = tmp_path / "ok.opml"
    opml.write_bytes(OPML.replace(b"gopher://", b"https://").replace(b"mailto:", b"https://"))
    config = tmp_path / "ingest.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "x.db"}"\n', encoding="utf-8")
    result = CliRunner().invoke(
        main, ["sources", "import", str(opml)], env={"INGEST_CONFIG": str(config), "INGEST_DB": ""}
    )
    assert result.exit_code == 0, result.stderr
    assert "4 added, 0 already known (" in result.stdout
