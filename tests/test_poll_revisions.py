"""Corrections seen from every entry point: `ingest poll` revisits stored pages (issue 12).

A feed and its article page are served on 127.0.0.1; the CLI polls them into a real SQLite
file. The page is then corrected in place (same URL, the feed says nothing) or announced as
updated in the feed, and the next poll must store revision 2 with a word-level diff.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import CliRunner

from ingest.cli import main
from ingest_demo.loopback import CannedResponse, LoopbackServer

PARAGRAPHS = [
    "Harbour Cloud, the computing arm of the fictional Meridian Group, said on Tuesday it "
    "would spend 120 billion yuan on artificial intelligence data centres over three years.",
    "The company told analysts that demand for model training from retailers and banks had "
    "grown faster than its own forecasts, and that new capacity would open in four regions.",
    "Chief executive Lena Ortiz said the plan was the largest the group had made, larger than "
    "its spending on logistics over the whole of the past decade.",
    "Shares of Meridian rose 4.2 per cent in Hong Kong after the announcement, while rivals "
    "were little changed.",
]


def page(paragraphs: list[str]) -> CannedResponse:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (
        "<html><head><title>Harbour Cloud pledges AI spending</title></head><body><article>"
        f"<h1>Harbour Cloud pledges AI spending</h1>{body}</article></body></html>"
    )
    return CannedResponse(body=html.encode(), content_type="text/html; charset=utf-8")


def feed(link: str, *, updated: str) -> CannedResponse:
    xml = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        f"<id>urn:t</id><updated>{updated}</updated><entry><title>Harbour Cloud pledges AI "
        f'spending</title><id>urn:e1</id><link href="{link}"/><updated>{updated}</updated>'
        "<summary>Harbour Cloud will spend on AI data centres.</summary></entry></feed>"
    )
    return CannedResponse(body=xml.encode(), content_type="application/atom+xml")


def write_config(tmp_path: Path, feed_url: str, *, revisit_every: int) -> Path:
    config = tmp_path / "ingest.toml"
    config.write_text(
        f'[store]\npath = "{(tmp_path / "ingest.db").as_posix()}"\n\n'
        '[http]\nallow_networks = ["127.0.0.1/32"]\nper_host_min_delay = 0\n\n'
        f"[schedule]\nrevisit_every = {revisit_every}\n\n[topic]\nenabled = false\n\n"
        f'[[sources]]\nname = "harbour"\nurl = "{feed_url}"\n',
        encoding="utf-8",
    )
    return config


def cli(config: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    assert result.exit_code == 0, (result.output, result.stderr)
    return result.stdout


def only_article(config: Path) -> dict[str, object]:
    rows = [json.loads(line) for line in cli(config, "articles", "--json").splitlines()]
    assert len(rows) == 1, rows
    return rows[0]


def test_correction_in_place_is_revision_2_after_next_due_poll(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    """A page corrected in place (feed unchanged) becomes revision 2 at the first `ingest poll
    --due` after `revisit_every` has passed, not before; history shows a word-level diff."""
    link = loopback.url("/news/harbour-cloud")
    loopback.route("/feed.xml", feed(link, updated="2026-01-05T08:00:00Z"))
    loopback.route("/news/harbour-cloud", page(PARAGRAPHS))
    config = write_config(tmp_path, loopback.url("/feed.xml"), revisit_every=2)
    cli(config, "poll")
    first = only_article(config)
    assert first["revision"] == 1

    corrected = [PARAGRAPHS[0].replace("120 billion", "150 billion"), *PARAGRAPHS[1:]]
    loopback.route("/news/harbour-cloud", page(corrected))
    # Not due yet: the page was fetched less than revisit_every ago.
    out = cli(config, "poll", "--due")
    assert "new revisions" not in out
    assert only_article(config)["revision"] == 1

    time.sleep(2.5)
    out = cli(config, "poll", "--due")
    assert "1 new revisions" in out, out
    assert only_article(config)["revision"] == 2
    history = cli(config, "articles", "history", str(first["id"]))
    assert "-120" in history and "+150" in history
    # The diff is by words: the changed paragraph is not shown whole as removed.
    assert f"-{PARAGRAPHS[0]}" not in history


def test_poll_without_due_revisits_every_page_in_the_window(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    """Plain `ingest poll` revisits every stored page still in the window, due or not."""
    link = loopback.url("/news/harbour-cloud")
    loopback.route("/feed.xml", feed(link, updated="2026-01-05T08:00:00Z"))
    loopback.route("/news/harbour-cloud", page(PARAGRAPHS))
    config = write_config(tmp_path, loopback.url("/feed.xml"), revisit_every=3600)
    cli(config, "poll")
    loopback.route(
        "/news/harbour-cloud", page([*PARAGRAPHS[:3], PARAGRAPHS[3].replace("4.2", "3.9")])
    )
    out = cli(config, "poll")
    assert "1 new revisions" in out, out
    assert only_article(config)["revision"] == 2


def test_updated_feed_entry_is_fetched_again_at_once(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    """An entry whose `updated` date changed is fetched again on the next poll, whatever
    the revisit schedule (revisits off here): the corrected page is revision 2."""
    link = loopback.url("/news/harbour-cloud")
    loopback.route("/feed.xml", feed(link, updated="2026-01-05T08:00:00Z"))
    loopback.route("/news/harbour-cloud", page(PARAGRAPHS))
    config = write_config(tmp_path, loopback.url("/feed.xml"), revisit_every=0)
    cli(config, "poll")
    loopback.route("/news/harbour-cloud", page([*PARAGRAPHS, "Correction: a date was fixed."]))
    loopback.route("/feed.xml", feed(link, updated="2026-01-05T11:30:00Z"))
    cli(config, "poll")
    article = only_article(config)
    assert article["revision"] == 2
    assert "+Correction:" in cli(config, "articles", "history", str(article["id"]))
