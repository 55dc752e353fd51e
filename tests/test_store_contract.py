"""The store contract: what every implementation of ``ingest.store.interfaces`` must do.

Parametrised over the backends in ``tests/store_backends.py``; each test states one behaviour
of one interface, through the interface only (no SQL, no backend-specific calls), so a second
backend is proven by running this file against it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_backends import BACKENDS

from ingest.alerts.timing import Outcome
from ingest.errors import UnitOfWorkError
from ingest.figures import Figure
from ingest.findings.claims import ClaimKey, Interval
from ingest.findings.compare import Observation
from ingest.findings.listing import finding_records
from ingest.findings.model import Finding, FindingKind
from ingest.models import CheckOutcome, ExtractedArticle, SourceStatus
from ingest.store import (
    EntryRecord,
    NewAlert,
    NewDelivery,
    ScheduleUpdate,
    SourceSpec,
)
from ingest.store.interfaces import StoreBackend

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with BACKENDS[request.param](tmp_path) as opened:
        yield opened


def article(
    url: str, text: str = "Alibaba Cloud revenue rose 34% in the quarter."
) -> ExtractedArticle:
    return ExtractedArticle(
        url=url,
        canonical_url=url,
        title="Cloud results",
        author=None,
        published=T0,
        language="en",
        text=text,
        extraction="page",
        raw_html=b"<html>" + text.encode() + b"</html>",
    )


def one_source(store: StoreBackend, name: str = "wire") -> int:
    store.sync_sources([SourceSpec(name, f"https://{name}.example/feed.xml")])
    return next(s.id for s in store.list_sources() if s.name == name)


# -- unit of work ---------------------------------------------------------------------------


def test_unit_commits_all_or_nothing(store: StoreBackend) -> None:
    """Writes inside a unit land together; an exception inside rolls every one of them back."""
    with store.unit() as tx:
        tx.insert_article(
            article("https://a.example/1"),
            source_id=None,
            guid=None,
            text_hash="h1",
            now=T0,
            duplicate_of=None,
        )
    with pytest.raises(RuntimeError), store.unit() as tx:
        tx.insert_article(
            article("https://a.example/2"),
            source_id=None,
            guid=None,
            text_hash="h2",
            now=T0,
            duplicate_of=None,
        )
        raise RuntimeError("boom")
    assert [a.canonical_url for a in store.list_articles()] == ["https://a.example/1"]


def test_units_do_not_nest(store: StoreBackend) -> None:
    """Opening a unit inside another is an error, not a silent join; the outer one still works."""
    with store.unit() as tx:
        with pytest.raises(UnitOfWorkError, match="already open"), tx.unit():
            pass
        tx.insert_article(
            article("https://a.example/1"),
            source_id=None,
            guid=None,
            text_hash="h1",
            now=T0,
            duplicate_of=None,
        )
    assert len(store.list_articles()) == 1


def test_require_unit(store: StoreBackend) -> None:
    """Code that must run in its caller's unit can check that one is open."""
    with pytest.raises(UnitOfWorkError, match="must run inside"):
        store.require_unit("saving")
    with store.unit() as tx:
        tx.require_unit("saving")
        assert tx.in_unit
    assert not store.in_unit


def test_unit_is_not_held_across_an_await(store: StoreBackend) -> None:
    """Another task touching the store while a unit is open (its owner awaits) is refused."""

    async def scenario() -> str:
        opened, release = asyncio.Event(), asyncio.Event()

        async def holder() -> None:
            with store.unit():
                opened.set()
                await release.wait()  # the mistake this guards against

        async def other() -> str:
            await opened.wait()
            try:
                store.list_sources()
            except UnitOfWorkError as exc:
                return str(exc)
            finally:
                release.set()
            return "no error"

        first = asyncio.create_task(holder())
        said = await other()
        await first
        return said

    assert "across an await" in asyncio.run(scenario())
    assert store.list_sources() == []  # the store is usable again afterwards


# -- sources and schedule -------------------------------------------------------------------


def test_sync_sources_adds_updates_and_disables(store: StoreBackend) -> None:
    """Sources of one origin match the specs: new ones added, dropped ones disabled, not deleted."""
    assert store.sync_sources([SourceSpec("a", "https://a/f"), SourceSpec("b", "https://b/f")]) == [
        "added a",
        "added b",
    ]
    assert store.sync_sources([SourceSpec("a", "https://a/f")]) == [
        "disabled b (no longer in config)"
    ]
    by_name = {s.name: s for s in store.list_sources()}
    assert by_name["a"].enabled and not by_name["b"].enabled
    assert store.get_source(by_name["a"].id) == by_name["a"]
    assert store.add_source(SourceSpec("c", "https://c/f", origin="opml")) is True
    assert store.add_source(SourceSpec("c", "https://c/f", origin="opml")) is False


