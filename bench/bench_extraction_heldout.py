"""Extraction quality held out: trafilatura's own evaluation set, which the rules never saw.

    .venv/bin/python bench/bench_extraction_heldout.py --data PATH [--only N]

``PATH`` is a directory holding ``evaldata.json`` and the ``eval/`` and ``cache/`` folders of
HTML files, as in the ``tests/`` folder of the public adbar/trafilatura repository (990 pages in
many languages, each annotated with up to six text chunks the extraction must contain and up to
six it must not). The data is not part of this repository; without ``--data`` (or
``$INGEST_TRAFILATURA_EVAL``) the benchmark says so and exits 0.

Scored as trafilatura's ``tests/eval_common.py`` scores it: per page, a "with" chunk found in the
whitespace-normalised output is a true positive, a "without" chunk found is a false positive;
counts are summed over all pages, then precision, recall and F1. A crash scores as an empty
output. Extractors, run page by page interleaved in one process (CPU time per page):

- ``product``: :func:`ingest.extract.article.extract_page`, the pipeline's path;
- ``product, fast only`` / ``product, full only``: the same rules after trafilatura's fast mode
  alone or its full cascade alone (``extract_body(mode=...)``), to see what each mode costs;
- ``bare``: ``trafilatura.extract(html)`` with its defaults (comments included);
- ``trafilatura fallback`` / ``trafilatura fast``: the two runners of trafilatura's own
  evaluation (``include_comments=False, include_tables=True``, ``fast`` False / True).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.extract.article import extract_page
from ingest.extract.page import extract_body

ENV = "INGEST_TRAFILATURA_EVAL"


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    seconds: float = 0.0
    errors: int = 0

    def add(self, item: dict[str, list[str]], output: str) -> None:
        text = _norm(output)
        tp = sum(1 for chunk in item["with"] if _norm(chunk) in text)
        fp = sum(1 for chunk in item["without"] if _norm(chunk) in text)
        self.tp += tp
        self.fp += fp
        self.fn += len(item["with"]) - tp
        self.tn += len(item["without"]) - fp

    def scores(self) -> tuple[float, float, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        denom = 2 * self.tp + self.fp + self.fn
        return precision, recall, (2 * self.tp / denom if denom else 0.0)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _find(root: Path, name: str) -> Path | None:
    for sub in ("cache", "eval"):
        path = root / sub / name
        if path.is_file():
            return path
    return None


def _product_mode(mode: str) -> Callable[[bytes, str], str]:
    def run(html: bytes, url: str) -> str:
        found = extract_body(html, url=url, mode=mode)
        return found.text if found else ""

    return run


def extractors() -> dict[str, Callable[[bytes, str], str]]:
    import trafilatura

    opts = {"include_comments": False, "include_tables": True, "include_formatting": False}

    def product(html: bytes, url: str) -> str:
        article = extract_page(html, url=url)
        return article.text if article else ""

    return {
        "product": product,
        "product, fast only": _product_mode("fast"),
        "product, full only": _product_mode("full"),
        "bare": lambda html, _url: trafilatura.extract(html) or "",
        "trafilatura fallback": lambda html, _url: (
            trafilatura.extract(html, fast=False, **opts) or ""  # type: ignore[arg-type]
        ),
        "trafilatura fast": lambda html, _url: (
            trafilatura.extract(html, fast=True, **opts) or ""  # type: ignore[arg-type]
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=os.environ.get(ENV))
    parser.add_argument("--only", type=int, default=0, help="first N pages only (a quick look)")
    args = parser.parse_args()
    root: Path | None = args.data
    if root is None or not (root / "evaldata.json").is_file():
        print(
            f"skipped: trafilatura's evaluation set not found (--data or ${ENV}: a directory "
            "with evaldata.json, eval/ and cache/ from adbar/trafilatura's tests/)",
            file=sys.stderr,
        )
        return 0
    evaldata: dict[str, dict[str, list[str]]] = json.loads(
        (root / "evaldata.json").read_text(encoding="utf-8")
    )
    pages = []
    for url in sorted(evaldata):
        path = _find(root, str(evaldata[url]["file"]))
        if path is None:
            print(f"missing file for {url}: {evaldata[url]['file']}", file=sys.stderr)
            return 2
        pages.append((url, path.read_bytes()))
    if args.only:
        pages = pages[: args.only]
    runs = extractors()
    totals = {name: Counts() for name in runs}
    lost: list[tuple[str, str]] = []
    for url, html in pages:
        outputs = {}
        for name, run in runs.items():
            t0 = time.process_time()
            try:
                output = run(html, url)
            except Exception:  # scored as trafilatura's evaluation scores a crash: a full miss
                output = ""
                totals[name].errors += 1
            totals[name].seconds += time.process_time() - t0
            totals[name].add(evaldata[url], output)
            outputs[name] = output
        for chunk in evaldata[url]["with"]:
            if _norm(chunk) in _norm(outputs["bare"]) and _norm(chunk) not in _norm(
                outputs["product"]
            ):
                lost.append((url, chunk))
    print(f"{len(pages)} pages from {root}\n")
    print("| extractor | F1 | precision | recall | CPU ms/page | errors |")
    print("|---|---|---|---|---|---|")
    for name, c in totals.items():
        p, r, f1 = c.scores()
        ms = c.seconds / len(pages) * 1000
        print(f"| {name} | {f1:.4f} | {p:.4f} | {r:.4f} | {ms:.1f} | {c.errors} |")
    print(f"\n'with' chunks bare finds and the product misses: {len(lost)}")
    for url, chunk in lost[:10]:
        print(f"  {url[:70]}  {chunk[:50]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
