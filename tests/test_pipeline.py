"""End-to-end checks of one source through the real pipeline, against a loopback server."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from ingest.daemon import run_pass
from ingest.fetch.client import Fetcher
from ingest.models import CheckOutcome, SourceStatus
from ingest.pipeline import Services
from ingest_demo.loopback import CannedResponse, LoopbackServer
from ingest_demo.site import CHIP, PLEDGE, QWEN, WEATHER, serve_demo_site


def poll(services: Services) -> list[CheckOutcome]:
    """One pass, as `ingest poll` does it: its own event loop and HTTP client."""

    async def go() -> list[CheckOutcome]:
        fresh = replace(services, fetcher=Fetcher(services.config.http))
        try:
            return await run_pass(fresh, only_due=False)
        finally:
            await fresh.fetcher.aclose()

    return asyncio.run(go())


def rss(items: list[tuple[str, str, str]], *, ttl: int | None = None) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{d}</description></item>"
        for t, link, d in items
    )
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>http://x/</link>{ttl_tag}{body}</channel></rss>"
    ).encode()


def demo_sources(loopback: LoopbackServer) -> list[dict[str, Any]]:
    feeds = serve_demo_site(loopback)
    return [{"name": name, "url": url} for name, url in feeds.items()]


def test_new_entries_stored_once(loopback: LoopbackServer, make_services: Any) -> None:
    """A first poll stores each on-topic article once; the wire copy is a duplicate."""
    services = make_services(demo_sources(loopback))
    results = poll(services)
    assert {r.outcome for r in results} == {"ok"}
    rows = services.store.list_articles(limit=100)
    titles = sorted(a.title or "" for a in rows if a.duplicate_of is None)
    assert titles == sorted([PLEDGE.title, QWEN.title, CHIP.title])
    dups = [a for a in rows if a.duplicate_of is not None]
    # Both outlets are polled in parallel: whichever is stored first is the story.
    assert len(dups) == 1 and dups[0].title == PLEDGE.title
    story = next(a for a in rows if a.id == dups[0].duplicate_of)
    assert {story.source, dups[0].source} == {"Harbour Ledger", "Pacific Wire Review"}
    assert story.appearances == 2
    assert WEATHER.title not in {a.title for a in rows}, "off-topic entry must not be stored"
    stored = services.store.get_article(story.id)
    assert stored is not None and stored.text is not None
    assert "480 billion yuan" in stored.text
    assert "cookies" not in stored.text and "All rights reserved" not in stored.text


def test_second_poll_is_conditional_and_stores_nothing(
    loopback: LoopbackServer, make_services: Any
) -> None:
    """The second poll sends If-None-Match; an unchanged feed stores nothing new."""
    services = make_services(demo_sources(loopback))
    poll(services)
    before = len(services.store.list_articles(limit=1000))
    results = poll(services)
    assert {r.outcome for r in results} == {"unchanged"}
    feed_requests = loopback.requests_to("/ledger/feed.xml")
    assert feed_requests[-1].header("If-None-Match") == '"ledger-v1"'
    assert len(services.store.list_articles(limit=1000)) == before


def test_304_is_not_modified(loopback: LoopbackServer, make_services: Any) -> None:
    """A 304 answer is recorded as not_modified and schedules the next check."""
    calls = {"n": 0}

    def feed(request: Any) -> CannedResponse:
        calls["n"] += 1
        if request.header("If-None-Match") == '"v1"':
            return CannedResponse(status=304, headers=(("ETag", '"v1"'),))
        return CannedResponse(
            body=rss([]), content_type="application/rss+xml", headers=(("ETag", '"v1"'),)
        )

    loopback.route("/feed", feed)
    services = make_services([{"name": "s", "url": loopback.url("/feed")}])
    poll(services)
    (result,) = poll(services)
    assert result.outcome == "not_modified" and result.http_status == 304
    (source,) = services.store.list_sources()
    assert source.status is SourceStatus.OK and source.etag == '"v1"'
    assert source.next_check is not None and source.last_checked is not None
    assert source.next_check > source.last_checked


def test_429_honours_retry_after(loopback: LoopbackServer, make_services: Any) -> None:
    """A 429 with Retry-After pushes the next check at least that far out."""
    loopback.route(
        "/feed", CannedResponse(status=429, headers=(("Retry-After", "7200"),), body=b"slow down")
    )
    services = make_services([{"name": "s", "url": loopback.url("/feed")}])
    (result,) = poll(services)
    assert result.outcome == "error" and result.error_kind == "http_429"
    (source,) = services.store.list_sources()
    assert source.status is SourceStatus.FAILING and source.failures == 1
    assert source.next_check is not None and source.last_checked is not None
    assert (source.next_check - source.last_checked).total_seconds() >= 7200


def test_500_then_recovery(loopback: LoopbackServer, make_services: Any) -> None:
    """A 5xx marks the source failing with backoff; the next success resets it."""
    loopback.route("/feed", CannedResponse(status=503, body=b"down"))
    services = make_services([{"name": "s", "url": loopback.url("/feed")}])
    poll(services)
    poll(services)
    (source,) = services.store.list_sources()
    assert source.status is SourceStatus.FAILING and source.failures == 2
    assert source.last_error_kind == "http_5xx"
    loopback.route("/feed", CannedResponse(body=rss([]), content_type="application/rss+xml"))
    (result,) = poll(services)
    assert result.outcome == "ok"
    (source,) = services.store.list_sources()
    assert source.status is SourceStatus.OK and source.failures == 0


def test_timeout_is_classified(loopback: LoopbackServer, make_services: Any) -> None:
    """A server slower than the read timeout is a timeout failure, not a crash."""
    loopback.route("/feed", CannedResponse(body=rss([]), delay=3.0))
    services = make_services([{"name": "s", "url": loopback.url("/feed")}])
    (result,) = poll(services)
    assert result.outcome == "error" and result.error_kind == "timeout"


def test_body_over_cap(loopback: LoopbackServer, make_services: Any) -> None:
    """A feed larger than max_body_bytes is refused as too_large."""
    loopback.route("/feed", CannedResponse(body=b"<rss>" + b" " * 3_000_000, chunked=True))
    services = make_services([{"name": "s", "url": loopback.url("/feed")}])
    (result,) = poll(services)
    assert result.error_kind == "too_large"


def test_redirect_loop(loopback: LoopbackServer, make_services: Any) -> None:
    """A redirect loop is a classified failure."""
    loopback.redirect_loop("/a", "/b")
    services = make_services([{"name": "s", "url": loopback.url("/a")}])
    (result,) = poll(services)
    assert result.error_kind == "too_many_redirects"


def test_permanent_redirect_updates_url(loopback: LoopbackServer, make_services: Any) -> None:
    """A 301 to a new feed URL is followed and the stored URL updated."""
    loopback.redirect("/old", "/new", status=301)
    loopback.route("/new", CannedResponse(body=rss([]), content_type="application/rss+xml"))
    services = make_services([{"name": "s", "url": loopback.url("/old")}])
    (result,) = poll(services)
    assert result.outcome == "ok"
    (source,) = services.store.list_sources()
    assert source.url == loopback.url("/new")


def test_410_disables(loopback: LoopbackServer, make_services: Any) -> None:
    """410 Gone disables the source with a reason; it is not polled again."""
    loopback.route("/feed", CannedResponse(status=410, body=b"gone"))
    services = make_services([{"name": "s", "url": loopback.url("/feed")}])
    (result,) = poll(services)
    assert result.outcome == "disabled"
    (source,) = services.store.list_sources()
    assert source.status is SourceStatus.DISABLED and not source.enabled
    assert "410" in (source.last_error or "")
    assert poll(services) == []


def test_not_xml_and_html_instead_of_feed(loopback: LoopbackServer, make_services: Any) -> None:
    """Garbage bytes and an HTML page where a feed should be are parse failures."""
    loopback.route("/garbage", CannedResponse(body=b"\x00\x01\x02 not a feed at all"))
    loopback.route(
        "/html",
        CannedResponse(
            body=b"<!DOCTYPE html><html><body><h1>Welcome</h1><p>Hi</p></body></html>",
            content_type="text/html",
        ),
    )
    services = make_services(
        [
            {"name": "garbage", "url": loopback.url("/garbage")},
            {"name": "html", "url": loopback.url("/html")},
        ]
    )
    results = poll(services)
    assert sorted(r.error_kind or "" for r in results) == ["parse", "parse"]
    for source in services.store.list_sources():
        assert source.status is SourceStatus.FAILING and source.last_error


def test_failed_page_uses_feed_text(loopback: LoopbackServer, make_services: Any) -> None:
    """When the article page 404s, the feed's own text is stored and marked as such."""
    services = make_services(demo_sources(loopback))
    poll(services)
    chip = next(a for a in services.store.list_articles(limit=100) if a.title == CHIP.title)
    assert chip.extraction == "feed"
    stored = services.store.get_article(chip.id)
    assert stored is not None and stored.text == CHIP.summary
    assert "404" in (stored.extraction_note or ""), "the reason the feed text was used is kept"