def test_claiming_due_sources_leases_them(store: StoreBackend) -> None:
    """A claimed source is not handed to another owner until its lease ends or is released."""
    sid = one_source(store)
    (got,) = store.claim_due_sources(T0, limit=10, owner="w1", lease=LEASE)
    assert got.id == sid
    assert store.claim_due_sources(T0, limit=10, owner="w2", lease=LEASE) == []
    assert store.lease_owners() == ["w1"]
    assert store.renew_lease(sid, owner="w2", until=T0 + LEASE) is False
    assert store.renew_lease(sid, owner="w1", until=T0 + 2 * LEASE) is True
    later = T0 + 3 * LEASE  # the lease ran out
    assert [s.id for s in store.claim_due_sources(later, limit=10, owner="w2", lease=LEASE)] == [
        sid
    ]
    store.release_leases("w2")
    assert store.lease_owners() == []


def test_record_check_reschedules_and_clears_the_lease(store: StoreBackend) -> None:
    """A recorded check writes the schedule the stage computed and frees the source."""
    sid = one_source(store)
    store.claim_due_sources(T0, limit=10, owner="w1", lease=LEASE)
    store.record_check(
        CheckOutcome(sid, T0, 12, "ok", http_status=200, new_entries=2),
        ScheduleUpdate(
            status=SourceStatus.OK,
            next_check=T0 + timedelta(hours=1),
            failures=0,
            etag='"v1"',
            success=True,
        ),
        url="https://wire.example/feed.xml",
    )
    (source,) = store.list_sources()
    assert source.status is SourceStatus.OK and source.etag == '"v1"'
    assert source.next_check == T0 + timedelta(hours=1) and source.last_success == T0
    assert store.lease_owners() == []
    assert (
        store.claim_due_sources(T0 + timedelta(minutes=30), limit=10, owner="w", lease=LEASE) == []
    )
    summary = store.source_summary()
    assert summary.by_status == {"ok": 1} and summary.last_success == T0


def test_operator_disable_and_enable(store: StoreBackend) -> None:
    sid = one_source(store)
    assert store.set_source_enabled("wire", False) is True
    assert store.claim_due_sources(T0, limit=10, owner="w", lease=LEASE) == []
    assert store.set_source_enabled("nope", False) is False
    store.set_source_enabled("wire", True)
    assert [s.id for s in store.claim_due_sources(T0, limit=10, owner="w", lease=LEASE)] == [sid]


# -- entries and the corpus ------------------------------------------------------------------


def test_entries_are_upserted_once(store: StoreBackend) -> None:
    """An entry is one row however often it is recorded; its latest state wins."""
    sid = one_source(store)
    record = EntryRecord(
        sid, "guid-1", "guid-1", "https://wire.example/a", "A", T0, "fp1", "failed", "timeout"
    )
    first = store.upsert_entry(record, now=T0, article_id=None)
    seen = store.seen_entry(sid, "guid-1")
    assert seen is not None and seen.status == "failed"
    with store.unit() as tx:
        aid = tx.insert_article(
            article("https://wire.example/a"),
            source_id=sid,
            guid="guid-1",
            text_hash="h",
            now=T0,
            duplicate_of=None,
        )
        again = tx.upsert_entry(
            EntryRecord(
                sid, "guid-1", "guid-1", "https://wire.example/a", "A", T0, "fp1", "stored"
            ),
            now=T0 + timedelta(minutes=1),
            article_id=aid,
        )
    assert again == first
    seen = store.seen_entry(sid, "guid-1")
    assert seen is not None and (seen.status, seen.article_id) == ("stored", aid)
    assert store.entry_times(sid) == [T0]
    assert store.seen_entry(sid, "other") is None


