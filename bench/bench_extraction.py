"""Extraction quality on the Zyte benchmark: the product's path beside bare trafilatura.

    .venv/bin/python bench/bench_extraction.py [--resamples 1000]

Scores, in one run and on the same 181 pages, as the benchmark's README describes (4-token
shingles, macro precision/recall, F1 of the averages, bootstrap spread over 1,000 resamples):

- ``product``: :func:`ingest.extract.article.extract_page`, the path the pipeline uses;
- ``product, fast`` / ``product, full``: the same rules after trafilatura's fast mode alone or
  its full cascade alone (``extract_body(mode=...)``), whatever the configured default;
- ``bare``: ``trafilatura.extract(html)`` with its defaults (2.3.1 here);
- ``fast, no rules``: ``trafilatura.bare_extraction(fast=True)``, the settings change alone,
  without the product's boilerplate rules;
- ``published 2.0.0``: trafilatura 2.0.0's published output shipped with the data.

Also prints each extractor's CPU time per page (same process, same pages, interleaved page by
page so machine noise hits both alike), the product's F1 on the two halves of the pages (ids
split by their first hex digit) to show the rules do not ride on a few pages, and the pages
where the product loses most against bare trafilatura. Needs the data at
``$INGEST_SHARED/bench/zyte-article-extraction`` (default ``../shared``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.extract.article import extract_page
from ingest.extract.page import extract_body
from ingest.extract.scoring import PageScore, Score, score_all, summarise
from ingest.extract.zyte import load_pages, published_output, zyte_dir


def _row(name: str, score: Score, ms: float | None) -> str:
    timing = f"{ms:6.1f}" if ms is not None else "     -"
    return (
        f"| {name:<16} | {score.f1:.4f} ± {score.f1_std:.4f} | {score.precision:.4f} "
        f"± {score.precision_std:.4f} | {score.recall:.4f} ± {score.recall_std:.4f} "
        f"| {score.accuracy:.3f} | {timing} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    if not (zyte_dir() / "ground-truth.json").exists():
        print(f"Zyte benchmark data not found at {zyte_dir()}; set INGEST_SHARED", file=sys.stderr)
        return 2
    import trafilatura

    pages = load_pages()
    truths = {p.id: p.truth for p in pages}
    outputs: dict[str, dict[str, str]] = {
        "product": {}, "bare": {}, "fast, no rules": {}, "product, fast": {}, "product, full": {}
    }  # fmt: skip
    seconds = dict.fromkeys(outputs, 0.0)
    for page in pages:
        t0 = time.process_time()
        article = extract_page(page.html, url=page.url)
        t1 = time.process_time()
        bare = trafilatura.extract(page.html)
        t2 = time.process_time()
        fast = trafilatura.bare_extraction(page.html, fast=True)
        t3 = time.process_time()
        modes = []
        for m in ("fast", "full"):
            t4 = time.process_time()
            modes.append(extract_body(page.html, url=page.url, mode=m))
            seconds[f"product, {m}"] += time.process_time() - t4
        outputs["product"][page.id] = article.text if article else ""
        outputs["bare"][page.id] = bare or ""
        outputs["fast, no rules"][page.id] = getattr(fast, "text", None) or ""
        outputs["product, fast"][page.id] = modes[0].text if modes[0] else ""
        outputs["product, full"][page.id] = modes[1].text if modes[1] else ""
        for name, spent in zip(outputs, (t1 - t0, t2 - t1, t3 - t2), strict=False):
            seconds[name] += spent
    outputs["published 2.0.0"] = published_output()

    print(f"{len(pages)} pages from {zyte_dir()}, {args.resamples} bootstrap resamples\n")
    print("| extractor        | F1 ± sd         | precision ± sd  | recall ± sd     | exact "
          "| ms/page |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    per_page: dict[str, dict[str, PageScore]] = {}
    scores: dict[str, Score] = {}
    for name, predicted in outputs.items():
        scores[name], per_page[name] = score_all(truths, predicted, resamples=args.resamples)
        ms = seconds[name] / len(pages) * 1000 if name in seconds else None
        print(_row(name, scores[name], ms))
    ratio = seconds["product"] / seconds["bare"]
    print(f"\nproduct time / bare time: {ratio:.2f}x")

    print("\nSplit halves (product vs bare F1):")
    for label, keep in (("ids 0-7", "01234567"), ("ids 8-f", "89abcdef")):
        ids = [p.id for p in pages if p.id[0] in keep]
        halves = [
            summarise([per_page[n][i] for i in ids], resamples=0) for n in ("product", "bare")
        ]
        print(f"  {label} ({len(ids)} pages): product {halves[0].f1:.4f}, bare {halves[1].f1:.4f}")

    def total(s: PageScore) -> float:
        return s.precision + s.recall

    losses = sorted(
        (total(per_page["product"][p.id]) - total(per_page["bare"][p.id]), p.id, p.url)
        for p in pages
    )
    worse = [row for row in losses if row[0] < -1e-9]
    better = [row for row in losses if row[0] > 1e-9]
    print(f"\nPages better than bare: {len(better)}; worse: {len(worse)}. Largest losses:")
    for delta, key, url in worse[:8]:
        print(f"  {delta:+.3f} (P+R)  {key[:8]}  {url[:80]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
