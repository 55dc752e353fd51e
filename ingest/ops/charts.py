"""Inline SVG timeline charts, drawn by hand so the report needs no JavaScript or stylesheet.

Pure: series in, an ``<svg>`` string out. Every text is escaped; colours come from a fixed
palette so a source keeps its colour within a chart.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Literal

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
    left, right, top, bottom = 64, 40, 16, 64 + 18 * ((len(series) + 2) // 3)
    plot_w, plot_h = width - left - right, height - top - 64
    total_h = top + plot_h + bottom
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
    for when in _time_ticks(t0, t1):
        tx = x(when)
        out.append(
            f'<line x1="{tx:.1f}" y1="{top + plot_h}" x2="{tx:.1f}" y2="{top + plot_h + 4}" '
            f'stroke="#999"/><text x="{tx:.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
            f'class="tick">{when:%Y-%m-%d}</text>'
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
        lx = left + (i % 3) * (plot_w // 3)
        ly = top + plot_h + 40 + 18 * (i // 3)
        out.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{ly}" class="legend">{escape(source[:40])}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _time_ticks(t0: datetime, t1: datetime, count: int = 5) -> list[datetime]:
    step = (t1 - t0) / count
    return [t0 + step * k for k in range(count + 1)]