def test_articles_revisions_and_lookups(store: StoreBackend) -> None:
    """An article is found by URL, guid and text hash; a revision bumps it and keeps a diff."""
    url = "https://a.example/story"
    aid = store.insert_article(
        article(url), source_id=None, guid="g", text_hash="h1", now=T0, duplicate_of=None
    )
    found = store.article_by_url_or_guid(url, None, source_id=None)
    assert found is not None and found.id == aid and found.revision == 1
    assert [k.id for k in store.articles_by_text_hash("h1")] == [aid]
    new_text = "Alibaba Cloud revenue rose 36% in the quarter."
    rev = store.add_revision(
        aid, article(url, new_text), text_hash="h2", diff="-34% +36%", now=T0 + timedelta(hours=1)
    )
    assert rev == 2
    (known,) = store.known_articles([aid])
    assert known.revision == 2 and known.text == new_text and "h1" in known.revision_hashes
    assert [r.revision for r in store.history(aid)] == [1, 2]
    row = store.get_article(aid)
    assert row is not None and row.revision == 2
    assert store.raw_html(aid) is not None
    assert store.prune_raw_pages(T0 + timedelta(days=1)) >= 1
    assert store.raw_html(aid) is None


def test_duplicates_are_appearances_of_their_story(store: StoreBackend) -> None:
    story = store.insert_article(
        article("https://a.example/s"),
        source_id=None,
        guid=None,
        text_hash="h",
        now=T0,
        duplicate_of=None,
    )
    copy = store.insert_article(
        article("https://b.example/s"),
        source_id=None,
        guid=None,
        text_hash="h",
        now=T0,
        duplicate_of=story,
    )
    assert [a.id for a in store.appearances(story)] == [copy]  # the copies of a story
    assert [a.id for a in store.list_articles(stories_only=True)] == [story]
    assert store.count_articles_since(T0 - timedelta(days=1)) == (2, 1)


def test_search_finds_words(store: StoreBackend) -> None:
    store.insert_article(
        article("https://a.example/q", "Qwen models drew more developers."),
        source_id=None,
        guid=None,
        text_hash="q",
        now=T0,
        duplicate_of=None,
    )
    assert [a.canonical_url for a in store.search_articles("developers")] == ["https://a.example/q"]
    assert store.search_articles("nonexistentword") == []


def test_near_duplicate_and_story_indexes(store: StoreBackend) -> None:
    """Index keys find the articles that share them, most shared first, within the limits."""
    a = store.insert_article(
        article("https://a.example/1"),
        source_id=None,
        guid=None,
        text_hash="1",
        now=T0,
        duplicate_of=None,
    )
    b = store.insert_article(
        article("https://a.example/2"),
        source_id=None,
        guid=None,
        text_hash="2",
        now=T0,
        duplicate_of=None,
    )
    store.neardup_add(a, [1, 2, 3])
    store.neardup_add(b, [3])
    assert store.neardup_candidates([1, 2, 3], limit=10) == [a, b]
    assert store.neardup_candidates([1, 2, 3], limit=1) == [a]
    assert store.neardup_candidates([99], limit=10) == []
    store.story_keys_add(a, [7, 8])
    store.story_keys_add(b, [8])
    assert store.story_key_candidates([7, 8], limit=10) == [a, b]
    store.add_related(b, a, shared_figures=2, alignment=0.1, reason="same figures", now=T0)
    assert [r.id for r in store.related_stories(b)] == [a]


def test_revisits_come_due(store: StoreBackend) -> None:
    aid = store.insert_article(
        article("https://a.example/r"),
        source_id=None,
        guid=None,
        text_hash="r",
        now=T0,
        duplicate_of=None,
    )
    every, within = timedelta(hours=6), timedelta(days=3)
    assert (
        store.articles_to_revisit(T0 + timedelta(hours=1), within=within, every=every, limit=10)
        == []
    )
    (due,) = store.articles_to_revisit(T0 + every, within=within, every=every, limit=10)
    assert due.id == aid
    store.mark_checked(aid, T0 + every)
    assert store.articles_to_revisit(T0 + every, within=within, every=every, limit=10) == []


# -- figures and findings ------------------------------------------------------------------------


def _figure(text: str = "480 billion yuan", value: float = 480e9) -> Figure:
    return Figure(
        text=text,
        start=0,
        end=len(text),
        sentence=f"Alibaba raised its pledge to {text}.",
        value=value,
        unit="CNY",
        subject="Alibaba",
        metric="ai_investment_commitment",
        value_usd=value * 0.14,
    )


def test_figures_per_revision(store: StoreBackend) -> None:
    aid = store.insert_article(
        article("https://a.example/f"),
        source_id=None,
        guid=None,
        text_hash="f",
        now=T0,
        duplicate_of=None,
    )
    assert store.articles_without_figures() == [aid]
    with store.unit() as tx:
        tx.add_figures(aid, 1, [_figure()], now=T0)
        tx.mark_figures_extracted(aid, 1, 1)
    assert store.articles_without_figures() == []
    (stored,) = store.list_figures(article_id=aid)
    assert stored.figure.value == 480e9 and stored.figure.metric == "ai_investment_commitment"
    assert store.list_figures(metric="cloud_revenue") == []
    (ref,) = store.revision_figures(aid, 1)
    assert ref.figure.text == "480 billion yuan" and ref.article_id == aid


