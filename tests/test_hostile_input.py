"""Hostile and broken input through the real pipeline: each gets a defined, recorded outcome.

Every test polls a loopback site with the real fetcher, parser, extractor and SQLite store and
then checks what was recorded for the source (outcome, error kind, last_error) and what was
stored. Bounds of time and memory are measured by ``bench/bench_hostile.py`` (see
docs/reliability.md); tests assert outcomes only.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from random import Random
from typing import Any

import pytest
from loopback import bomb

from ingest.daemon import run_pass
from ingest.fetch.client import Fetcher
from ingest.fetch.guard import peer_check_for
from ingest.models import CheckOutcome, SourceStatus
from ingest.pipeline import Services
from ingest_demo.loopback import CannedResponse, LoopbackServer, RecordedRequest

RSS = "application/rss+xml"
ON_TOPIC = (
    "Alibaba Cloud said its Qwen models now serve 90,000 enterprise customers, and that "
    "revenue from AI products grew by triple digits for a ninth quarter. "
)
PAGE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    + "".join(
        f"<p>{ON_TOPIC} Paragraph {i} adds detail on Tongyi and data centres.</p>" for i in range(6)
    )
    + "</article></body></html>"
)


def poll(services: Services) -> list[CheckOutcome]:
    """One pass with its own event loop and a guarded fetcher, as the daemon will run it."""

    async def go() -> list[CheckOutcome]:
        http = services.config.http
        fresh = replace(services, fetcher=Fetcher(http, peer_check=peer_check_for(http)))
        try:
            return await run_pass(fresh, only_due=False)
        finally:
            await fresh.fetcher.aclose()

    return asyncio.run(go())


_WORDS = (
    "cloud revenue quarter model chips servers region capacity developers downloads pricing "
    "enterprise customers training inference datacentre Hangzhou Singapore growth margin "
    "subscription agents platform storage network partners launch upgrade forecast demand"
).split()


def blurb(seed: str) -> str:
    """Feed text unique to ``seed``, so dedup never folds two test entries into one story."""
    rng = Random(seed)
    return "Alibaba Cloud and Qwen: " + " ".join(rng.choice(_WORDS) for _ in range(80)) + "."


def item(title: str, link: str | None, *, guid: str | None = None, extra: str = "") -> str:
    link_tag = f"<link>{link}</link>" if link is not None else ""
    # isPermaLink="false": otherwise RSS 2.0 makes the GUID the entry's link.
    guid_tag = f'<guid isPermaLink="false">{guid}</guid>' if guid is not None else ""
    return (
        f"<item><title>{title}</title>{link_tag}{guid_tag}"
        f"<description>{blurb(title + (guid or ''))}</description>{extra}</item>"
    )


def rss(*items: str, prolog: str = '<?xml version="1.0"?>') -> bytes:
    return (
        f'{prolog}<rss version="2.0"><channel><title>T</title><link>http://x/</link>'
        f"{''.join(items)}</channel></rss>"
    ).encode()


def one_source(make_services: Any, url: str, **tables: Any) -> Services:
    services: Services = make_services([{"name": "s", "url": url}], **tables)
    return services


def only(results: list[CheckOutcome]) -> CheckOutcome:
    (result,) = results
    return result


# -- resource limits ------------------------------------------------------------------------


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_decompression_bomb_feed_is_too_large(
    loopback: LoopbackServer, make_services: Any, coding: str
) -> None:
    """A 50 MB bomb as a feed stops at the decoded cap and is the source's too_large error."""
    loopback.route("/feed", bomb(coding, 50_000_000))
    services = one_source(make_services, loopback.url("/feed"))
    result = only(poll(services))
    assert (result.outcome, result.error_kind) == ("error", "too_large")
    (source,) = services.store.list_sources()
    assert source.status is SourceStatus.FAILING
    assert (source.last_error or "").startswith("too_large:")