def test_rejected_entry_never_fetched(loopback: LoopbackServer, make_services: Any) -> None:
    """An off-topic entry is recorded as rejected and its page is never requested."""
    services = make_services(demo_sources(loopback))
    poll(services)
    assert loopback.requests_to(f"/ledger/{WEATHER.slug}") == []


def test_unexpected_error_is_contained_to_its_entry(
    loopback: LoopbackServer, make_services: Any, monkeypatch: Any
) -> None:
    """A bug met on one entry's page fails that entry, recorded with the reason; the feed's
    other entries and the other sources go on."""
    import ingest.pipeline

    real = ingest.pipeline.extract_page

    def explode(html: bytes, *, url: str) -> Any:
        if "/wire/" in url:
            raise RuntimeError("boom on a stranger's page")
        return real(html, url=url)

    monkeypatch.setattr(ingest.pipeline, "extract_page", explode)
    services = make_services(demo_sources(loopback))
    results = {services.store.get_source(r.source_id).name: r for r in poll(services)}  # type: ignore[union-attr]
    assert {r.outcome for r in results.values()} == {"ok"}
    wire = services.store.get_source(results["Pacific Wire Review"].source_id)
    assert wire is not None and wire.entries == 1
    seen = services.store.seen_entry(wire.id, f"wire-{PLEDGE.slug}")
    assert seen is not None and seen.status == "failed" and seen.attempts == 1
    assert len(services.store.list_articles()) == 3, "the Ledger's three on-topic articles"
    assert services.store.lease_owners() == []
