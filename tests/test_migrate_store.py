"""``ingest migrate-store``: a SQLite corpus built by the real pipeline against the loopback
site, copied into the real PostgreSQL, answers the same there and goes on working there; bad
input (no server, a full target, no file, a newer file, a file in use, a row PostgreSQL
refuses) is a clear error that leaves both sides as they were."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ingest.cli import main
from ingest.cli.commands_demo import SECRET_ENV, demo_config
from ingest.config import load_config
from ingest.daemon import build_services, close_services, deliver_alerts, open_store, run_pass
from ingest.pipeline import revisit_due
from ingest.store import Store
from ingest.store.transfer import (
    NOT_COPIED,
    TABLES,
    hold_forward_references,
    not_copied,
    unplanned,
)
from ingest_demo.loopback import CannedResponse, LoopbackServer
from ingest_demo.receiver import WebhookReceiver, new_secret
from ingest_demo.site import PLAN, STEPS, AlertStory, DemoArticle, render_feed, render_page

psycopg = pytest.importorskip("psycopg", reason="the postgres extra is not installed")

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _no_store_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands see only what each test passes them."""
    for name in ("INGEST_DB", "INGEST_DATABASE_URL", "INGEST_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def ingest(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def pg_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[no-any-return]


def pg_count(url: str, table: str) -> int:
    if not pg_rows(url, f"SELECT to_regclass('{table}') IS NOT NULL")[0][0]:
        return 0
    return int(pg_rows(url, f"SELECT COUNT(*) FROM {table}")[0][0])


def sqlite_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def sqlite_table(db: Path, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        quoted = ", ".join(f'"{c}"' for c in columns)
        rows = conn.execute(f"SELECT {quoted} FROM {table}").fetchall()
    return columns, rows


def same_value(value: Any) -> Any:
    """A PostgreSQL value as SQLite holds it (flags as 0/1, pages as bytes)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


@dataclass
class Corpus:
    config: Path
    db: Path
    story: AlertStory
    hook: WebhookReceiver
    server: LoopbackServer
    delivered: int  # alerts the receiver got while the corpus was built


def run_steps(config: Path, steps: list[int], story: AlertStory) -> None:
    """The demo's scenario steps, through the real pipeline, on the config's store."""
    loaded = load_config(config)
    store = open_store(loaded, loaded.store.path)
    services = build_services(loaded, store)

    async def go() -> None:
        try:
            last = time.monotonic()
            for n in steps:
                story.step(n)
                if n == len(STEPS) - 1:
                    # Pages are revisited once older than revisit_every (1 s in the config).
                    await asyncio.sleep(max(0.0, 1.1 - (time.monotonic() - last)))
                    await revisit_due(services, limit=100)
                else:
                    await run_pass(services, only_due=False)
                await deliver_alerts(services)
                last = time.monotonic()
        finally:
            await close_services(services)

    try:
        asyncio.run(go())
    finally:
        store.close()


@pytest.fixture
def corpus(
    tmp_path: Path, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Corpus]:
    """The demo's alerts scenario (a figure stated, repeated, changed, corrected in place) in a
    SQLite file, alerts delivered to a receiver; plus a target that answers 410 Gone (a
    disabled target) and a feed URL with credentials in it."""
    secret = new_secret()
    monkeypatch.setenv(SECRET_ENV, secret)
    loopback.route("/gone", CannedResponse(status=410, body=b"gone"))
    with WebhookReceiver(secret) as hook:
        story = AlertStory(loopback)
        db = tmp_path / "ingest.db"
        feeds = story.feeds()
        ledger = feeds["Harbour Ledger"].replace("http://", "http://reader:s3cret@")
        text = demo_config({**feeds, "Ledger by login": ledger}, db, webhook_url=hook.url)
        text += (
            f'\n[[alerts.webhook]]\nname = "gone"\nurl = "{loopback.url("/gone")}"\n'
            f'secret_env = "{SECRET_ENV}"\n'
        )
        config = tmp_path / "ingest.toml"
        config.write_text(text, encoding="utf-8")
        run_steps(config, list(range(len(STEPS))), story)
        yield Corpus(config, db, story, hook, loopback, len(hook.take_new()))


def pipeline_corpus(tmp_path: Path, server: LoopbackServer) -> tuple[Path, Path]:
    """A smaller corpus (two steps of the scenario, no alerts), for the bad-input tests."""
    story = AlertStory(server)
    db = tmp_path / "small.db"
    config = tmp_path / "small.toml"
    config.write_text(demo_config(story.feeds(), db), encoding="utf-8")
    run_steps(config, [0, 1], story)
    return config, db


# -- the plan ----------------------------------------------------------------------------------


def test_every_sqlite_table_is_copied_or_left_behind_on_purpose(tmp_path: Path) -> None:
    """Each table of the SQLite schema (m001-m013) is in the copy plan, or is SQLite's own
    bookkeeping (migration log, FTS5 tables) that PostgreSQL keeps its own way."""
    store = Store(tmp_path / "schema.db")
    try:
        tables = [
            r[0]
            for r in store.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
    finally:
        store.close()
    assert unplanned(tables) == []
    assert set(TABLES) <= set(tables)
    left = sorted(t for t in tables if not_copied(t))
    assert left == sorted(
        ["_sqlite_migrations", *[t for t in tables if t.startswith("articles_fts")]]
    )
    assert set(NOT_COPIED) == {"_sqlite_migrations", "articles_fts"}
    assert unplanned([*tables, "mystery"]) == ["mystery"]


def test_a_reference_to_a_later_row_is_held_back() -> None:
    """An article pointing at a later article is copied with NULL there and the pair kept."""
    columns = ("id", "url", "duplicate_of")
    rows = [(1, "a", None), (2, "b", 1), (3, "c", 7)]
    out, held = hold_forward_references(rows, columns, "articles")
    assert out == [(1, "a", None), (2, "b", 1), (3, "c", None)]
    assert held == [(3, 7)]
    assert hold_forward_references(rows, columns, "figures") == (rows, [])


# -- the whole corpus --------------------------------------------------------------------------


def strip_relative(text: str) -> str:
    """``ingest status`` without what differs between two runs of it: the database line, the
    cluster block and the "(12 s ago)" parts."""
    lines = [
        line
        for line in text.splitlines()
        if not line.startswith(("database", "cluster", "workers", "queue", "stalled"))
    ]
    return re.sub(r"\((in )?[\d.]+ \w+( ago)?\)", "", "\n".join(lines))


def test_migrated_corpus_answers_the_same_and_goes_on_working(
    corpus: Corpus, postgres_url: str
) -> None:
    """Every table arrives row for row with its ids; the CLI lists the same sources, articles,
    figures, findings and alerts; search and the near-duplicate index work; a further poll on
    PostgreSQL stores only the new item, as a copy of the migrated story, and re-sends no
    alert."""
    assert corpus.delivered >= 3, "the scenario delivers figure.new, changed and revised"
    before = sqlite_counts(corpus.db)
    moved = ("source_credentials", "revisions", "raw_pages", "figures", "claims", "findings",
             "alerts", "alert_deliveries", "alert_targets", "neardup_band", "story_key",
             "fetch_log", "figure_runs", "claim_values", "neardup_meta")  # fmt: skip
    for table in moved:
        assert before[table] > 0, f"the corpus has no {table} rows to move"

    result = ingest("--config", str(corpus.config), "migrate-store", "--to", postgres_url)
    assert result.exit_code == 0, result.output
    for table, n in before.items():
        assert re.search(rf"^{table}\s+{n:,}\s+{n:,}$", result.stdout, re.M), (table, result.stdout)
    assert f"copied {sum(before.values()):,} rows" in result.stdout
    assert "sources" in result.stderr  # progress, per table

    for table in TABLES:
        columns, rows = sqlite_table(corpus.db, table)
        quoted = ", ".join(f'"{c}"' for c in columns)
        got = [
            tuple(map(same_value, r))
            for r in pg_rows(postgres_url, f"SELECT {quoted} FROM {table}")
        ]
        assert sorted(got, key=repr) == sorted(rows, key=repr), table
    assert pg_count(postgres_url, "article_search") == before["articles"]

    pg = {"INGEST_DATABASE_URL": postgres_url}
    lite = ["--config", str(corpus.config)]
    listings = [["sources", "--json"], ["articles", "--json"], ["articles", "--stories"],
                ["figures", "--json"], ["findings", "--json"], ["alerts", "--json"]]  # fmt: skip
    searches = [["articles", "search", "Alibaba"], ["articles", "search", "yuan plan"]]
    for command in listings + searches:
        here, there = ingest(*lite, *command), ingest(*lite, *command, env=pg)
        assert here.exit_code == 0, (command, here.output)
        assert there.exit_code == 0, (command, there.output)
        assert here.stdout.strip(), command
        if command in searches:  # the same articles; each backend ranks them its own way
            assert sorted(here.stdout.splitlines()) == sorted(there.stdout.splitlines())
        else:
            assert here.stdout == there.stdout, command
    revised = pg_rows(postgres_url, "SELECT id FROM articles WHERE revision > 1 ORDER BY id")
    assert revised
    for (article_id,) in revised:
        command = ["articles", "history", str(article_id), "--json"]
        assert ingest(*lite, *command).stdout == ingest(*lite, *command, env=pg).stdout
    status_here, status_there = ingest(*lite, "status"), ingest(*lite, "status", env=pg)
    assert status_there.exit_code == 0, status_there.output
    assert strip_relative(status_here.stdout) == strip_relative(status_there.stdout)
    assert "postgresql://" in status_there.stdout

    _near_duplicate_lookup_finds_the_plan(corpus, postgres_url)
    _further_poll_on_postgres(corpus, postgres_url, before)


def reworded(article: DemoArticle, slug: str) -> DemoArticle:
    """A close copy: the same story with a few words changed, so its text hash differs."""
    first, *rest = article.paragraphs
    return DemoArticle(
        slug=slug,
        title=f"{article.title} (agency report)",
        summary=article.summary,
        published="Sat, 26 Sep 2026 10:00:00 GMT",
        paragraphs=(first.replace("told an audience", "told a gathering"), *rest),
    )


def _near_duplicate_lookup_finds_the_plan(corpus: Corpus, url: str) -> None:
    from ingest.config import load_config
    from ingest.daemon import dedup_settings_for
    from ingest.dedup import band_keys, signature
    from ingest.store.postgres import PostgresStore

    settings = dedup_settings_for(load_config(corpus.config))
    keys = band_keys(signature("\n\n".join(reworded(PLAN, "x").paragraphs), settings))
    lite, pg = Store(corpus.db), PostgresStore(url)
    try:
        here = lite.neardup_candidates(keys, limit=5)
        there = pg.neardup_candidates(keys, limit=5)
        titles = {pg.get_article(i).title for i in there}  # type: ignore[union-attr]
    finally:
        lite.close()
        pg.close()
    assert there == here and there
    assert PLAN.title in titles


def _further_poll_on_postgres(corpus: Corpus, url: str, before: dict[str, int]) -> None:
    copy = reworded(PLAN, "alibaba-plan-agency-copy")
    site = "lantern"
    items = [copy, *corpus.story.items[site]]
    base = corpus.server.base_url
    corpus.server.route(
        f"/{site}/feed.xml",
        CannedResponse(body=render_feed(base, site, items), content_type="application/rss+xml"),
    )
    corpus.server.route(
        f"/{site}/{copy.slug}",
        CannedResponse(body=render_page(site, copy, []), content_type="text/html"),
    )
    os.environ["INGEST_DATABASE_URL"] = url
    try:
        run_steps_on_postgres(corpus)
    finally:
        del os.environ["INGEST_DATABASE_URL"]
    assert corpus.hook.take_new() == [], "no alert is sent again, and a copy raises none"
    after = {t: pg_count(url, t) for t in TABLES}
    assert after["entries"] == before["entries"] + 1  # only the new item
    assert after["articles"] == before["articles"] + 1
    assert after["alerts"] == before["alerts"]
    new_id, duplicate_of, story_title = pg_rows(
        url,
        "SELECT a.id, a.duplicate_of, s.title FROM articles a JOIN articles s"
        " ON s.id = a.duplicate_of ORDER BY a.id DESC LIMIT 1",
    )[0]
    old_max = max(r[0] for r in sqlite_table(corpus.db, "articles")[1])
    assert new_id == old_max + 1, "the id sequence continues past the copied ids"
    assert story_title == PLAN.title, "the copy is recognised through the migrated index"
    assert duplicate_of <= old_max
    old_revisions = pg_rows(url, f"SELECT COUNT(*) FROM revisions WHERE article_id <= {old_max}")
    assert old_revisions[0][0] == before["revisions"], "no stored article was stored again"


def run_steps_on_postgres(corpus: Corpus) -> None:
    loaded = load_config(corpus.config)
    assert loaded.store.url is None  # the environment chooses PostgreSQL
    store = open_store(loaded, loaded.store.path)
    assert "postgresql://" in store.path
    services = build_services(loaded, store)

    async def go() -> None:
        try:
            await run_pass(services, only_due=False)
            await deliver_alerts(services)
        finally:
            await close_services(services)

    try:
        asyncio.run(go())
    finally:
        store.close()