@pytest.fixture
def endless() -> Iterator[str]:
    """A raw server that answers 200 and streams zero bytes forever (no Content-Length)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=stream, args=(conn,), daemon=True).start()

    def stream(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
            chunk = b"<p>" + b"a" * 65533
            try:
                while not stop.is_set():
                    conn.sendall(chunk)
            except OSError:
                return  # the client hung up at its cap, which is the point

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    server.close()


def test_endless_page_is_cut_at_the_wire_cap(endless: str, make_services: Any) -> None:
    """A feed URL that never stops sending is cut at max_body_bytes: too_large, not a hang."""
    services = one_source(make_services, f"{endless}/feed")
    result = only(poll(services))
    assert (result.outcome, result.error_kind) == ("error", "too_large")


def test_endless_article_page_falls_back_to_feed_text(
    endless: str, loopback: LoopbackServer, make_services: Any
) -> None:
    """An article page that never ends is abandoned at the cap; the feed's text is stored."""
    loopback.route(
        "/feed",
        CannedResponse(body=rss(item("Alibaba Cloud Qwen", f"{endless}/huge")), content_type=RSS),
    )
    services = one_source(make_services, loopback.url("/feed"))
    assert only(poll(services)).outcome == "ok"
    (article,) = services.store.list_articles(limit=10)
    assert article.extraction == "feed"


def test_trickling_feed_hits_the_total_deadline(
    loopback: LoopbackServer, make_services: Any
) -> None:
    """A feed sent a byte every 50 ms is cut by total_timeout and recorded as timeout."""
    loopback.route("/feed", CannedResponse(body=rss(item("x", None)), trickle=0.05))
    services = one_source(make_services, loopback.url("/feed"), http={"total_timeout": 1})
    result = only(poll(services))
    assert (result.outcome, result.error_kind) == ("error", "timeout")


def test_endless_redirect_chain_is_cut(loopback: LoopbackServer, make_services: Any) -> None:
    """/r/1 -> /r/2 -> ... (never a loop) stops after max_redirects: too_many_redirects."""

    def hop(request: RecordedRequest) -> CannedResponse:
        n = int(request.path.rsplit("/", 1)[1])
        return CannedResponse(status=302, headers=(("Location", f"/r/{n + 1}"),))

    for n in range(20):
        loopback.route(f"/r/{n}", hop)
    services = one_source(make_services, loopback.url("/r/0"))
    result = only(poll(services))
    assert (result.outcome, result.error_kind) == ("error", "too_many_redirects")
    assert len(loopback.requests) == services.config.http.max_redirects + 1


def test_huge_entry_count_is_capped_per_poll(loopback: LoopbackServer, make_services: Any) -> None:
    """20,000 entries: only max_entries_per_poll are handled; last_error says it was cut."""
    items = "".join(
        f"<item><title>Weather {i}</title><guid>g{i}</guid></item>" for i in range(20_000)
    )
    loopback.route("/feed", CannedResponse(body=rss(items), content_type=RSS))
    services = one_source(
        make_services,
        loopback.url("/feed"),
        schedule={"max_entries_per_poll": 50},
    )
    result = only(poll(services))
    assert result.outcome == "ok" and result.new_entries == 50 and result.rejected == 50
    (source,) = services.store.list_sources()
    assert source.last_error == "feed truncated to 50 entries"


def test_billion_laughs_feed_is_not_expanded(loopback: LoopbackServer, make_services: Any) -> None:
    """Nested entity definitions are never expanded: nothing stored carries the expansion."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    prolog = f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]>'
    body = rss(item("Alibaba Cloud &lol9;", loopback.url("/a")), prolog=prolog)
    loopback.routes(
        {
            "/feed": CannedResponse(body=body, content_type=RSS),
            "/a": CannedResponse(body=PAGE.format(title="Qwen").encode(), content_type="text/html"),
        }
    )
    services = one_source(make_services, loopback.url("/feed"))
    result = only(poll(services))
    # expat refuses the expansion; feedparser's loose parser then reads the entry without it.
    assert result.outcome == "ok" and result.new_articles == 1
    (source,) = services.store.list_sources()
    assert "amplification" in (source.last_error or "")
    (article,) = services.store.list_articles(limit=10)
    stored = services.store.get_article(article.id)
    assert stored is not None and "lollol" not in f"{stored.title} {stored.text}"


def test_external_entity_is_never_read(
    loopback: LoopbackServer, make_services: Any, tmp_path: Path
) -> None:
    """An external entity naming a local file or a URL is neither read nor fetched."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-hostile-entity", encoding="utf-8")
    prolog = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">'
        f'<!ENTITY net SYSTEM "{loopback.url("/dtd-probe")}">]>'
    )
    body = rss(item("Alibaba Cloud &xxe; &net;", None, guid="x1"), prolog=prolog)
    loopback.route("/feed", CannedResponse(body=body, content_type=RSS))
    services = one_source(make_services, loopback.url("/feed"))
    poll(services)
    assert loopback.requests_to("/dtd-probe") == []
    for article in services.store.list_articles(limit=10):
        stored = services.store.get_article(article.id)
        assert stored is not None
        assert "TOPSECRET" not in f"{stored.title} {stored.text}"


