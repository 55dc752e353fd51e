"""Inline SVG timeline charts, drawn by hand so the report needs no JavaScript or stylesheet.

Pure: series in, an ``<svg>`` string out. Every text is escaped; colours come from a fixed
palette so a source keeps its colour within a chart.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Literal
from unicodedata import east_asian_width

Mark = Literal["", "new", "repeat", "change", "conflict"]

# Colour-blind-safe qualitative palette (Okabe-Ito, without its yellow, which vanishes on white).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000", "#999999")
CHANGE_COLOUR = "#E69F00"
CONFLICT_COLOUR = "#C00000"


@dataclass(frozen=True, slots=True)
class ChartPoint:
    when: datetime
    value: float
    mark: Mark = ""
    label: str = ""  # tooltip text


def compact(value: float) -> str:
    """``380000000000`` -> ``380B``; ``0.125`` -> ``0.125``; ``12.5`` -> ``12.5``."""
    magnitude = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values spanning [low, high] (steps of 1, 2 or 5 times a power of ten)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high - low <= 1e-9 * max(1.0, abs(low), abs(high)):
        # No visible spread (one value, or float dust): give the axis a span to draw.
        high = low + max(abs(low), 1.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    # Ticks are k * step for whole k, rounded to the step's precision (no 0.30000000000000004).
    digits = max(0, 1 - math.floor(math.log10(step)))
    k = math.floor(low / step)
    while round(k * step, digits) > low:
        k -= 1
    ticks = [round(k * step, digits)]
    while ticks[-1] < high:
        k += 1
        ticks.append(round(k * step, digits))
    return ticks


def timeline_svg(
    series: Mapping[str, Sequence[ChartPoint]],
    *,
    unit: str,
    title: str,
    width: int = 760,
    height: int = 280,
) -> str:
    """One line per source over time; changes ringed, conflicts marked with a red diamond."""
    points = [p for pts in series.values() for p in pts]
    if not points:
        return ""
    left, right, top = 64, 40, 16
    plot_w, plot_h = width - left - right, height - top - 64
    legend = legend_layout(sorted(series), x0=left, width=plot_w)
    rows = 1 + max((row for _, _, row, _ in legend), default=0)
    total_h = top + plot_h + 46 + LEGEND_ROW * rows
    t0 = min(p.when for p in points)
    t1 = max(p.when for p in points)
    if t1 - t0 < timedelta(days=1):
        # One day or less: widen so a single point sits in the middle, not on an edge.
        t0, t1 = t0 - timedelta(days=1), t1 + timedelta(days=1)
    else:
        # A margin so the first and last points (and their marks) are not cut by the frame.
        pad = (t1 - t0) * 0.04
        t0, t1 = t0 - pad, t1 + pad
    ticks = nice_ticks(min(0.0, *(p.value for p in points)), max(p.value for p in points))
    v0, v1 = ticks[0], ticks[-1]
    span_t = (t1 - t0).total_seconds()

    def x(when: datetime) -> float:
        return left + plot_w * (when - t0).total_seconds() / span_t

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - v0) / ((v1 - v0) or 1))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {total_h}" width="{width}" height="{total_h}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        'stroke="#ccc"/>',
    ]
    for tick in ticks:
        ty = y(tick)
        out.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(compact(tick))}</text>"
        )
    for when in time_ticks(t0, t1):
        tx = x(when)
        out.append(
            f'<line x1="{tx:.1f}" y1="{top + plot_h}" x2="{tx:.1f}" y2="{top + plot_h + 4}" '
            f'stroke="#999"/><text x="{tx:.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
            f'class="tick date">{when:%Y-%m-%d}</text>'
        )
    out.append(
        f'<text x="12" y="{top + plot_h / 2:.1f}" class="unit" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.1f})" text-anchor="middle">'
        f"{escape(unit)}</text>"
    )
    for i, (source, pts) in enumerate(sorted(series.items())):
        colour = PALETTE[i % len(PALETTE)]
        ordered = sorted(pts, key=lambda p: p.when)
        if len(ordered) > 1:
            # Steps, not slopes: a stated value stands until a source states another one.
            steps = [(x(ordered[0].when), y(ordered[0].value))]
            for prev, p in itertools.pairwise(ordered):
                steps += [(x(p.when), y(prev.value)), (x(p.when), y(p.value))]
            path = " ".join(f"{sx:.1f},{sy:.1f}" for sx, sy in steps)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
            )
        for p in ordered:
            px, py = x(p.when), y(p.value)
            tip = f"<title>{escape(p.label or f'{source}: {compact(p.value)}')}</title>"
            out.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}" '
                f'class="point {p.mark}">{tip}</circle>'
            )
            if p.mark == "change":
                out.append(
                    f'<circle cx="{px:.1f}" cy="{py:.1f}" r="7" fill="none" '
                    f'stroke="{CHANGE_COLOUR}" stroke-width="2" class="mark-change">{tip}</circle>'
                )
            elif p.mark == "conflict":
                d = 8
                out.append(
                    f'<polygon points="{px:.1f},{py - d:.1f} {px + d:.1f},{py:.1f} '
                    f'{px:.1f},{py + d:.1f} {px - d:.1f},{py:.1f}" fill="none" '
                    f'stroke="{CONFLICT_COLOUR}" stroke-width="2" class="mark-conflict">'
                    f"{tip}</polygon>"
                )
        _, lx, row, shown = legend[i]
        ly = top + plot_h + 40 + LEGEND_ROW * row
        out.append(
            f'<g class="legend-item"><title>{escape(source)}</title>'
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{ly}" class="legend">{escape(shown)}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out)


# Tick steps in whole days: a label is a date, so a tick between midnights would repeat one
# date or put it off its day. Months are approximated by 30 days (labels stay exact dates).
DAY_STEPS = (1, 2, 3, 7, 14, 30, 61, 91, 182, 365, 730, 1826, 3652)
MAX_TIME_TICKS = 7


def time_ticks(t0: datetime, t1: datetime, most: int = MAX_TIME_TICKS) -> list[datetime]:
    """UTC midnights within [t0, t1], a whole number of days apart, at most ``most`` of them
    (steps of 1, 2, 3 days, a week, ...; multiples of the step counted from 1970-01-01, so
    the ticks of two charts line up)."""
    first = datetime(t0.year, t0.month, t0.day, tzinfo=UTC)
    if first < t0:
        first += timedelta(days=1)
    last = datetime(t1.year, t1.month, t1.day, tzinfo=UTC)
    days = max((last - first).days, 0)
    step = next((n for n in DAY_STEPS if days // n + 1 <= most), DAY_STEPS[-1])
    while (days // step + 1) > most:
        step *= 2
    epoch_day = (first - _EPOCH).days
    start = first + timedelta(days=-epoch_day % step)
    return [start + timedelta(days=k) for k in range(0, (last - start).days + 1, step)]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Legend text: 11px system-ui. Per-character advances at or above those of common sans fonts at
# that size (checked in a real browser by the tests), so estimated widths never fall short.
LEGEND_ROW = 18
_NARROW = frozenset("iljtfI.,:;|!'()[]/\\ -")
_WIDEST = frozenset("MWmw@%")
_SWATCH_PX = 14
_GAP_PX = 18
LEGEND_MAX_CHARS = 48


def _advance(c: str) -> float:
    if east_asian_width(c) in "WF":
        return 11.5  # a full em
    if c in _WIDEST:
        return 11.0
    if c in _NARROW:
        return 4.5
    return 8.5 if c.isupper() else 7.0


def text_width(text: str) -> float:
    """An upper estimate of ``text``'s width at the legend's font size."""
    return sum(_advance(c) for c in text)


def shorten(name: str, most: int = LEGEND_MAX_CHARS) -> str:
    """A long source name cut in the middle, keeping its start and its end (for an imported
    file's URL the end is the file name)."""
    if len(name) <= most:
        return name
    head = (most - 1) * 2 // 5
    return f"{name[:head]}\u2026{name[len(name) - (most - 1 - head) :]}"


def legend_layout(
    names: Sequence[str], *, x0: float, width: float
) -> list[tuple[str, float, int, str]]:
    """(name, x, row, shown text) per legend entry: entries left to right, wrapping to a new
    row before one would pass ``width``, so no two overlap whatever the names' lengths."""
    out = []
    x, row = 0.0, 0
    for name in names:
        shown = shorten(name)
        size = _SWATCH_PX + text_width(shown)
        if x > 0 and x + size > width:
            x, row = 0.0, row + 1
        out.append((name, x0 + x, row, shown))
        x += size + _GAP_PX
    return out
