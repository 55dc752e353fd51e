"""The HTML report: marks changes and conflicts, draws a chart, stays self-contained."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from ops_fixtures import METRIC, STORY, T0, seed_store

import ingest.cli.commands_ops  # noqa: F401  (registers `report`)
from ingest.cli import main
from ingest.ops.charts import ChartPoint, compact, nice_ticks, timeline_svg
from ingest.ops.report import Observation, build_report, classify, observations
from ingest.store import Store


class Elements(HTMLParser):
    """Every start tag with its attributes, for asserting on the page's structure."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict[str, str | None]]]:
    p = Elements()
    p.feed(html)
    return p.tags


def assert_self_contained(html: str) -> None:
    """No script at all, no external stylesheet, image, font or frame."""
    tags = parse(html)
    assert not [t for t, _ in tags if t in ("script", "iframe", "object", "embed")]
    for tag, attrs in tags:
        if tag == "link":
            raise AssertionError(f"external resource: {attrs}")
        for name in ("src", "srcset", "data", "poster"):
            assert name not in attrs, (tag, attrs)
    assert not re.search(r"@import|url\(", html), "CSS that loads something"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store(tmp_path / "report.db")
    seed_store(s)
    yield s
    s.close()


def obs(day: int, source: str, value: float, **kw: Any) -> Observation:
    return Observation(
        when=T0 + timedelta(days=day), source=source, subject=kw.get("subject", "Alibaba"),
        period=kw.get("period"), value=value, unit=kw.get("unit", "USD"), text=str(value),
        quote="q", article_url="https://x.test/a",
    )  # fmt: skip


def test_classify_new_repeat_change_conflict() -> None:
    """First value new, agreeing values repeat, own moved value change, disagreeing conflict."""
    marked = classify(
        [
            obs(0, "A", 52.4e9),
            obs(1, "B", 53e9),  # within 2%: a repeat
            obs(9, "A", 66.2e9),  # A moved its own value
            obs(10, "B", 53e9),  # B still says the old value: disagrees with A's recent one
            obs(60, "C", 53e9),  # A's value is too old to conflict with, B agrees: repeat
        ]
    )
    assert [o.kind for o in marked] == ["new", "repeat", "change", "conflict", "repeat"]


def test_classify_separates_claims() -> None:
    """Different subjects, periods or units are different claims, each with its own first value."""
    marked = classify(
        [obs(0, "A", 1.0), obs(1, "A", 2.0, subject="Tencent"), obs(2, "A", 3.0, period="2026"),
         obs(3, "A", 4.0, unit="%")]
    )  # fmt: skip
    assert [o.kind for o in marked] == ["new"] * 4


sources = st.sampled_from(["A", "B", "C"])
values = st.sampled_from([1.0, 1.01, 2.0, 5.0])


@given(st.lists(st.tuples(st.integers(0, 100), sources, values), max_size=30))
def test_classify_properties(rows: list[tuple[int, str, float]]) -> None:
    """Every observation is marked, nothing else changes, and only the first of a claim is new."""
    items = [obs(d, s, v) for d, s, v in rows]
    marked = classify(items)
    assert sorted((o.when, o.source, o.value) for o in marked) == sorted(
        (o.when, o.source, o.value) for o in items
    )
    assert all(o.kind in ("new", "repeat", "change", "conflict") for o in marked)
    assert [o.kind for o in marked].count("new") == (1 if items else 0)
    if marked:
        assert marked[0].kind == "new"


@given(st.floats(-1e13, 1e13), st.floats(0, 1e13))
def test_nice_ticks_cover_the_range(low: float, span: float) -> None:
    """Ticks are increasing, span [low, low + span], and stay few."""
    ticks = nice_ticks(low, low + span)
    assert ticks == sorted(ticks)
    assert ticks[0] <= low
    assert ticks[-1] >= low + span
    assert len(ticks) <= 8


def test_compact_numbers() -> None:
    """Large values are shown with k/M/B/T suffixes."""
    assert compact(380e9) == "380B"
    assert compact(1.25e12) == "1.25T"
    assert compact(12.5) == "12.5"
    assert compact(-2500) == "-2.5k"