# -- broken feeds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", RSS, "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png", "PNG"),
        (bytes(range(256)) * 8, "application/octet-stream", "binary"),
        (b'{"items": []}', "application/json", "JSON"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "text/xml", "svg"),
    ],
)
def test_not_a_feed_is_a_parse_error_saying_what_it_is(
    loopback: LoopbackServer, make_services: Any, body: bytes, content_type: str, reason: str
) -> None:
    """Empty, image, binary, JSON and non-feed XML bodies: a parse error naming what came."""
    loopback.route("/feed", CannedResponse(body=body, content_type=content_type))
    services = one_source(make_services, loopback.url("/feed"))
    result = only(poll(services))
    assert (result.outcome, result.error_kind) == ("error", "parse")
    (source,) = services.store.list_sources()
    assert reason.lower() in (source.last_error or "").lower()


def test_invalid_xml_with_entries_is_tolerated_and_noted(
    loopback: LoopbackServer, make_services: Any
) -> None:
    """A feed with broken XML that still yields entries is used; last_error notes the damage."""
    body = rss(item("Alibaba Cloud Qwen &bogus; <b>unclosed", None, guid="g1"))
    body = body.removesuffix(b"</channel></rss>")
    loopback.route("/feed", CannedResponse(body=body, content_type=RSS))
    services = one_source(make_services, loopback.url("/feed"))
    result = only(poll(services))
    assert result.outcome == "ok" and result.new_articles == 1
    (source,) = services.store.list_sources()
    assert (source.last_error or "").startswith("tolerated malformed feed")


@pytest.mark.parametrize(
    ("encoded", "content_type"),
    [
        (lambda s: s.encode("utf-16"), "application/rss+xml"),
        (lambda s: s.encode("utf-8"), "application/rss+xml; charset=iso-8859-1"),
        (lambda s: s.encode("utf-8"), "text/xml"),
        (lambda s: s.replace('"1.0"?>', '"1.0" encoding="gb18030"?>', 1).encode("gb18030"), None),
    ],
    ids=["utf16-bom", "utf8-labelled-latin1", "no-charset", "gb18030-declared-only"],
)
def test_charsets_decode_to_the_same_title(
    loopback: LoopbackServer, make_services: Any, encoded: Any, content_type: str | None
) -> None:
    """UTF-16, mislabelled UTF-8, unlabelled and GB18030 feeds all store the same CJK title."""
    title = "阿里云通义千问 Qwen 发布新模型"
    text = rss(item(title, None, guid="cjk")).decode()
    loopback.route("/feed", CannedResponse(body=encoded(text), content_type=content_type))
    services = one_source(make_services, loopback.url("/feed"))
    assert only(poll(services)).outcome == "ok"
    (article,) = services.store.list_articles(limit=10)
    assert article.title == title


# -- broken entries -------------------------------------------------------------------------


def test_entries_without_link_relative_link_and_duplicate_guids(
    loopback: LoopbackServer, make_services: Any
) -> None:
    """No link: stored from feed text. Relative link: resolved, fetched. Repeated GUID: first."""
    loopback.route(
        "/news/1", CannedResponse(body=PAGE.format(title="One").encode(), content_type="text/html")
    )
    body = rss(
        item("Alibaba Cloud no link", None, guid="n1"),
        item("Alibaba Cloud relative", "/news/1", guid="r1"),
        item("Alibaba Cloud first", None, guid="dup"),
        item("Alibaba Cloud second", None, guid="dup"),
        "<item><title></title></item>",
    )
    loopback.route("/feed", CannedResponse(body=body, content_type=RSS))
    services = one_source(make_services, loopback.url("/feed"))
    assert only(poll(services)).outcome == "ok"
    titles = {a.title: a for a in services.store.list_articles(limit=10)}
    assert set(titles) >= {"Alibaba Cloud no link", "One", "Alibaba Cloud first"}
    assert "Alibaba Cloud second" not in titles
    assert titles["Alibaba Cloud no link"].extraction == "feed"
    assert titles["One"].url == loopback.url("/news/1")
    assert len(loopback.requests_to("/news/1")) == 1


