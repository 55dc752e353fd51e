"""A full disk and a locked database: reported clearly, nothing half-written, retried next tick."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import replace
from pathlib import Path
from random import Random
from typing import Any

import pytest

from ingest.daemon import Daemon
from ingest.fetch.client import Fetcher
from ingest.fetch.guard import peer_check_for
from ingest.pipeline import Services
from ingest_demo.loopback import CannedResponse, LoopbackServer

_WORDS = (
    "cloud revenue quarter model chips servers region capacity developers downloads pricing "
    "enterprise customers training inference Hangzhou Singapore growth margin agents storage"
).split()


def story(n: int, *, figures: bool) -> str:
    """Text unique to story ``n`` (dedup must not fold the stories into one)."""
    rng = Random(n)
    words = " ".join(rng.choice(_WORDS) for _ in range(120))
    if not figures:
        return f"Alibaba Cloud and Qwen: {words}. Story {n}."
    return (
        f"Alibaba Cloud and Qwen: {words}. Story {n}. Alibaba Cloud revenue grew {10 + n}% to "
        f"{30 + n} billion yuan, and Qwen passed {n + 2} million developers. "
        # Many figures, so that for some headroom the figures insert is the write that fails.
        + " ".join(f"Region {k} added {k * 7 + n} servers, up {k + n}%." for k in range(40))
    )


RSS = "application/rss+xml"


def feed(count: int, *, figures: bool = False) -> bytes:
    items = "".join(
        f"<item><title>Alibaba Cloud story {n}</title>"
        f'<guid isPermaLink="false">s{n}</guid>'
        f"<description>{story(n, figures=figures)}</description></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>http://x/</link>{items}</channel></rss>"
    ).encode()


def tick(services: Services) -> None:
    """One daemon tick with a guarded fetcher in its own event loop."""

    async def go() -> None:
        http = services.config.http
        fresh = replace(services, fetcher=Fetcher(http, peer_check=peer_check_for(http)))
        try:
            await Daemon(fresh).tick()
        finally:
            await fresh.fetcher.aclose()

    asyncio.run(go())


@pytest.fixture
def site(loopback: LoopbackServer) -> str:
    loopback.route("/feed", CannedResponse(body=feed(5), content_type=RSS))
    return loopback.url("/feed")


def test_locked_database_skips_the_tick_then_recovers(
    site: str, make_services: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another connection holding BEGIN EXCLUSIVE: the tick logs 'locked', the next one works."""
    monkeypatch.setattr("ingest.store.base.BUSY_TIMEOUT_MS", 200)
    services: Services = make_services([{"name": "s", "url": site}])
    holder = sqlite3.connect(services.store.path, isolation_level=None, timeout=0.2)
    holder.execute("BEGIN EXCLUSIVE")
    with caplog.at_level(logging.ERROR, logger="ingest.daemon"):
        tick(services)  # must not raise
    holder.execute("ROLLBACK")
    holder.close()
    assert any(
        "tick skipped" in r.getMessage() and "locked" in r.getMessage() for r in caplog.records
    )
    assert services.store.list_articles(limit=10) == []
    tick(services)
    assert len(services.store.list_articles(limit=10)) == 5
    (source,) = services.store.list_sources()
    assert source.last_checked is not None
    assert services.store.integrity_check() == "ok"


def _fill_then_recover(services: Services, headroom: int) -> str | None:
    """Cap the file at ``headroom`` pages over its size, tick, check, lift the cap, tick again.

    Returns a description of an unmapped sqlite3 error that escaped the tick, else None.
    """
    conn = services.store.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + headroom}")
    escaped = None
    try:
        tick(services)
    except sqlite3.Error as exc:
        escaped = f"headroom {headroom}: {exc!r} escaped Daemon.tick"
    stored = services.store.list_articles(limit=10)
    for article in stored:  # whatever was committed before the disk filled is whole
        full = services.store.get_article(article.id)
        assert full is not None and full.text and "Story" in full.text
    assert services.store.integrity_check() == "ok"
    conn.execute("PRAGMA max_page_count = 1073741823")
    tick(services)
    articles = services.store.list_articles(limit=10)
    titles = sorted(a.title or "" for a in articles)
    assert titles == [f"Alibaba Cloud story {n}" for n in range(5)], headroom
    (source,) = services.store.list_sources()
    assert source.status.value == "ok"
    assert services.store.integrity_check() == "ok"
    return escaped


def test_full_disk_is_reported_and_retried(
    site: str, make_services: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """'database or disk is full' mid-poll: logged clearly, nothing half-written, next tick ok."""
    services: Services = make_services([{"name": "s", "url": site}])
    with caplog.at_level(logging.ERROR, logger="ingest.daemon"):
        assert _fill_then_recover(services, 2) is None
    assert any("disk full" in r.getMessage() for r in caplog.records), caplog.text


def test_full_disk_at_every_write_point_is_a_store_error(
    loopback: LoopbackServer, make_services: Any, tmp_path: Path
) -> None:
    """Filling the disk after 0..15 spare pages: every write point fails as a StoreError."""
    loopback.route("/rich", CannedResponse(body=feed(5, figures=True), content_type=RSS))
    site = loopback.url("/rich")
    escaped = []
    for headroom in range(16):
        path = tmp_path / f"full-{headroom}.db"
        services = make_services([{"name": "s", "url": site}], store={"path": str(path)})
        problem = _fill_then_recover(services, headroom)
        if problem:
            escaped.append(problem)
    assert escaped == []
