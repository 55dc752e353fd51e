"""Throughput of extract_figures in MB of article text per second on one core.

Usage: .venv/bin/python bench/bench_figures.py [--mb 2] [--repeat 3]
       .venv/bin/python bench/bench_figures.py --long-page [--repeat 3]

Articles are built from the hand-labelled texts in tests/data/figures/labelled.txt (our own
writing) and, when $INGEST_SHARED/seeds exists, from the seed articles (read at run time, never
copied). Each article is extracted separately, as the pipeline does. Alongside, the time of a bare
``re.finditer(r"\\d+")`` pass over the same text is printed as a floor for any regex extractor.

``--long-page``: the texts joined into one page of 40 KB, extracted as many times as make
2.5 MB, and into one page of 2.5 MB (that 40 KB page repeated); the per-MB rate of both must
be alike, or the cost of a figure grows with the length of the page it is in (superlinear).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest.figures import FigureSettings, extract_figures, load_figure_settings  # noqa: E402


def corpus() -> tuple[list[str], list[str]]:
    """(articles built from our labelled texts, seed articles): 2-14 KB each."""
    labelled = (REPO / "tests" / "data" / "figures" / "labelled.txt").read_text(encoding="utf-8")
    blocks = [b.partition("\n")[2].partition("\n---\n")[0] for b in labelled.split("\n### ")[1:]]
    articles = ["\n\n".join(blocks[i : i + 8]) for i in range(0, len(blocks), 8)]
    shared = Path(os.environ.get("INGEST_SHARED", REPO.parent / "shared")) / "seeds"
    seeds = [p.read_text(encoding="utf-8") for p in sorted(shared.glob("*.txt"))]
    return articles, seeds


def _page(base: list[str], size: int) -> str:
    parts: list[str] = []
    total = 0
    while total < size:
        for doc in base:
            parts.append(doc)
            total += len(doc.encode("utf-8")) + 2
            if total >= size:
                break
    return "\n\n".join(parts)


def long_page(base: list[str], settings: FigureSettings, repeat: int) -> None:
    """Per-MB rate of 40 KB pages against one 2.5 MB page of the same text."""
    small = _page(base, 40_000)
    count = round(2_500_000 / len(small.encode("utf-8")))
    large = "\n\n".join([small] * count)
    print("| page | pages | MB | figures | CPU s (best) | MB/s |")
    print("|---|---:|---:|---:|---:|---:|")
    rates = {}
    for name, page, times in (("40 KB", small, count), ("2.5 MB", large, 1)):
        mb = len(page.encode("utf-8")) * times / 1e6
        best = float("inf")
        figures = 0
        for _ in range(repeat):
            c0 = time.process_time()
            figures = sum(len(extract_figures(page, settings)) for _ in range(times))
            best = min(best, time.process_time() - c0)
        rates[name] = mb / best
        print(f"| {name} | {times} | {mb:.2f} | {figures} | {best:.3f} | {mb / best:.2f} |")
    print(f"2.5 MB page rate / 40 KB page rate: {rates['2.5 MB'] / rates['40 KB']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=2.0, help="MB of text per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    parser.add_argument(
        "--seeds-only", action="store_true", help="only the seed articles (real coverage)"
    )
    parser.add_argument(
        "--long-page", action="store_true", help="40 KB pages against one 2.5 MB page"
    )
    args = parser.parse_args()
    settings = load_figure_settings()
    own, seeds = corpus()
    if args.long_page:
        long_page(seeds if args.seeds_only else own + seeds, settings, args.repeat)
        return
    if args.seeds_only and not seeds:
        parser.error("no seed articles found; set INGEST_SHARED")
    base = seeds if args.seeds_only else own + seeds
    docs: list[str] = []
    size = 0
    while size < args.mb * 1e6:
        for doc in base:
            docs.append(doc)
            size += len(doc.encode("utf-8"))
    mb = size / 1e6
    digits = re.compile(r"\d+")
    best = best_cpu = best_floor = float("inf")
    figures = 0
    for _ in range(args.repeat):
        # CPU time of this (single-threaded) process is the one-core cost even when other
        # work shares the machine; wall time is printed beside it.
        t0, c0 = time.perf_counter(), time.process_time()
        figures = sum(len(extract_figures(doc, settings)) for doc in docs)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        c0 = time.process_time()
        for doc in docs:
            for _m in digits.finditer(doc):
                pass
        best_floor = min(best_floor, time.process_time() - c0)
    print(f"articles: {len(docs)} ({len(base)} distinct), text: {mb:.2f} MB, figures: {figures}")
    print(f"figure density: {figures / (mb * 1000):.1f} figures per KB")
    print(
        f"extract_figures: {best_cpu:.3f} CPU s -> {mb / best_cpu:.2f} MB/s on one core "
        f"(wall {best:.3f} s -> {mb / best:.2f} MB/s; target >= 1 MB/s)"
    )
    print(f"bare digit scan: {best_floor:.3f} CPU s -> {mb / best_floor:.1f} MB/s")
    print(f"ratio extract/bare scan: {best_cpu / best_floor:.1f}x")


if __name__ == "__main__":
    main()
