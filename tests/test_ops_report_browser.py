"""The HTML report as a reader sees it: laid out by a real headless Chromium, then measured.

The page is rendered with a copy of the report plus a small script (the report itself has none)
that runs after layout and writes the bounding boxes of the chart's legend entries, date ticks
and the headings into the DOM, which ``--dump-dom`` hands back. Needs Debian's ``chromium``
(``apt-get install chromium``; ``$INGEST_CHROMIUM`` names another binary). Without it the tests
skip and say so, unless ``INGEST_REQUIRE_CHROMIUM=1`` (set by ``.ci/run``), where that is a
failure.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest.ops.report import Observation, render_report

T0 = datetime(2025, 2, 1, 9, 37, tzinfo=UTC)  # not a midnight: ticks must not start here
METRIC = "ai_investment_commitment"
LABEL = "AI investment commitment"

# Imported files have no feed: their file:// URL is their source name, and such names are long.
LONG = [
    "file:///var/lib/ingest/import/2025-02/harbour-wire/alibaba-raises-ai-budget.html",
    "file:///var/lib/ingest/import/2025-02/harbour-wire/alibaba-cloud-results.html",
    "file:///var/lib/ingest/import/2025-02/ledger-daily/capex-plan-analysis.html",
]
# Wide capitals and a CJK name test the width estimate the legend layout relies on.
SOURCES = ["Harbour Wire", "Ledger Daily", "新华社财经频道", *LONG, "X", "WMW MWM WWMM NEWS WIRE"]


def chromium() -> str:
    """The browser binary, or a skip (a failure when INGEST_REQUIRE_CHROMIUM=1) saying why."""
    found = os.environ.get("INGEST_CHROMIUM") or next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None
    )
    if found:
        return found
    reason = "no chromium found (apt-get install chromium, or set INGEST_CHROMIUM)"
    if os.environ.get("INGEST_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{reason}; INGEST_REQUIRE_CHROMIUM=1 makes this a failure")
    pytest.skip(reason)


# Runs after layout (end of body): boxes in CSS pixels of the page.
MEASURE = """
<script>
function box(e) { const r = e.getBoundingClientRect();
  return {x: r.left, y: r.top, w: r.width, h: r.height, text: e.textContent}; }
const charts = [...document.querySelectorAll("svg.chart")].map(svg => ({
  svg: box(svg),
  legend: [...svg.querySelectorAll(".legend-item")].map(box),
  labels: [...svg.querySelectorAll("text.legend")].map(box),
  dates: [...svg.querySelectorAll("text.date")].map(box),
}));
const sections = [...document.querySelectorAll("section")].map(s => ({
  heading: s.querySelector("h2").textContent,
  summary: s.querySelector(".summary").textContent,
  findings: s.querySelectorAll("tbody tr").length,
  conflicts: s.querySelectorAll("tbody tr.k-conflict").length,
  changed: s.querySelectorAll("tbody tr.k-changed").length,
  rings: s.querySelectorAll(".mark-change").length,
  diamonds: s.querySelectorAll(".mark-conflict").length,
}));
const out = document.createElement("pre");
out.id = "layout";
out.textContent = JSON.stringify({charts, sections});
document.body.appendChild(out);
</script>
"""


def render_in_browser(html: str, tmp_path: Path) -> dict[str, Any]:
    """Lay the page out in headless Chromium and return what MEASURE found."""
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", "--window-size=1200,900",
        "--dump-dom", page.as_uri(),
    ]  # fmt: skip
    # A generous bound so a wedged browser fails the test instead of hanging the suite.
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r'<pre id="layout">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no layout in the dumped DOM (exit {done.returncode}): {done.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    return result


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def point(day: float, source: str, value: float) -> Observation:
    when = T0 + timedelta(days=day)
    return Observation(
        when=when, source=source, subject="Alibaba", period="FY2025", value=value, unit="USD",
        text=f"${value / 1e9:g} billion", quote="q", article_url=f"https://x.test/{source}/{day}",
        start=0,
    )  # fmt: skip


def finding(kind: str, o: Observation) -> dict[str, Any]:
    return {
        "kind": kind, "subject": "Alibaba", "metric": METRIC, "period": "FY2025",
        "metric_label": LABEL, "article_url": o.article_url, "created_at": o.when.isoformat(),
        "figure": {"text": o.text, "start": 0, "sentence": "q", "article_url": o.article_url},
        "previous": [],
    }  # fmt: skip


def test_report_layout_in_a_real_browser(tmp_path: Path) -> None:
    """In Chromium: legend entries (long file:// names and CJK included) do not overlap and stay
    inside their chart; date ticks are unique, whole days apart and evenly placed; headings
    show the catalogue's labels; the summary's change and conflict counts are the table's."""
    obs = [point(i * 1.37, s, 50e9 + i * 1e9) for i, s in enumerate(SOURCES)]
    obs += [point(10.2, "Harbour Wire", 66e9), point(10.9, "Ledger Daily", 53e9)]
    findings = [
        finding("new", obs[0]),
        finding("changed", obs[-2]),
        finding("conflict", obs[-1]),
        finding("conflict", obs[3]),
    ]
    single = [point(3, "Lone Source", 1e9)]
    html = render_report(
        {METRIC: obs, "cloud_revenue": single},
        findings,
        generated=T0,
        labels={METRIC: LABEL, "cloud_revenue": "Cloud revenue"},
    )
    layout = render_in_browser(html, tmp_path)

    big, small = layout["charts"]
    assert len(big["legend"]) == len(SOURCES)
    for a, b in itertools.combinations(big["legend"], 2):
        assert not overlap(a, b), (a["text"], b["text"])
    from ingest.ops.charts import text_width

    for label in big["labels"]:  # the layout's estimate is never short of the rendered width
        assert label["w"] <= text_width(label["text"]), label
    for entry in big["legend"]:
        assert big["svg"]["x"] <= entry["x"] and entry["x"] + entry["w"] <= (
            big["svg"]["x"] + big["svg"]["w"]
        ), entry
        assert entry["y"] + entry["h"] <= big["svg"]["y"] + big["svg"]["h"], entry

    for chart in (big, small):
        labels = [d["text"] for d in chart["dates"]]
        days = [date.fromisoformat(t) for t in labels]
        assert len(days) >= 2 and len(set(days)) == len(days), labels
        steps = {(b - a).days for a, b in itertools.pairwise(days)}
        assert len(steps) == 1 and steps.pop() >= 1, labels
        centres = [d["x"] + d["w"] / 2 for d in chart["dates"]]
        gaps = [b - a for a, b in itertools.pairwise(centres)]
        assert max(gaps) - min(gaps) < 1.0, gaps  # whole days: evenly spaced
        for a, b in itertools.pairwise(chart["dates"]):
            assert not overlap(a, b), (a["text"], b["text"])

    section, lone = layout["sections"]
    assert section["heading"] == LABEL and lone["heading"] == "Cloud revenue"
    assert section["conflicts"] == 2 and section["changed"] == 1
    assert "4 findings: 1 new, 1 changed, 2 conflicts" in section["summary"]
    assert (section["rings"], section["diamonds"]) == (1, 2)
    assert lone["summary"].startswith("1 figure from 1 source; 0 changes, 0 conflicts")
