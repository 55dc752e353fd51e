"""Publication dates read from an article's own text (ingest.extract.dates), and how the
corpus stage dates an article that carries none (corpus.settle_date)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ingest.dedup.corpus import settle_date
from ingest.extract.dates import date_from_text
from ingest.models import ExtractedArticle

FETCHED = date(2025, 9, 26)


def test_dateline_at_the_top_is_taken() -> None:
    """A dateline in the first lines is the article's date, in any common order."""
    assert date_from_text("HANGZHOU, September 24, 2025 - Alibaba said", not_after=FETCHED) == (
        date(2025, 9, 24)
    )
    assert date_from_text("Published 24 Sept 2025\nAlibaba Cloud", not_after=FETCHED) == date(
        2025, 9, 24
    )
    assert date_from_text("2025-09-23 | Markets\nText", not_after=FETCHED) == date(2025, 9, 23)


def test_story_dates_are_not_publication_dates() -> None:
    """ "The quarter ended December 31, 2024" and dates deep in the text are about the story."""
    text = "Revenue for the quarter ended December 31, 2024 rose 8%."
    assert date_from_text(text, not_after=FETCHED) is None
    deep = "Alibaba Cloud grew. " * 40 + "On March 3, 2025 it opened a region."
    assert date_from_text(deep, not_after=FETCHED) is None


def test_future_and_stale_dates_are_refused() -> None:
    """A date after the fetch is a promotion; one far before it, a caption (when bounded)."""
    assert date_from_text("Offer ends May 2, 2026. Alibaba", not_after=FETCHED) is None
    caption = "Photo taken Feb. 6, 2025. Alibaba said"
    assert date_from_text(caption, not_after=FETCHED, max_age=timedelta(days=45)) is None
    assert date_from_text(caption, not_after=FETCHED) == date(2025, 2, 6)


@given(st.text(max_size=300))
def test_never_raises_and_never_after_the_fetch(text: str) -> None:
    """Any text: no exception, and a date found is never after the fetch day plus one."""
    found = date_from_text(text, not_after=FETCHED)
    assert found is None or found <= FETCHED + timedelta(days=1)


def _article(text: str, published: datetime | None) -> ExtractedArticle:
    return ExtractedArticle(
        url="https://a.example/x", canonical_url="https://a.example/x", title=None,
        author=None, published=published, language=None, text=text, extraction="page",
    )  # fmt: skip


def test_settle_date_records_where_the_date_came_from() -> None:
    """The page's date is kept; else a dateline; else the fetch time ("imported" when only the
    import's clock knows)."""
    at = datetime(2025, 9, 26, 9, tzinfo=UTC)
    kept = settle_date(_article("text", datetime(2025, 9, 20, tzinfo=UTC)), at)
    assert (kept.published, kept.published_source) == (datetime(2025, 9, 20, tzinfo=UTC), "page")
    dated = settle_date(_article("September 24, 2025 - Alibaba", None), at)
    assert dated.published_source == "text" and dated.published is not None
    assert dated.published.date() == date(2025, 9, 24)
    fetched = settle_date(_article("no date here", None), at)
    assert (fetched.published, fetched.published_source) == (at, "fetched")
    imported = settle_date(_article("no date here", None), at, clock="imported")
    assert imported.published_source == "imported"


def test_import_of_a_txt_file_takes_its_dateline(tmp_path: Path) -> None:
    """`ingest import` of a .txt file dates it from its text, whatever the import's clock."""
    doc = tmp_path / "note.txt"
    doc.write_text(
        "Alibaba Cloud opens three regions\nHANGZHOU, September 24, 2025 - Alibaba Cloud said "
        "it would open data centres in three more countries this year.\n",
        encoding="utf-8",
    )
    db = tmp_path / "i.db"
    cli = [sys.executable, "-m", "ingest"]
    subprocess.run([*cli, "import", str(doc), "--db", str(db), "--no-topic", "-q"], check=True,
                   capture_output=True)  # fmt: skip
    out = subprocess.run([*cli, "articles", "--db", str(db), "--json"], check=True,
                         capture_output=True, text=True)  # fmt: skip
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert [r["published"][:10] for r in rows] == ["2025-09-24"]


def test_articles_json_says_where_the_date_came_from(tmp_path: Path) -> None:
    """`ingest articles --json` carries `published_source`."""
    doc = tmp_path / "undated.txt"
    doc.write_text("Alibaba Cloud note\nAlibaba Cloud opened a region in Mexico.\n", "utf-8")
    db = tmp_path / "j.db"
    cli = [sys.executable, "-m", "ingest"]
    subprocess.run([*cli, "import", str(doc), "--db", str(db), "--no-topic", "-q"], check=True,
                   capture_output=True)  # fmt: skip
    out = subprocess.run([*cli, "articles", "--db", str(db), "--json"], check=True,
                         capture_output=True, text=True)  # fmt: skip
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert [r["published_source"] for r in rows] == ["imported"]