def test_svg_escapes_and_marks() -> None:
    """Source names are escaped; change and conflict marks are drawn."""
    svg = timeline_svg(
        {
            "<b>A</b>": [
                ChartPoint(T0, 1.0, "new"),
                ChartPoint(T0 + timedelta(days=2), 2.0, "change"),
            ],
            "B": [ChartPoint(T0 + timedelta(days=3), 1.0, "conflict")],
        },
        unit="USD", title="t",
    )  # fmt: skip
    assert "<b>A</b>" not in svg and "&lt;b&gt;A&lt;/b&gt;" in svg
    assert svg.count('class="mark-change"') == 1
    assert svg.count('class="mark-conflict"') == 1
    assert svg.count("<polyline") == 1  # B has one point: no line


def test_observations_from_store_use_usd(store: Store) -> None:
    """Money figures converted to USD are compared in USD across currencies."""
    by_metric = observations(store.list_figures(limit=100))
    assert list(by_metric) == [METRIC]
    series = by_metric[METRIC]
    assert len(series) == len(STORY)
    assert {o.unit for o in series} == {"USD"}
    assert [o.source for o in series][:2] == ["Harbour Wire", "Ledger Daily"]


def test_report_from_store_is_self_contained_with_chart_and_table(store: Store) -> None:
    """The page has an inline SVG chart with the change and conflict marked, and a table of
    the figures with quotes and links; nothing is loaded from elsewhere."""
    html = build_report(store, metric=None, generated=datetime(2025, 3, 1, tzinfo=UTC))
    assert_self_contained(html)
    tags = parse(html)
    assert ("svg" in [t for t, _ in tags]) and ("table" in [t for t, _ in tags])
    assert html.count('class="mark-change"') == 1
    assert html.count('class="mark-conflict"') == 1
    links = [a.get("href") for t, a in tags if t == "a"]
    assert "https://harbour.test/a/3" in links
    assert "<q>The company raised its AI infrastructure budget to 480 billion yuan.</q>" in html
    assert "1 change, 1 conflict" in html


QUOTE = "It raised the budget to 480 billion yuan."


def test_report_uses_findings_when_the_store_has_them(store: Store, monkeypatch: Any) -> None:
    """With store.list_findings, the table lists findings with previous values and quotes."""
    finding = {
        "id": 1, "kind": "changed", "subject": "Alibaba", "metric": METRIC, "period": "FY2025",
        "figure": {"text": "480 billion yuan", "sentence": QUOTE},
        "previous": [{"text": "380 billion yuan", "article_url": "https://harbour.test/a/0"}],
        "article_url": "https://harbour.test/a/3", "created_at": "2025-02-10T09:00:00+00:00",
    }  # fmt: skip
    other = {**finding, "id": 2, "metric": "cloud_revenue"}

    def list_findings(*, metric: str | None = None, limit: int = 1000, **_: Any) -> list[Any]:
        chosen = [f for f in (finding, other) if metric in (None, f["metric"])][:limit]
        return [StoredFinding(int(f["id"]), f, None, None) for f in chosen]

    monkeypatch.setattr(store, "list_findings", list_findings, raising=False)
    from ingest.store.findings import StoredFinding, create_findings_tables

    create_findings_tables(store.conn)
    html = build_report(store, metric=METRIC, generated=T0)
    assert_self_contained(html)
    assert "<h3>Findings</h3>" in html
    assert '<span class="kind">changed</span>' in html
    assert (
        '<a href="https://harbour.test/a/0" rel="noopener noreferrer">380 billion yuan</a>' in html
    )
    assert "<q>It raised the budget to 480 billion yuan.</q>" in html
    assert html.count('<tr class="k-changed">') == 1  # the other metric's finding is not here


def test_hostile_urls_are_not_links() -> None:
    """A javascript: URL from a feed is shown as text, never as a link."""
    from ingest.ops.report import render_report

    o = Observation(
        T0, "S", None, None, 1.0, "USD", "$1", "<script>x</script>", "javascript:alert(1)"
    )
    html = render_report({"m": [o]}, None, generated=T0)
    assert "javascript:" not in [a.get("href", "") for t, a in parse(html) if t == "a"]
    assert "<script>" not in html


def test_empty_store_report(tmp_path: Path) -> None:
    """A store without figures gives a page that says so."""
    s = Store(tmp_path / "empty.db")
    try:
        html = build_report(s, metric=None, generated=T0)
    finally:
        s.close()
    assert "No figures with a metric yet." in html