def test_guid_changing_every_poll_stores_the_link_once(
    loopback: LoopbackServer, make_services: Any
) -> None:
    """A GUID that changes on every poll (same link, tracking noise) never stores a 2nd article."""
    polls = {"n": 0}

    def feed(_: RecordedRequest) -> CannedResponse:
        polls["n"] += 1
        link = loopback.url(f"/story?utm_source=rss&utm_campaign=c{polls['n']}")
        return CannedResponse(
            body=rss(item("Alibaba Cloud story", link, guid=f"rand-{polls['n']}")),
            content_type=RSS,
        )

    loopback.route("/feed", feed)
    loopback.route(
        "/story", CannedResponse(body=PAGE.format(title="Story").encode(), content_type="text/html")
    )
    services = one_source(make_services, loopback.url("/feed"))
    for _ in range(3):
        assert only(poll(services)).outcome == "ok"
    articles = services.store.list_articles(limit=10)
    assert len(articles) == 1, [(a.url, a.duplicate_of) for a in articles]
    assert articles[0].canonical_url == loopback.url("/story")


def test_future_and_unparseable_dates_are_stored_as_unknown(
    loopback: LoopbackServer, make_services: Any
) -> None:
    """A date years ahead or a garbage date is not trusted: published is unknown (NULL)."""
    body = rss(
        item(
            "Alibaba Cloud future",
            None,
            guid="f",
            extra="<pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate>",
        ),
        item(
            "Alibaba Cloud garbage", None, guid="g", extra="<pubDate>yesterday-ish, maybe</pubDate>"
        ),
    )
    loopback.route("/feed", CannedResponse(body=body, content_type=RSS))
    services = one_source(make_services, loopback.url("/feed"))
    assert only(poll(services)).outcome == "ok"
    articles = services.store.list_articles(limit=10)
    assert len(articles) == 2
    for article in articles:
        # Neither date is believed: the article is dated by its fetch (issue 10, item 6).
        assert article.published == article.fetched_at is not None, article


def test_feed_that_moves_keeps_its_entries(loopback: LoopbackServer, make_services: Any) -> None:
    """A feed 301-moved to a new URL: the source follows it and stores nothing twice."""
    body = rss(item("Alibaba Cloud moved", None, guid="m1"))
    loopback.route("/old", CannedResponse(body=body, content_type=RSS))
    services = one_source(make_services, loopback.url("/old"))
    assert only(poll(services)).new_articles == 1
    loopback.redirect("/old", "/new", status=301)
    loopback.route("/new", CannedResponse(body=body + b" ", content_type=RSS))
    assert only(poll(services)).new_articles == 0
    (source,) = services.store.list_sources()
    assert source.url == loopback.url("/new")
    assert only(poll(services)).new_articles == 0
    assert len(services.store.list_articles(limit=10)) == 1


# -- hostile article pages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "content_type"),
    [
        (b"<div>" * 200_000 + ON_TOPIC.encode() + b"</div>" * 200_000, "text/html"),
        (b"<table><tr><td>" * 30_000 + b"x", "text/html"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64, "text/html"),
        (b"", "text/html"),
        (("<p>" + ON_TOPIC + "</p>").encode("utf-16"), "text/html; charset=utf-8"),
    ],
    ids=["nested-div-200k", "nested-table-30k", "binary-as-html", "empty", "utf16-mislabelled"],
)
def test_hostile_article_pages_never_break_the_source(
    loopback: LoopbackServer, make_services: Any, page: bytes, content_type: str
) -> None:
    """Deeply nested, binary, empty or mislabelled pages: the source stays ok, text is kept."""
    loopback.route("/a", CannedResponse(body=page, content_type=content_type))
    loopback.route(
        "/feed",
        CannedResponse(body=rss(item("Alibaba Cloud Qwen", loopback.url("/a"))), content_type=RSS),
    )
    services = one_source(make_services, loopback.url("/feed"))
    result = only(poll(services))
    assert result.outcome == "ok" and result.new_articles == 1
    (article,) = services.store.list_articles(limit=10)
    stored = services.store.get_article(article.id)
    assert stored is not None and "Qwen" in (stored.text or "")