def _observation(store: StoreBackend, value: float, source: str, hours: float) -> Observation:
    when = T0 + timedelta(hours=hours)
    url = f"https://{source}/p{hours}"
    aid = store.insert_article(
        article(url), source_id=None, guid=None, text_hash=url, now=when, duplicate_of=None
    )
    store.add_figures(aid, 1, [_figure(f"{value / 1e9:g} billion yuan", value)], now=when)
    (ref,) = store.revision_figures(aid, 1)
    key = ClaimKey("Alibaba", "ai_investment_commitment", "")
    return Observation(ref, key, Interval(value * 0.14, value * 0.14, "USD"), source, when)


def test_claims_values_and_corroboration(store: StoreBackend) -> None:
    """A claim keeps its current value and previous ones; a repeat adds its source once."""
    first = _observation(store, 380e9, "a.example", 0)
    claim_id = store.create_claim(first.key, now=T0)
    old = store.add_claim_value(claim_id, first, "current", now=T0)
    store.corroborate(old, _observation(store, 380e9, "b.example", 1), now=T0)
    store.corroborate(old, _observation(store, 380e9, "b.example", 2), now=T0)
    assert store.value_sources(old) == ("a.example", "b.example")
    newer = _observation(store, 480e9, "c.example", 3)
    new = store.add_claim_value(claim_id, newer, "current", now=T0)
    store.set_current(claim_id, new, now=T0)
    (claim,) = store.claims_for("Alibaba", "ai_investment_commitment")
    assert claim.current is not None and claim.current.id == new
    assert [v.id for v in claim.with_status("previous")] == [old]
    assert store.claims_for("Alibaba", "cloud_revenue") == []


def test_figures_are_linked_to_claims(store: StoreBackend) -> None:
    """Each figure records the claim it was judged under, how sure, and why."""
    obs = _observation(store, 480e9, "a.example", 0)
    claim_id = store.create_claim(obs.key, now=T0)
    assert obs.ref.figure_id is not None
    store.set_figure_claims([(obs.ref.figure_id, claim_id, 0.9, ("subject named",))])
    (stored,) = store.list_figures(article_id=obs.ref.article_id)
    assert (stored.claim_id, stored.claim_confidence) == (claim_id, 0.9)
    assert tuple(stored.claim_cues) == ("subject named",)


def test_findings_are_listed_newest_first_with_filters(store: StoreBackend) -> None:
    obs = _observation(store, 480e9, "a.example", 0)
    for kind in (FindingKind.NEW, FindingKind.CHANGED):
        store.add_finding(
            Finding(
                kind=kind,
                subject="Alibaba",
                metric="ai_investment_commitment",
                period=None,
                figure=obs.ref,
                previous=(),
                article_url=obs.ref.article_url,
                created_at=T0,
            ),
            value_id=None,
            figure_id=None,
            article_id=obs.ref.article_id,
        )
    listed = finding_records(store)
    assert [f["kind"] for f in listed] == ["changed", "new"]
    assert [f["kind"] for f in finding_records(store, kind="new")] == ["new"]
    assert finding_records(store, metric="cloud_revenue") == []
    assert store.findings_since(T0 - timedelta(hours=1)) == {"new": 1, "changed": 1}


# -- the outbox -------------------------------------------------------------------------------


def _alert(store: StoreBackend, alert_id: int, targets: list[NewDelivery]) -> int:
    record = {"id": alert_id, "kind": "changed", "subject": "Alibaba", "metric": "m"}
    alert = NewAlert(alert_id, "changed", "Alibaba", "m", record)
    return store.record_alert(alert, targets, due=T0, now=T0)


def test_record_alert_is_idempotent(store: StoreBackend) -> None:
    """A replayed finding writes no second alert and keeps the first message id."""
    assert _alert(store, 1, [NewDelivery("hook")]) == 1
    uid = store.list_alerts()[0].uid
    assert _alert(store, 1, [NewDelivery("hook"), NewDelivery("mail")]) == 1
    (alert,) = store.list_alerts()
    assert alert.uid == uid and [d.target for d in alert.deliveries] == ["hook"]
    assert store.alert_counts() == {"pending": 1}