def test_cli_report_writes_file(store: Store, tmp_path: Path) -> None:
    """`ingest report --out` writes the page, headed by the catalogue's labels, and says where."""
    config = tmp_path / "ingest.toml"
    config.write_text(f'[store]\npath = "{store.path}"\n', encoding="utf-8")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        main, ["report", "--metric", METRIC, "--out", str(out), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    html = out.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert "<svg" in html and METRIC in html
    assert "<h2>AI/cloud investment commitment</h2>" in html  # the catalogue's label


@given(
    st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC)),
    st.timedeltas(timedelta(days=1), timedelta(days=4000)),
)
def test_time_ticks_are_whole_days(t0: datetime, span: timedelta) -> None:
    """Date ticks are UTC midnights inside the range, all one whole number of days apart, at
    least one and at most seven: no date repeats, none sits between two midnights."""
    from ingest.ops.charts import MAX_TIME_TICKS, time_ticks

    ticks = time_ticks(t0, t0 + span)
    assert 1 <= len(ticks) <= MAX_TIME_TICKS
    assert all(t.tzinfo == UTC and (t.hour, t.minute, t.second, t.microsecond) == (0,) * 4
               for t in ticks)  # fmt: skip
    assert t0 <= ticks[0] and ticks[-1] <= t0 + span
    assert len({(b - a) for a, b in itertools.pairwise(ticks)}) <= 1
    assert len({f"{t:%Y-%m-%d}" for t in ticks}) == len(ticks)


@given(st.lists(st.text(min_size=1, max_size=120), max_size=12, unique=True))
def test_legend_entries_never_overlap(names: list[str]) -> None:
    """Legend entries, at their estimated widths, never overlap and never pass the plot's
    width (a long name is shortened in the middle, keeping its end)."""
    from ingest.ops.charts import legend_layout, text_width

    entries = legend_layout(names, x0=64, width=656)
    spans = [(row, x, x + 14 + text_width(shown)) for _, x, row, shown in entries]
    for (row_a, a0, a1), (row_b, b0, b1) in itertools.combinations(spans, 2):
        assert row_a != row_b or a1 <= b0 or b1 <= a0
    assert all(end <= 64 + 656 for _, _, end in spans)


def test_shorten_keeps_the_file_name() -> None:
    """A long imported file's URL keeps its start and its file name."""
    from ingest.ops.charts import LEGEND_MAX_CHARS, shorten

    name = "file:///var/lib/ingest/import/2025-02/harbour-wire/alibaba-raises-ai-budget.html"
    short = shorten(name)
    assert len(short) == LEGEND_MAX_CHARS and short.startswith("file:///")
    assert short.endswith("alibaba-raises-ai-budget.html") and "\u2026" in short
    assert shorten("Harbour Wire") == "Harbour Wire"


def test_summary_counts_findings_and_plurals(store: Store) -> None:
    """With findings, the summary counts the table's findings by kind and the chart marks the
    figures they are about; one figure from one source is said in the singular; headings and
    the navigation show the catalogue's label."""
    from ingest.ops.report import render_report

    series = observations(store.list_figures(limit=100))[METRIC]
    # Two conflicts and two changes found by the findings stage, whatever classify() thinks.
    chosen = [series[1], series[2], series[3], series[4]]
    findings = [
        {"kind": kind, "metric": METRIC, "subject": "Alibaba", "period": "FY2025",
         "article_url": o.article_url, "created_at": o.when.isoformat(),
         "figure": {"text": o.text, "start": o.start, "article_url": o.article_url}}
        for kind, o in zip(("conflict", "changed", "changed", "conflict"), chosen, strict=True)
    ]  # fmt: skip
    lone = [replace(series[0], source="Lone")]
    html = render_report(
        {METRIC: series, "cloud_revenue": lone}, findings, generated=T0,
        labels={METRIC: "AI investment commitment"},
    )  # fmt: skip
    assert "5 figures from 2 sources; 4 findings: 2 changed, 2 conflicts" in html
    assert html.count('<tr class="k-conflict">') == 2
    assert html.count('class="mark-conflict"') == 2 and html.count('class="mark-change"') == 2
    assert "<h2>AI investment commitment</h2>" in html and f"<h2>{METRIC}</h2>" not in html
    assert ">AI investment commitment</a> (5)" in html
    assert "1 figure from 1 source; 0 changes, 0 conflicts" in html
    assert "<h2>cloud_revenue</h2>" in html  # no label known: the key
    assert "2 metrics, 6 figures." in html
