"""The issue's scenario end to end: real pipeline, loopback outlets, findings in the store."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from html import escape
from typing import Any

import pytest
from findings_articles import (
    CHANGE,
    CONFLICT_A,
    CONFLICT_B,
    FIRST,
    REPEATS,
    REVISED_AFTER,
    REVISED_BEFORE,
)

from ingest.daemon import run_pass
from ingest.fetch.client import Fetcher
from ingest.findings.listing import finding_records
from ingest.pipeline import Services
from ingest_demo.loopback import CannedResponse, LoopbackServer
from ingest_demo.site import DemoArticle, render_page

OUTLETS = [
    "Harbour Ledger", "Pacific Wire Review", "Lantern Markets", "Meridian Tech Daily",
    "Copper Coast Post", "Northgate Business", "Riverbend Journal", "Summit Standard",
    "Eastline Times",
]  # fmt: skip


def _feed(base: str, site: str, article: DemoArticle, summary: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{site}</title><link>{base}/{site}/</link><description>news</description>"
        f"<item><title>{escape(article.title)}</title><link>{base}/{site}/{article.slug}</link>"
        f'<guid isPermaLink="false">{site}-{article.slug}</guid>'
        f"<pubDate>{article.published}</pubDate><description>{escape(summary)}</description>"
        "</item></channel></rss>"
    ).encode()


def _publish(server: LoopbackServer, site: str, article: DemoArticle, summary: str) -> str:
    server.route(
        f"/{site}/feed.xml",
        CannedResponse(body=_feed(server.base_url, site, article, summary),
                       content_type="application/rss+xml; charset=utf-8"),
    )  # fmt: skip
    server.route(
        f"/{site}/{article.slug}",
        CannedResponse(
            body=render_page(site, article, []), content_type="text/html; charset=utf-8"
        ),
    )
    return server.url(f"/{site}/feed.xml")


class Scenario:
    """Outlets added one step at a time (order matters for "first"), through the real pipeline."""

    def __init__(self, server: LoopbackServer, make_services: Any, mp: pytest.MonkeyPatch) -> None:
        self.server, self.make_services, self.mp = server, make_services, mp
        self.sources: list[dict[str, Any]] = []

    def add(self, article: DemoArticle, summary: str | None = None) -> None:
        site = f"o{len(self.sources)}"
        url = _publish(self.server, site, article, summary or article.summary)
        self.sources.append({"name": OUTLETS[len(self.sources)], "url": url})

    def poll(self) -> Services:
        services: Services = self.make_services(list(self.sources))

        async def go() -> None:
            fresh = replace(services, fetcher=Fetcher(services.config.http))
            try:
                await run_pass(fresh, only_due=False)
            finally:
                await fresh.fetcher.aclose()

        asyncio.run(go())
        return services


def _of(findings: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["metric"] == metric]


def test_scenario_new_repeat_change_revise_conflict(
    loopback: LoopbackServer, make_services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New, then five consistent repeats (no finding), changed, revised, conflict."""
    scenario = Scenario(loopback, make_services, monkeypatch)
    scenario.add(FIRST)
    services = scenario.poll()
    store: Any = services.store
    found = _of(finding_records(store), "ai_investment_commitment")
    assert [f["kind"] for f in found] == ["new"]
    assert found[0]["figure"]["text"] == "380 billion yuan"
    assert found[0]["figure"]["source"] == "Harbour Ledger"

    for article in REPEATS:
        scenario.add(article)
    store = scenario.poll().store
    found = _of(finding_records(store), "ai_investment_commitment")
    assert [f["kind"] for f in found] == ["new"], "repeats in other currencies are not findings"
    assert found[0]["corroborations"] == 5
    assert set(found[0]["corroborating_sources"]) == set(OUTLETS[:5])

    scenario.add(CHANGE)
    store = scenario.poll().store
    found = _of(finding_records(store), "ai_investment_commitment")
    assert [f["kind"] for f in found] == ["changed", "new"]
    changed = found[0]
    assert changed["figure"]["text"] == "480 billion yuan"
    assert changed["figure"]["source"] == "Northgate Business"
    assert "480 billion yuan" in changed["figure"]["sentence"]
    assert [p["text"] for p in changed["previous"]] == ["380 billion yuan"]
    assert changed["previous"][0]["source"] == "Harbour Ledger"
    assert changed["previous"][0]["article_url"].endswith(FIRST.slug)
    assert changed["metric_label"]
    assert changed["relative_change"] == pytest.approx(100 / 380)

    scenario.add(REVISED_BEFORE)
    store = scenario.poll().store
    assert [f["kind"] for f in _of(finding_records(store), "cloud_revenue")] == ["new"]
    # The outlet corrects the page in place; its feed entry changes with it.
    _publish(loopback, "o6", REVISED_AFTER, REVISED_AFTER.summary + " Corrected.")
    store = scenario.poll().store
    found = _of(finding_records(store), "cloud_revenue")
    assert [f["kind"] for f in found] == ["revised", "new"]
    assert found[0]["change"] == "changed"
    assert found[0]["figure"]["text"] == "38.9 billion yuan"
    assert [p["text"] for p in found[0]["previous"]] == ["39.8 billion yuan"]

    scenario.add(CONFLICT_A)
    scenario.add(CONFLICT_B)
    store = scenario.poll().store
    found = _of(finding_records(store), "regions_and_data_centres")
    assert sorted(f["kind"] for f in found) == ["conflict", "new"]
    conflict = next(f for f in found if f["kind"] == "conflict")
    assert {conflict["figure"]["text"], conflict["previous"][0]["text"]} == {"29", "32"}
    assert {conflict["figure"]["source"], conflict["previous"][0]["source"]} == set(OUTLETS[7:9])


def test_duplicate_appearance_is_corroboration(
    loopback: LoopbackServer, make_services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second outlet carrying the same article text adds a source, never a finding."""
    scenario = Scenario(loopback, make_services, monkeypatch)
    scenario.add(FIRST)
    scenario.poll()
    scenario.add(FIRST)  # the wire copy: same text at another outlet
    store: Any = scenario.poll().store
    copies = [a for a in store.list_articles() if a.duplicate_of is not None]
    assert len(copies) == 1, "the second outlet's article is stored as a duplicate appearance"
    found = finding_records(store)
    assert [f["kind"] for f in found] == ["new"]
    assert found[0]["corroborations"] == 2
