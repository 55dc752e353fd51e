"""Recognising what the corpus holds, end to end through the loopback server (issue 3)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from html import escape
from typing import Any

from ingest.daemon import run_pass
from ingest.fetch.client import Fetcher
from ingest.pipeline import Services, revisit_due
from ingest_demo.loopback import CannedResponse, LoopbackServer

# Two outlets' own reports of one announcement: same event, same figures, different writing.
EVENT_A = (
    "Alibaba Cloud reported revenue of 39.8 billion yuan for the September quarter, up 34% "
    "from a year earlier, as companies rented more computing power to train and run AI "
    "models.",
    "The unit's adjusted earnings before interest, taxes and amortisation rose 35%, the "
    "company said in a filing on Tuesday, and AI-related product revenue grew at a triple-digit "
    "pace for the ninth straight quarter.",
    "Chief executive Eddie Wu said the group would keep spending heavily on data centres and "
    "chips, and that its 380 billion yuan three-year budget could turn out to be too small.",
)
EVENT_B = (
    "Customers flocked to Alibaba's cloud business in the three months to September, lifting "
    "sales 34% to 39.8 billion yuan and beating the forecasts of most analysts we polled.",
    "Wu Yongming, who runs both the group and the cloud unit, told investors on a call that "
    "demand for GPUs still outstripped what the company could install, and hinted the "
    "380 billion yuan capital plan might grow.",
    "Shares in Hong Kong closed 2% higher before the results, which were published after the "
    "market shut; the cloud unit's margins improved for a sixth quarter.",
)
NOTE = "Editor's note: this story was first published by the Harbour Ledger wire service."


def page(title: str, paragraphs: tuple[str, ...]) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<html lang='en'><head><title>{escape(title)}</title></head><body>"
        "<nav>Home | Markets | Tech</nav><div class='cookie'>We use cookies.</div>"
        f"<article><h1>{escape(title)}</h1>{body}</article>"
        "<aside>Most read: ferry timetables change</aside><footer>(c) 2026</footer></body></html>"
    ).encode()


def feed(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{escape(d)}</description></item>"
        for t, link, d in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{body}</channel></rss>'
    ).encode()


def serve_page(server: LoopbackServer, path: str, title: str, paragraphs: tuple[str, ...]) -> None:
    server.route(path, CannedResponse(body=page(title, paragraphs), content_type="text/html"))


def serve_feed(server: LoopbackServer, path: str, items: list[tuple[str, str, str]]) -> None:
    server.route(path, CannedResponse(body=feed(items), content_type="application/rss+xml"))


def poll(services: Services) -> None:
    async def go() -> None:
        fresh = replace(services, fetcher=Fetcher(services.config.http))
        try:
            await run_pass(fresh, only_due=False)
        finally:
            await fresh.fetcher.aclose()

    asyncio.run(go())


def revisit(services: Services, clock: Any) -> int:
    async def go() -> int:
        fresh = replace(services, fetcher=Fetcher(services.config.http), clock=clock)
        try:
            return len(await revisit_due(fresh, limit=100))
        finally:
            await fresh.fetcher.aclose()

    return asyncio.run(go())


def test_distinct_same_event_stories_stay_apart(
    loopback: LoopbackServer, make_services: Any
) -> None:
    """Two outlets' own stories on one announcement, sharing every figure, are two stories."""
    serve_page(loopback, "/a/results", "Alibaba Cloud revenue up 34%", EVENT_A)
    serve_page(loopback, "/b/results", "Cloud customers lift Alibaba", EVENT_B)
    serve_feed(
        loopback, "/a/feed", [("Alibaba Cloud revenue up 34%", loopback.url("/a/results"), "")]
    )
    serve_feed(
        loopback, "/b/feed", [("Cloud customers lift Alibaba", loopback.url("/b/results"), "")]
    )
    services = make_services(
        [
            {"name": "A", "url": loopback.url("/a/feed")},
            {"name": "B", "url": loopback.url("/b/feed")},
        ]
    )
    poll(services)
    rows = services.store.list_articles()
    assert len(rows) == 2 and all(a.duplicate_of is None for a in rows)


