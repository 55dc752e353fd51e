"""``ingest migrate-store``: a SQLite corpus built by the real pipeline against the loopback
site, copied into the real PostgreSQL, answers the same there and goes on working there; bad
input (no server, a full target, no file, a newer file, a file in use, a row PostgreSQL
refuses) is a clear error that leaves both sides as they were."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
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


def pg_exec(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def pg_count(url: str, table: str) -> int:
    if not pg_rows(url, f"SELECT to_regclass('{table}') IS NOT NULL")[0][0]:
        return 0
    return int(pg_rows(url, f"SELECT COUNT(*) FROM {table}")[0][0])


def sqlite_counts(db: Path) -> dict[str, int]:
    with closing(sqlite3.connect(db)) as conn, conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def sqlite_table(db: Path, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    with closing(sqlite3.connect(db)) as conn, conn:
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


# -- bad input ---------------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path, loopback: LoopbackServer) -> tuple[Path, Path]:
    return pipeline_corpus(tmp_path, loopback)


def migrate(config: Path, *args: str) -> Result:
    return ingest("--config", str(config), "migrate-store", *args)


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_server_is_a_database_error(small: tuple[Path, Path]) -> None:
    """No server at the URL: exit 3 naming the server (password masked); the file is as it was."""
    config, db = small
    before = sqlite_counts(db)
    url = f"postgresql://ingest:hunter2@127.0.0.1:{closed_port()}/ingest"
    result = migrate(config, "--to", url)
    assert result.exit_code == 3, result.output
    assert "cannot use the server at" in result.stderr
    assert f"127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}" in result.stderr
    assert "hunter2" not in result.output
    assert sqlite_counts(db) == before


def test_no_target_named_is_a_usage_error(small: tuple[Path, Path]) -> None:
    """Without --to, $INGEST_DATABASE_URL or [store] url there is nowhere to copy to (exit 2);
    a URL that is not postgresql:// is refused the same way."""
    config, _ = small
    result = migrate(config)
    assert result.exit_code == 2 and "name the PostgreSQL database" in result.output
    result = migrate(config, "--to", "mysql://db/ingest")
    assert result.exit_code == 2 and "expected a postgresql:// URL" in result.output


def test_target_from_the_environment(small: tuple[Path, Path], postgres_url: str) -> None:
    """With no --to, $INGEST_DATABASE_URL names the target."""
    config, db = small
    result = ingest(
        "--config", str(config), "migrate-store", env={"INGEST_DATABASE_URL": postgres_url}
    )
    assert result.exit_code == 0, result.output
    assert pg_count(postgres_url, "articles") == sqlite_counts(db)["articles"] > 0


def test_a_target_holding_data_is_refused_unless_replace(
    small: tuple[Path, Path], postgres_url: str
) -> None:
    """A second copy into the same database is refused (exit 3, the tables with rows listed)
    and changes nothing; --replace empties it and copies again, ids and counts as before."""
    config, db = small
    assert migrate(config, "--to", postgres_url).exit_code == 0
    copied = {t: pg_count(postgres_url, t) for t in TABLES}
    assert copied == sqlite_counts(db)
    pg_exec(postgres_url, "UPDATE sources SET failures = 99")  # a change of the target's own
    again = migrate(config, "--to", postgres_url)
    assert again.exit_code == 3, again.output
    assert "already holds data" in again.stderr and "articles (" in again.stderr
    assert "--replace" in again.stderr
    assert {t: pg_count(postgres_url, t) for t in TABLES} == copied
    assert pg_rows(postgres_url, "SELECT DISTINCT failures FROM sources") == [(99,)]
    replaced = migrate(config, "--to", postgres_url, "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert "previous contents deleted" in replaced.stdout
    assert {t: pg_count(postgres_url, t) for t in TABLES} == copied
    assert pg_rows(postgres_url, "SELECT DISTINCT failures FROM sources") == [(0,)]
    ids = [r[0] for r in pg_rows(postgres_url, "SELECT id FROM articles ORDER BY id")]
    assert ids == [r[0] for r in sqlite_table(db, "articles")[1]]


def test_an_opened_but_empty_target_is_accepted(
    small: tuple[Path, Path], postgres_url: str
) -> None:
    """A database a PostgreSQL store was opened on (schema made, band parameters recorded, no
    rows) counts as empty: the copy goes in and the file's parameters replace those."""
    from ingest.config import load_config
    from ingest.daemon import dedup_settings_for
    from ingest.store.postgres import PostgresStore

    config, db = small
    store = PostgresStore(postgres_url)
    store.neardup_check(dedup_settings_for(load_config(config)))
    store.close()
    assert pg_count(postgres_url, "neardup_meta") > 0
    result = migrate(config, "--to", postgres_url)
    assert result.exit_code == 0, result.output
    assert pg_count(postgres_url, "neardup_meta") == sqlite_counts(db)["neardup_meta"]


def test_missing_sqlite_file(tmp_path: Path, postgres_url: str) -> None:
    """No file at --db: exit 3 saying so, nothing created on either side."""
    missing = tmp_path / "nope.db"
    result = ingest("--db", str(missing), "migrate-store", "--to", postgres_url)
    assert result.exit_code == 3, result.output
    assert f"no SQLite database at {missing}" in result.stderr
    assert not missing.exists()
    assert pg_count(postgres_url, "_ingest_migrations") == 0


def test_sqlite_file_from_a_newer_version(small: tuple[Path, Path], postgres_url: str) -> None:
    """A file with a schema step this version does not know: exit 3 naming it; PostgreSQL is
    not touched."""
    config, db = small
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES ('ingest', 'm099_from_the_future', '2030-01-01')"
        )
    result = migrate(config, "--to", postgres_url)
    assert result.exit_code == 3, result.output
    assert "newer ingest" in result.stderr and "m099_from_the_future" in result.stderr
    assert pg_count(postgres_url, "_ingest_migrations") == 0


