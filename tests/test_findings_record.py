"""record_findings through corpus.save_article on a real SQLite store (no HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest.dedup import DecisionKind, DedupSettings
from ingest.dedup.corpus import save_article
from ingest.figures import load_figure_settings
from ingest.findings import FindingKind, FindingSettings
from ingest.findings.listing import finding_records
from ingest.findings.model import Finding, finding_to_dict
from ingest.findings.record import record_findings
from ingest.models import ExtractedArticle
from ingest.store import Store
from ingest.store.findings import FindingQueries, create_findings_tables

T0 = datetime(2026, 9, 24, 8, tzinfo=UTC)
FIGS = load_figure_settings()
FILLER = (
    " Analysts at several brokerages said the move showed how seriously the group takes the "
    "race to supply computing power, and rivals are expected to respond within months."
)


class FindingStore(Store, FindingQueries):
    """A store with the findings mixin, recording every alert enqueued (``record_alert``)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        create_findings_tables(self.conn)
        self.alerts: list[tuple[dict[str, Any], bool]] = []

    def enqueue(self, finding: Finding, *, now: datetime) -> int:
        """The findings stage's sink: note the finding's record and whether a unit is open."""
        self.alerts.append((finding_to_dict(finding), self.in_unit))
        return len(self.alerts)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FindingStore]:
    """A fresh store with the findings tables."""
    s = FindingStore(tmp_path / "f.db")
    yield s
    s.close()