def test_claimed_deliveries_are_leased_then_recorded(store: StoreBackend) -> None:
    _alert(store, 1, [NewDelivery("hook")])
    (item,) = store.claim_due("hook", now=T0, owner="w1", lease=LEASE, limit=10)
    assert item.findings[0]["id"] == 1 and item.attempts == 0
    assert store.claim_due("hook", now=T0, owner="w2", lease=LEASE, limit=10) == []
    assert store.alert_lease_owners() == ["w1"]
    retry_at = T0 + timedelta(minutes=1)
    store.record_attempt(item, Outcome("pending", retry_at), now=T0, status=503, error="busy")
    assert store.claim_due("hook", now=T0, owner="w2", lease=LEASE, limit=10) == []
    (again,) = store.claim_due("hook", now=retry_at, owner="w2", lease=LEASE, limit=10)
    assert again.uid == item.uid and again.attempts == 1
    store.record_attempt(again, Outcome("sent"), now=retry_at, status=200, error=None)
    assert store.alert_counts() == {"sent": 1}


def test_targets_due_names_the_targets_with_work(store: StoreBackend) -> None:
    """Pending and due, leased or not, single or in a digest; sent or held work does not count."""
    assert store.targets_due(["hook", "mail"], now=T0) == set()
    _alert(store, 1, [NewDelivery("hook")])
    assert store.targets_due(["hook", "mail"], now=T0) == {"hook"}
    items = store.claim_due("hook", now=T0, owner="w1", lease=LEASE, limit=10)
    assert store.targets_due(["hook"], now=T0) == {"hook"}  # a dead owner's lease is freed later
    later = T0 + timedelta(hours=1)
    store.release(items, not_before=later)
    assert store.targets_due(["hook"], now=T0) == set()
    assert store.targets_due(["hook"], now=later) == {"hook"}
    (item,) = store.claim_due("hook", now=later, owner="w1", lease=LEASE, limit=10)
    store.record_attempt(item, Outcome("sent"), now=later, status=200, error=None)
    assert store.targets_due(["hook"], now=later) == set()
    _alert(store, 2, [NewDelivery("mail")])
    assert store.form_digests("mail", now=later, max_size=10)
    assert store.targets_due(["hook", "mail"], now=later) == {"mail"}


def test_release_with_not_before_holds_the_queue(store: StoreBackend) -> None:
    _alert(store, 1, [NewDelivery("hook")])
    items = store.claim_due("hook", now=T0, owner="w1", lease=LEASE, limit=10)
    store.release(items, not_before=T0 + timedelta(hours=1))
    assert (
        store.claim_due("hook", now=T0 + timedelta(minutes=30), owner="w1", lease=LEASE, limit=10)
        == []
    )
    assert (
        len(store.claim_due("hook", now=T0 + timedelta(hours=1), owner="w1", lease=LEASE, limit=10))
        == 1
    )


def test_digests_group_due_deliveries(store: StoreBackend) -> None:
    for i in (1, 2, 3):
        _alert(store, i, [NewDelivery("hook")])
    made = store.form_digests("hook", now=T0, max_size=2)
    assert len(made) == 2 and store.form_digests("hook", now=T0, max_size=2) == []
    items = store.claim_due("hook", now=T0, owner="w", lease=LEASE, limit=10)
    assert sorted(len(i.findings) for i in items) == [1, 2] and all(i.digest for i in items)


def test_disabled_target_and_retry(store: StoreBackend) -> None:
    """Disabling a target parks what was pending for it; a retry re-queues and re-enables."""
    _alert(store, 1, [NewDelivery("hook")])
    store.disable_target("hook", "410 Gone", now=T0)
    assert store.disabled_targets() == {"hook": "410 Gone"}
    assert store.claim_due("hook", now=T0, owner="w", lease=LEASE, limit=10) == []
    assert [a.id for a in store.list_alerts(failed=True)] == [1]
    assert store.retry_alert(1, now=T0) == ["hook"]
    assert store.disabled_targets() == {}
    assert len(store.claim_due("hook", now=T0, owner="w", lease=LEASE, limit=10)) == 1
    assert store.retry_alert(99, now=T0) is None
    store.release_alert_leases("w")
    assert store.alert_lease_owners() == []


def test_ops_queries(store: StoreBackend) -> None:
    assert store.integrity_check() == "ok"
    assert store.probe_writable() is None
    assert store.has_table("alerts") and not store.has_table("no_such_table")
    assert store.alert_deliveries() == {}
    assert store.fetch_failures_since(T0) == {}
