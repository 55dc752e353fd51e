"""A small corpus of stored figures for the ops report and status tests (written for the tests;
no third-party text)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from ingest.figures import Figure
from ingest.models import ExtractedArticle
from ingest.store import SourceSpec, Store

T0 = datetime(2025, 2, 1, 9, 0, tzinfo=UTC)
METRIC = "ai_investment_commitment"

# (day offset, source, figure text, value, unit, value_usd, sentence)
STORY = [
    (0, "Harbour Wire", "380 billion yuan", 380e9, "CNY", 52.4e9,
     "The group said it will spend 380 billion yuan on AI infrastructure over three years."),
    (1, "Ledger Daily", "$53 billion", 53e9, "USD", 53e9,
     "The $53 billion plan covers data centres and chips, the company said."),
    (2, "Harbour Wire", "380 billion yuan", 380e9, "CNY", 52.4e9,
     "Analysts welcomed the 380 billion yuan commitment."),
    (9, "Harbour Wire", "480 billion yuan", 480e9, "CNY", 66.2e9,
     "The company raised its AI infrastructure budget to 480 billion yuan."),
    (10, "Ledger Daily", "$53 billion", 53e9, "USD", 53e9,
     "Its $53 billion programme is the largest in the sector."),
]  # fmt: skip


def seed_store(store: Store) -> None:
    """Sources, one article per STORY row, each with its figure (subject Alibaba, FY2025)."""
    ids: dict[str, int] = {}
    for name in sorted({row[1] for row in STORY}):
        store.add_source(SourceSpec(name=name, url=f"https://{name.split()[0].lower()}.test/rss"))
    for s in store.list_sources():
        ids[s.name] = s.id
    for i, (day, source, text, value, unit, usd, sentence) in enumerate(STORY):
        when = T0 + timedelta(days=day)
        url = f"https://{source.split()[0].lower()}.test/a/{i}"
        body = f"Headline {i}. {sentence} More text follows here."
        article = ExtractedArticle(
            url=url, canonical_url=url, title=f"Story {i}", author=None, published=when,
            language="en", text=body, extraction="page",
        )  # fmt: skip
        start = body.index(text)
        with store.unit():
            article_id = store.insert_article(
                article, source_id=ids[source], guid=None,
                text_hash=hashlib.sha256(body.encode()).hexdigest(), now=when, duplicate_of=None,
            )  # fmt: skip
            store.add_figures(
                article_id, 1,
                [Figure(text=text, start=start, end=start + len(text), sentence=sentence,
                        value=value, unit=unit, subject="Alibaba", metric=METRIC,
                        period="FY2025", value_usd=usd)],
                now=when,
            )  # fmt: skip