def save(store: FindingStore, host: str, slug: str, text: str, hours: float = 0,
         settings: FindingSettings | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Save an article as the corpus does, record findings, return the new findings' JSON."""
    when = T0 + timedelta(hours=hours)
    url = f"https://{host}/{slug}"
    article = ExtractedArticle(
        url=url, canonical_url=url, title=slug, author=None, published=when, language="en",
        text=text + FILLER, extraction="page",
    )  # fmt: skip
    decision = save_article(store, article, entry=None, source_id=None, now=when,
                            settings=DedupSettings(), figure_settings=FIGS)  # fmt: skip
    known = store.article_by_url_or_guid(url, None, source_id=None)
    assert known is not None
    # The article just written: a duplicate appearance is its own row (decision.target_id is
    # the story it copies); a revision keeps its URL.
    target = known.id
    row = store.get_article(target)
    assert row is not None
    with store.unit():
        made = record_findings(store, target, row.revision, decision.kind, when,
                               settings or FindingSettings(), figure_settings=FIGS,
                               alerts=store.enqueue)  # fmt: skip
    return [f for f in finding_records(store) if f["id"] in {m.id for m in made}]


PLAN = "Alibaba will invest 380 billion yuan in AI infrastructure over the next three years."


def test_new_finding_is_stored_and_enqueued_in_the_transaction(store: FindingStore) -> None:
    """The first value is a new finding; its alert row is enqueued inside the transaction."""
    made = save(store, "ledger.example", "plan", PLAN)
    assert [f["kind"] for f in made] == ["new"]
    assert made[0]["metric_label"] and made[0]["subject"] == "Alibaba"
    assert made[0]["figure"]["source"] == "ledger.example"
    assert made[0]["period"] == "over the next three years"
    assert [(a["id"], inside) for a, inside in store.alerts] == [(made[0]["id"], True)]


def test_conversion_in_same_article_is_not_a_second_claim(store: FindingStore) -> None:
    """`380 billion yuan (about $53 billion)` gives one new finding, not a conflict."""
    text = "Alibaba will invest 380 billion yuan (about $53 billion) in AI infrastructure."
    assert [f["kind"] for f in save(store, "a.example", "x", text)] == ["new"]


def test_change_within_one_article_is_read_once(store: FindingStore) -> None:
    """'480 billion yuan, up from 380 billion yuan' is one change, whichever order."""
    save(store, "ledger.example", "plan", PLAN)
    text = (
        "Alibaba will now invest 480 billion yuan in AI infrastructure over the next three "
        "years, up from the 380 billion yuan plan it announced in February."
    )
    made = save(store, "wire.example", "raise", text, hours=500)
    assert [f["kind"] for f in made] == ["changed"]
    assert made[0]["figure"]["text"] == "480 billion yuan"
    assert [p["text"] for p in made[0]["previous"]] == ["380 billion yuan"]
    again = (
        "Alibaba lifted the AI infrastructure plan over the next three years from 380 billion "
        "yuan to 480 billion yuan, the company said."
    )
    assert save(store, "third.example", "raise2", again, hours=501) == []


def test_conflict_then_corroboration_of_the_contender(store: FindingStore) -> None:
    """Two sources disagreeing the same day: conflict; a third repeating either: nothing."""
    save(store, "ledger.example", "plan", PLAN)
    other = (
        "Alibaba said it would invest 480 billion yuan in AI infrastructure over the next three "
        "years, according to a slide shown at its developer event."
    )
    made = save(store, "wire.example", "plan-b", other, hours=3)
    assert [f["kind"] for f in made] == ["conflict"]
    assert made[0]["previous"][0]["source"] == "ledger.example"
    third = "Alibaba plans to spend RMB480bn on AI infrastructure over three years, insiders say."
    assert save(store, "third.example", "c", third, hours=4) == []
    assert finding_records(store, kind="conflict")[0]["corroborations"] == 2


def test_stale_report_is_not_a_finding(store: FindingStore) -> None:
    """An article published long before the current value, with another value, is history."""
    save(store, "ledger.example", "plan", PLAN)
    old = "Alibaba planned to invest 200 billion yuan in AI infrastructure over three years."
    assert save(store, "archive.example", "old", old, hours=-2000) == []


def test_revision_removing_a_figure(store: FindingStore) -> None:
    """An edit that drops a figure gives a revised finding with no figure and the old one."""
    text = PLAN + " Alibaba Cloud revenue grew 26% year on year in the June quarter."
    save(store, "ledger.example", "plan", text)
    made = save(store, "ledger.example", "plan", PLAN + " The cloud unit grew quickly.", hours=2)
    assert [(f["kind"], f["change"]) for f in made] == [("revised", "removed")]
    assert made[0]["figure"] is None
    assert [p["text"] for p in made[0]["previous"]] == ["26%"]


def test_revision_correcting_a_figure_updates_the_claim(store: FindingStore) -> None:
    """A corrected figure is revised (one finding) and becomes the claim's current value."""
    save(store, "ledger.example", "plan", PLAN)
    fixed = PLAN.replace("380", "390")
    made = save(store, "ledger.example", "plan", fixed, hours=1)
    assert [(f["kind"], f["change"]) for f in made] == [("revised", "changed")]
    assert made[0]["relative_change"] == pytest.approx(10 / 380)
    repeat = "Alibaba's AI infrastructure budget is 390 billion yuan over three years."
    assert save(store, "wire.example", "r", repeat, hours=30) == []


def test_unchanged_decision_records_nothing(store: FindingStore) -> None:
    """Only new, duplicate and revision decisions are judged."""
    save(store, "ledger.example", "plan", PLAN)
    with store.unit():
        assert record_findings(store, 1, 1, DecisionKind.UNCHANGED, T0, FindingSettings()) == []


def test_list_findings_filters(store: FindingStore) -> None:
    """list_findings filters by kind, metric, subject and since; newest first."""
    save(store, "ledger.example", "plan", PLAN)
    save(
        store,
        "b.example",
        "g",
        "Alibaba Cloud revenue grew 26% year on year in the June quarter.",
        hours=1,
    )
    all_ = finding_records(store)
    assert [f["metric"] for f in all_] == ["cloud_revenue_growth", "ai_investment_commitment"]
    assert [f["metric"] for f in finding_records(store, subject="alibaba cloud")] == [
        "cloud_revenue_growth"
    ]
    assert finding_records(store, metric="ai_investment_commitment")[0]["kind"] == "new"
    assert finding_records(store, kind="changed") == []
    assert len(finding_records(store, since=T0)) == 2
    assert finding_records(store, since=T0 + timedelta(days=1)) == []
    assert all_[0]["created_at"] == "2026-09-24T09:00:00+00:00"


def test_claims_table_keeps_current_value(store: FindingStore) -> None:
    """The claims row holds the current value, so deciding never scans the figures table."""
    save(store, "ledger.example", "plan", PLAN)
    save(store, "wire.example", "up", PLAN.replace("380", "480"), hours=500)
    claims = store.claims_for("Alibaba", "ai_investment_commitment")
    assert len(claims) == 1
    current = claims[0].current
    assert current is not None and current.ref.figure.text == "480 billion yuan"
    assert [v.status for v in claims[0].values] == ["previous", "current"]
    row = store.conn.execute("SELECT current_value, current_unit FROM claims").fetchone()
    assert tuple(row) == (480e9, "CNY")


def test_finding_kinds_cover_the_json_contract(store: FindingStore) -> None:
    """Every JSON field named in the issue is present."""
    made = save(store, "ledger.example", "plan", PLAN)
    fields = {"id", "kind", "subject", "metric", "period", "figure", "previous", "article_url",
              "created_at", "metric_label", "relative_change", "corroborations"}  # fmt: skip
    assert fields <= set(made[0])
    assert {"article_id", "article_url", "source", "published", "sentence"} <= set(
        made[0]["figure"]
    )
    assert {k.value for k in FindingKind} == {"new", "changed", "conflict", "revised"}


def test_duplicate_never_starts_a_claim(store: FindingStore) -> None:
    """A copy at another outlet corroborates; a figure only the copy states is not `new`."""
    save(store, "ledger.example", "plan", PLAN)
    extra = PLAN + " Alibaba Cloud revenue grew 26% year on year."
    assert save(store, "wire.example", "copy", extra, hours=1) == []
    assert store.get_article(2) is not None and store.get_article(2).duplicate_of == 1  # type: ignore[union-attr]
    assert finding_records(store)[0]["corroborations"] == 2
    assert store.claims_for("Alibaba Cloud", "cloud_revenue_growth") == []


def test_duplicate_disagreeing_is_still_reported(store: FindingStore) -> None:
    """A copy whose figure disagrees with the known value is reported (here: a change)."""
    save(store, "ledger.example", "plan", PLAN)
    made = save(store, "wire.example", "up", PLAN.replace("380", "480"), hours=500)
    assert store.get_article(2).duplicate_of == 1  # type: ignore[union-attr]
    assert [f["kind"] for f in made] == ["changed"]


def test_a_long_dispute_stays_bounded(tmp_path: Any) -> None:
    """Sixty outlets disagreeing on one claim at the same time: each conflict finding carries
    at most max_previous earlier values, and the claim keeps a bounded set of contenders."""
    from datetime import UTC, datetime

    from ingest.dedup import DedupSettings
    from ingest.dedup.corpus import save_article
    from ingest.figures import load_figure_settings
    from ingest.findings import FindingSettings
    from ingest.models import ExtractedArticle
    from ingest.store import Store

    store = Store(tmp_path / "dispute.db")
    settings = FindingSettings()
    when = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    for n in range(60):
        url = f"https://outlet{n}.example/ai-plan"
        text = (
            f"Alibaba will invest RMB {300 + 7 * n} billion in AI infrastructure over the next "
            f"three years, outlet {n} reported, citing people familiar with the plan."
        )
        article = ExtractedArticle(
            url=url, canonical_url=url, title=f"Plan {n}", author=None, published=when,
            language="en", text=text, extraction="page",
        )  # fmt: skip
        save_article(
            store, article, entry=None, source_id=None, now=when, settings=DedupSettings(),
            figure_settings=load_figure_settings(), finding_settings=settings,
        )  # fmt: skip
    found = finding_records(store, limit=1000)
    assert sum(f["kind"] == "conflict" for f in found) >= 50
    assert max(len(f["previous"]) for f in found) <= settings.max_previous
    contenders = store.conn.execute(
        "SELECT COUNT(*) FROM claim_values WHERE status = 'contender'"
    ).fetchone()[0]
    assert contenders <= 2 * settings.max_previous
    store.close()