def test_not_an_ingest_database(tmp_path: Path, postgres_url: str) -> None:
    """A SQLite file of something else, or no SQLite file at all: exit 3 saying what it is."""
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as conn, conn:
        conn.execute("CREATE TABLE t (x)")
    result = ingest("--db", str(other), "migrate-store", "--to", postgres_url)
    assert result.exit_code == 3 and "not an ingest database" in result.stderr
    text = tmp_path / "notes.db"
    text.write_text("not a database at all, just some text" * 100)
    result = ingest("--db", str(text), "migrate-store", "--to", postgres_url)
    assert result.exit_code == 3 and "not a" in result.stderr, result.output


def test_a_row_postgresql_refuses_leaves_the_target_empty(
    small: tuple[Path, Path], postgres_url: str
) -> None:
    """A failure half-way (PostgreSQL refuses a NUL character in a title) rolls everything
    back: exit 3 naming the table, not one row in the target, and a later run can go in."""
    config, db = small
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "UPDATE entries SET title = ? WHERE id = (SELECT MAX(id) FROM entries)",
            ("bad\x00title",),
        )
    result = migrate(config, "--to", postgres_url)
    assert result.exit_code == 3, result.output
    assert "copying table entries (at id " in result.stderr, result.stderr
    assert "nothing was written" in result.stderr
    assert {t: pg_count(postgres_url, t) for t in TABLES} == dict.fromkeys(TABLES, 0)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE entries SET title = 'fixed' WHERE title LIKE 'bad%'")
    assert migrate(config, "--to", postgres_url).exit_code == 0


def test_a_running_daemon_keeps_the_file(
    tmp_path: Path, loopback: LoopbackServer, postgres_url: str
) -> None:
    """While `ingest run` has the file open the copy is refused (exit 3: stop it first) and
    PostgreSQL is not touched; after SIGTERM it goes through."""
    config, db = pipeline_corpus(tmp_path, loopback)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    log = tmp_path / "daemon.log"
    with log.open("wb") as out:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "ingest", "run", "--config", str(config)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        # The daemon has the file open once it logs its start line.
        while "ingest running:" not in log.read_text():
            assert daemon.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        result = migrate(config, "--to", postgres_url)
        assert result.exit_code == 3, result.output
        assert "is open in another process" in result.stderr
        assert "stop it first" in result.stderr
        assert pg_count(postgres_url, "_ingest_migrations") == 0
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0, log.read_text()
    result = migrate(config, "--to", postgres_url)
    assert result.exit_code == 0, result.output
    assert pg_count(postgres_url, "articles") == sqlite_counts(db)["articles"]


def test_sqlite_file_from_an_older_version_is_upgraded_first(
    small: tuple[Path, Path], postgres_url: str
) -> None:
    """A file missing this version's last schema step gets it (as any command would give it),
    says so, and is then copied."""
    config, db = small
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm013_claim_values_newest'")
        conn.execute("DROP INDEX claim_values_newest")
    result = migrate(config, "--to", postgres_url)
    assert result.exit_code == 0, result.output
    assert "up to this version's schema: m013_claim_values_newest" in result.stdout
    with closing(sqlite3.connect(db)) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")]
        index = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'claim_values_newest'"
        ).fetchone()
    assert "m013_claim_values_newest" in names and index
    assert pg_count(postgres_url, "findings") == sqlite_counts(db)["findings"]


def test_a_target_in_use_is_refused(
    small: tuple[Path, Path], postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session writing to the target (a worker started too early) holds its tables: the copy
    gives up after the lock timeout, exit 3 saying the database is in use, nothing written."""
    from ingest.store.postgres import PostgresStore, transfer

    config, _ = small
    PostgresStore(postgres_url).close()  # the schema, as a worker's start would make it
    monkeypatch.setattr(transfer, "LOCK_TIMEOUT", "200ms")
    with psycopg.connect(postgres_url) as writer:
        writer.execute("LOCK TABLE sources IN ROW EXCLUSIVE MODE")  # what an INSERT takes
        result = migrate(config, "--to", postgres_url)
    assert result.exit_code == 3, result.output
    assert "is in use" in result.stderr and "nothing was written" in result.stderr
    assert {t: pg_count(postgres_url, t) for t in TABLES} == dict.fromkeys(TABLES, 0)


def test_while_copying_no_other_process_opens_the_file(small: tuple[Path, Path]) -> None:
    """Once migrate-store holds the file, another process cannot read or write it until the
    copy is done, so nothing is written after the snapshot it copies."""
    from ingest.store.transfer import open_sqlite_source

    _, db = small
    probe = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=0.2); "
        "print(c.execute('SELECT COUNT(*) FROM articles').fetchone()[0])"
    )
    source = open_sqlite_source(db)
    try:
        held = subprocess.run(
            [sys.executable, "-c", probe, str(db)], capture_output=True, text=True
        )
    finally:
        source.close()
    assert held.returncode != 0 and "database is locked" in held.stderr
    free = subprocess.run([sys.executable, "-c", probe, str(db)], capture_output=True, text=True)
    assert free.returncode == 0 and int(free.stdout) == sqlite_counts(db)["articles"]