def test_syndicated_copy_with_other_chrome_headline_and_note(
    loopback: LoopbackServer, make_services: Any
) -> None:
    """A copy on another outlet, new headline, an editor's note added, is an appearance."""
    serve_page(loopback, "/a/results", "Alibaba Cloud revenue up 34%", EVENT_A)
    serve_page(loopback, "/c/copy", "Alibaba's cloud grows a third", (*EVENT_A, NOTE))
    serve_feed(
        loopback, "/a/feed", [("Alibaba Cloud revenue up 34%", loopback.url("/a/results"), "")]
    )
    services = make_services([{"name": "A", "url": loopback.url("/a/feed")}])
    poll(services)
    serve_feed(
        loopback, "/c/feed", [("Alibaba's cloud grows a third", loopback.url("/c/copy"), "")]
    )
    services = make_services(
        [
            {"name": "A", "url": loopback.url("/a/feed")},
            {"name": "C", "url": loopback.url("/c/feed")},
        ]
    )
    poll(services)
    story, copy = sorted(services.store.list_articles(), key=lambda a: a.id)
    assert copy.duplicate_of == story.id and story.appearances == 2
    assert [a.id for a in services.store.appearances(story.id)] == [copy.id]


def test_edit_between_polls_is_a_revision(loopback: LoopbackServer, make_services: Any) -> None:
    """The feed announces a corrected article: it is re-fetched and stored as revision 2."""
    link = loopback.url("/a/results")
    serve_page(loopback, "/a/results", "Alibaba Cloud revenue up 34%", EVENT_A)
    serve_feed(loopback, "/a/feed", [("Alibaba Cloud revenue up 34%", link, "First version")])
    services = make_services([{"name": "A", "url": loopback.url("/a/feed")}])
    poll(services)
    corrected = (EVENT_A[0].replace("34%", "26%"), *EVENT_A[1:])
    serve_page(loopback, "/a/results", "Alibaba Cloud revenue up 26%", corrected)
    serve_feed(loopback, "/a/feed", [("Alibaba Cloud revenue up 26%", link, "Corrected")])
    poll(services)
    (article,) = services.store.list_articles()
    assert article.revision == 2
    history = services.store.history(article.id)
    assert [r.revision for r in history] == [1, 2]
    assert "-34%" in (history[1].diff or "") and "+26%" in (history[1].diff or "")
    figures = services.store.list_figures(article_id=article.id)
    assert "26%" in {f.figure.text for f in figures} and "34%" not in {
        f.figure.text for f in figures
    }


def test_revisit_catches_page_only_edit_but_not_flip_flop_or_collapse(
    loopback: LoopbackServer, make_services: Any
) -> None:
    """Pages are fetched again after a while: an edit is a revision; a return to the first text
    or a paywall stub is not."""
    serve_page(loopback, "/a/results", "Alibaba Cloud revenue up 34%", EVENT_A)
    serve_feed(
        loopback, "/a/feed", [("Alibaba Cloud revenue up 34%", loopback.url("/a/results"), "")]
    )
    services = make_services(
        [{"name": "A", "url": loopback.url("/a/feed")}],
        schedule={"revisit_every": "1h", "revisit_within": "2d"},
    )
    poll(services)
    later = [datetime.now().astimezone() + timedelta(hours=2)]

    def clock() -> datetime:
        return later[0]

    (article,) = services.store.list_articles()
    edited = (*EVENT_A[:2], EVENT_A[2].replace("380 billion", "480 billion"))
    serve_page(loopback, "/a/results", "Alibaba Cloud revenue up 34%", edited)
    assert revisit(services, clock) == 1
    assert services.store.get_article(article.id).revision == 2  # type: ignore[union-attr]
    later[0] += timedelta(hours=2)
    serve_page(loopback, "/a/results", "Alibaba Cloud revenue up 34%", EVENT_A)  # flip back
    revisit(services, clock)
    later[0] += timedelta(hours=2)
    serve_page(loopback, "/a/results", "Alibaba Cloud revenue up 34%", (EVENT_A[0][:220],))
    revisit(services, clock)
    assert [r.revision for r in services.store.history(article.id)] == [1, 2]
    later[0] += timedelta(days=3)
    assert revisit(services, clock) == 0, "pages older than revisit_within are left alone"


def test_backfill_figures_in_bounded_steps(tmp_path: Any) -> None:
    """Articles stored without figures get them, a bounded number per call, each once."""
    from ingest.dedup.corpus import backfill_figures
    from ingest.figures import load_figure_settings
    from ingest.models import ExtractedArticle, utcnow
    from ingest.store import Store

    store = Store(tmp_path / "b.db")
    for i in range(7):
        url = f"https://news.example/{i}"
        text = f"Alibaba Cloud revenue rose {i + 10}% in the quarter, the company said."
        article = ExtractedArticle(
            url=url, canonical_url=url, title="t", author=None, published=None,
            language="en", text=text, extraction="page",
        )  # fmt: skip
        store.insert_article(
            article, source_id=None, guid=None, text_hash=str(i), now=utcnow(), duplicate_of=None
        )
    settings = load_figure_settings()
    assert [backfill_figures(store, settings, limit=3) for _ in range(4)] == [3, 3, 1, 0]
    assert len(store.list_figures()) == 7
    store.close()
