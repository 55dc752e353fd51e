"""``ingest report``: one self-contained HTML page an analyst can open, mail or archive.

For each metric: a timeline of its values by source (changes and conflicts marked) and the
table of findings (or, while the store has no findings, of the figures themselves, each marked
new / repeat / change / conflict by :func:`classify`). No script, no external stylesheet, no
font or image fetched: the page renders the same offline and years later.

Pure core (:func:`observations`, :func:`classify`, :func:`render_report`); the only I/O is
:func:`build_report`, which reads the store.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

from ingest.findings.listing import finding_records
from ingest.models import to_iso
from ingest.ops.charts import ChartPoint, Mark, timeline_svg
from ingest.store.figures import StoredFigure

if TYPE_CHECKING:
    from ingest.store.interfaces import ReadQueries

# Two values of one claim agree within this relative difference (rounding: "$53 billion" for
# 52.6) and a conflict is a disagreement with another source's value stated this recently.
TOLERANCE = 0.02
CONFLICT_WINDOW = timedelta(days=30)
MAX_ROWS = 300  # per metric table; the chart always has every point


@dataclass(frozen=True, slots=True)
class Observation:
    """One figure of a metric, as the report plots and lists it."""

    when: datetime
    source: str
    subject: str | None
    period: str | None
    value: float  # comparable value: USD when the money figure was converted, else as stated
    unit: str  # "USD" for converted money, else the figure's unit
    text: str  # as written in the article
    quote: str
    article_url: str
    kind: Mark = ""
    start: int | None = None  # the figure's offset in its article (to find its finding)


def observations(figures: Iterable[StoredFigure]) -> dict[str, list[Observation]]:
    """Figures with a metric, grouped by metric, oldest first.

    As in the findings stage, a conversion of another figure ("(about $53 billion)") and the
    value a figure replaced ("up from 380 billion") restate something and are not plotted, and
    periods are compared normalised ("over three years" is "over the next three years").
    """
    from ingest.findings.claims import is_prior_mention, normalise_period

    out: dict[str, list[Observation]] = defaultdict(list)
    for sf in figures:
        f = sf.figure
        if not f.metric or f.equivalent_of is not None or is_prior_mention(f):
            continue
        usd = f.value_usd is not None and f.unit not in ("%", "pp", "x", "count")
        out[f.metric].append(
            Observation(
                when=sf.published or sf.created_at,
                source=sf.source or _host(sf.article_url),
                subject=f.subject,
                period=normalise_period(f.period) or None,
                value=f.value_usd if usd and f.value_usd is not None else f.value,
                unit="USD" if usd else f.unit,
                text=f.text,
                quote=f.sentence,
                article_url=sf.article_url,
                start=f.start,
            )
        )
    return {m: sorted(obs, key=lambda o: (o.when, o.source)) for m, obs in sorted(out.items())}


def _differ(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) > tolerance * max(abs(a), abs(b))


def classify(
    obs: Sequence[Observation],
    *,
    tolerance: float = TOLERANCE,
    window: timedelta = CONFLICT_WINDOW,
) -> list[Observation]:
    """Mark each observation against what was known before it, per claim (subject, period,
    unit): ``new`` (first value), ``change`` (differs from the same source's previous value),
    ``conflict`` (differs from another source's recent value), else ``repeat``."""
    latest: dict[tuple[str, str, str], dict[str, Observation]] = defaultdict(dict)
    out = []
    for o in sorted(obs, key=lambda o: o.when):
        key = ((o.subject or "").casefold(), o.period or "", o.unit)
        known = latest[key]
        own = known.get(o.source)
        kind: Mark
        if not known:
            kind = "new"
        elif own is not None and _differ(own.value, o.value, tolerance):
            kind = "change"
        elif any(
            o.when - prev.when <= window and _differ(prev.value, o.value, tolerance)
            for other, prev in known.items()
            if other != o.source
        ):
            kind = "conflict"
        else:
            kind = "repeat"
        known[o.source] = o
        out.append(replace(o, kind=kind))
    return out


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or url


def _field(obj: Any, name: str, default: Any = None) -> Any:
    """A finding's field whether the store hands out mappings or dataclasses."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _link(url: str | None, text: str) -> str:
    """An anchor for http(s) URLs only: a feed can carry ``javascript:`` links."""
    if url and url.lower().startswith(("http://", "https://")):
        return f'<a href="{escape(url)}" rel="noopener noreferrer">{escape(text)}</a>'
    return escape(text)


def _when(moment: Any) -> str:
    if isinstance(moment, datetime):
        return to_iso(moment) or ""
    return str(moment or "")


def _slug(metric: str) -> str:
    return "m-" + "".join(c if c.isalnum() else "-" for c in metric)


def _figure_text(record: Any) -> str:
    if record is None:
        return ""
    text = _field(record, "text")
    if text:
        return str(text)
    value, unit = _field(record, "value"), _field(record, "unit")
    return f"{value} {unit}" if value is not None else ""


def _findings_table(findings: Sequence[Any]) -> str:
    rows = []
    for f in findings[:MAX_ROWS]:
        figure = _field(f, "figure")
        previous = _field(f, "previous") or []
        prev_html = "<br>".join(
            _link(_field(p, "article_url"), _figure_text(p) or "(link)")
            + (f" ({escape(str(_field(p, 'source')))})" if _field(p, "source") else "")
            for p in previous
        )
        kind = str(_field(f, "kind", ""))
        rows.append(
            f'<tr class="k-{escape(kind)}"><td>{escape(_when(_field(f, "created_at")))}</td>'
            f'<td><span class="kind">{escape(kind)}</span></td>'
            f"<td>{escape(str(_field(f, 'subject') or ''))}</td>"
            f"<td>{escape(str(_field(f, 'period') or ''))}</td>"
            f"<td>{_link(_field(f, 'article_url'), _figure_text(figure) or '(article)')}</td>"
            f"<td>{prev_html}</td>"
            f"<td><q>{escape(str(_field(figure, 'sentence') or ''))}</q></td></tr>"
        )
    more = _more(len(findings))
    return (
        "<table><thead><tr><th>when</th><th>finding</th><th>subject</th><th>period</th>"
        "<th>figure</th><th>previously</th><th>quote</th></tr></thead><tbody>"
        + "".join(rows)
        + f"</tbody></table>{more}"
    )


def _observations_table(obs: Sequence[Observation]) -> str:
    newest = list(reversed(obs))
    rows = [
        f'<tr class="k-{o.kind}"><td>{escape(_when(o.when))}</td>'
        f'<td><span class="kind">{escape(o.kind)}</span></td><td>{escape(o.source)}</td>'
        f"<td>{escape(o.subject or '')}</td><td>{escape(o.period or '')}</td>"
        f"<td>{_link(o.article_url, o.text)}</td><td><q>{escape(o.quote)}</q></td></tr>"
        for o in newest[:MAX_ROWS]
    ]
    return (
        "<table><thead><tr><th>when</th><th>mark</th><th>source</th><th>subject</th>"
        "<th>period</th><th>figure</th><th>quote</th></tr></thead><tbody>"
        + "".join(rows)
        + f"</tbody></table>{_more(len(obs))}"
    )


def _more(n: int) -> str:
    return f'<p class="note">{n - MAX_ROWS} older rows not shown.</p>' if n > MAX_ROWS else ""


# A finding's kind as a chart mark: a revision is the source changing its own value.
_FINDING_MARKS: dict[str, Mark] = {
    "new": "new",
    "changed": "change",
    "revised": "change",
    "conflict": "conflict",
}


def plural(n: int, word: str) -> str:
    """``1 figure``, ``2 figures``, ``0 conflicts``."""
    return f"{n} {word if n == 1 else word + 's'}"


def _marked_by_findings(obs: Sequence[Observation], findings: Sequence[Any]) -> list[Observation]:
    """The observations marked by the stored findings about them (the table below the chart
    lists those findings, so chart, counts and table agree); the rest carry no mark."""
    by_figure: dict[tuple[str, int | None, str], Mark] = {}
    for f in reversed(findings):  # oldest first, so the newest finding of a figure wins
        figure = _field(f, "figure")
        mark = _FINDING_MARKS.get(str(_field(f, "kind", "")))
        if figure is None or mark is None:
            continue
        url = str(_field(figure, "article_url") or _field(f, "article_url") or "")
        start = _field(figure, "start")
        text = str(_field(figure, "text") or "")
        by_figure[(url, start, text)] = mark
        by_figure.setdefault((url, None, text), mark)
    return [
        replace(
            o,
            kind=by_figure.get((o.article_url, o.start, o.text))
            or by_figure.get((o.article_url, None, o.text), ""),
        )
        for o in obs
    ]


def metric_section(
    metric: str,
    obs: Sequence[Observation],
    findings: Sequence[Any] | None,
    *,
    label: str | None = None,
) -> str:
    """One metric: heading, chart of its main unit, and the findings (or figures) table."""
    label = label or metric
    marked = _marked_by_findings(obs, findings) if findings else classify(obs)
    units = Counter(o.unit for o in marked)
    unit = units.most_common(1)[0][0] if units else ""
    series: dict[str, list[ChartPoint]] = defaultdict(list)
    for o in marked:
        if o.unit == unit:
            text = f"{o.source}, {o.when:%Y-%m-%d}: {o.text}"
            if o.subject or o.period:
                text += f" ({' '.join(p for p in (o.subject, o.period) if p)})"
            tip = f"{text} [{o.kind}]" if o.kind else text
            series[o.source].append(ChartPoint(o.when, o.value, o.kind, tip))
    chart = timeline_svg(series, unit=unit, title=f"{label} by source ({unit})")
    other = sum(n for u, n in units.items() if u != unit)
    sources = len({o.source for o in marked})
    summary = f"{plural(len(marked), 'figure')} from {plural(sources, 'source')}; "
    if findings:
        # The counts of the table below: the findings themselves.
        kinds = Counter(str(_field(f, "kind", "")) for f in findings)
        # "2 new", "2 changed", "2 revised" but "2 conflicts": only the noun takes a plural.
        parts = [
            plural(kinds[k], k) if k == "conflict" else f"{kinds[k]} {k}"
            for k in ("new", "changed", "conflict", "revised")
            if kinds[k]
        ]
        summary += f"{plural(len(findings), 'finding')}: {', '.join(parts)}"
    else:
        counts = Counter(o.kind for o in marked)
        summary += f"{plural(counts['change'], 'change')}, {plural(counts['conflict'], 'conflict')}"
    if other:
        summary += f"; {other} in other units listed below, not plotted"
    if findings:
        table = "<h3>Findings</h3>" + _findings_table(findings)
    else:
        # No findings (yet) for this metric: the figures themselves, marked, are the next best.
        table = "<h3>Figures</h3>" + _observations_table(marked)
    return (
        f'<section id="{_slug(metric)}"><h2>{escape(label)}</h2>'
        f'<p class="summary">{escape(summary)}. Metric <code>{escape(metric)}</code>.</p>'
        f"<figure>{chart}<figcaption>Values in {escape(unit)}. "
        '<span class="lg-change">ringed</span>: a source changed its value; '
        '<span class="lg-conflict">diamond</span>: it disagrees with another source.'
        f"</figcaption></figure>{table}</section>"
    )


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;
padding:0 1rem;color:#222}
h1{font-size:1.6rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #eee;padding:.3rem .4rem;text-align:left;vertical-align:top}
th{background:#f6f6f6}q{color:#444}.note,.summary{color:#666}
.kind{font-size:.8rem;padding:0 .3rem;border-radius:3px;background:#eee}
.k-change .kind,.k-changed .kind{background:#fde6c4}.k-conflict .kind{background:#f8c9c9}
.k-new .kind{background:#d5ecd9}.k-revised .kind{background:#dde3f7}
.chart .tick,.chart .legend{font-size:11px;fill:#555}.chart .unit{font-size:12px;fill:#333}
.lg-change{color:#b36b00}.lg-conflict{color:#c00000}
figure{margin:1rem 0}figcaption{font-size:.85rem;color:#666}
nav ul{columns:3}
"""


def render_report(
    by_metric: Mapping[str, Sequence[Observation]],
    findings: Sequence[Any] | None,
    *,
    generated: datetime,
    title: str = "ingest report",
    stories: Sequence[Any] = (),
    labels: Mapping[str, str] | None = None,
) -> str:
    """The whole page. ``findings`` None: the store keeps none (figures are listed instead).

    ``stories`` (``StorySummary``): the stories carried by most outlets, listed at the end.
    ``labels``: the catalogue's metric labels by key, for headings (the key when missing).
    """
    labels = labels or {}
    findings_of: dict[str, list[Any]] = defaultdict(list)
    for f in findings or ():
        findings_of[str(_field(f, "metric") or "")].append(f)
    sections = [
        metric_section(
            m, obs, None if findings is None else findings_of.get(m, []), label=labels.get(m)
        )
        for m, obs in by_metric.items()
    ]
    nav = "".join(
        f'<li><a href="#{_slug(m)}">{escape(labels.get(m) or m)}</a> ({len(obs)})</li>'
        for m, obs in by_metric.items()
    )
    total = sum(len(o) for o in by_metric.values())
    body = "".join(sections) or '<p class="note">No figures with a metric yet.</p>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{escape(title)}</h1><p class="note">Generated {escape(_when(generated))}; '
        f"{plural(len(by_metric), 'metric')}, {plural(total, 'figure')}.</p>"
        f"<nav><ul>{nav}</ul></nav>{body}{_stories_section(stories)}</body></html>\n"
    )


def _stories_section(stories: Sequence[Any]) -> str:
    """How many outlets carried each story (copies joined by the dedup stage), widest first."""
    if not stories:
        return ""
    rows = "".join(
        f"<tr><td>{len(s.outlets)}</td><td>{_link(s.url, s.title or s.url)}</td>"
        f"<td>{escape(', '.join(s.outlets))}</td><td>{escape(_when(s.first_seen))}</td>"
        f"<td>{escape(_when(s.last_seen))}</td></tr>"
        for s in stories[:MAX_ROWS]
    )
    return (
        '<section id="stories"><h2>Stories by outlets</h2>'
        "<table><thead><tr><th>outlets</th><th>story</th><th>carried by</th><th>first</th>"
        f"<th>last</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def build_report(
    store: ReadQueries,
    *,
    metric: str | None,
    generated: datetime,
    limit: int = 50_000,
    labels: Mapping[str, str] | None = None,
) -> str:
    """Read figures (and findings, when the store keeps them) and render the page."""
    figures = store.list_figures(metric=metric, limit=limit)
    by_metric = observations(figures)
    findings: list[Any] | None = None
    # The table may be missing: a store class may be newer than the database it opened.
    if store.has_table("findings"):
        findings = finding_records(store, metric=metric, limit=limit)
    title = f"ingest report: {metric}" if metric else "ingest report"
    stories: list[Any] = []
    if store.has_table("related_story"):
        recent = store.list_articles(limit=500, stories_only=True)
        summaries = store.story_summaries([a.id for a in recent])
        stories = sorted(
            (s for s in summaries if len(s.outlets) > 1),
            key=lambda s: (-len(s.outlets), -s.last_seen.timestamp()),
        )
    if findings:
        # Findings carry the label the catalogue had when they were recorded.
        labels = {
            **{
                str(_field(f, "metric")): str(_field(f, "metric_label"))
                for f in findings
                if _field(f, "metric_label")
            },
            **(labels or {}),
        }
    return render_report(
        by_metric, findings, generated=generated, title=title, stories=stories, labels=labels
    )
