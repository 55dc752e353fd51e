"""`ingest import` of many files: throughput per slice (steady = linear), and a re-import.

Run: .venv/bin/python bench/bench_import.py [files] [--no-second]   (default 10,000)

Generates on-topic .txt files of varied generated text, in folders of one slice each (0-1k,
1k-3k, 3k-10k, 10k-30k, ... up to ``files``), and imports the slices one after the other with
the real CLI into one fresh database: the database grows as in one import of all the files,
and each slice's rate (files/s, wall time of its ``ingest import`` process) says whether the
per-article cost grows with the corpus. A steady rate across slices is linear; a rate falling
with the slice is superlinear. Then (unless ``--no-second``) all folders are imported again in
one run, which must add nothing. Every generated article states the same two claims with a new
value each time ("revenue rose N%", "spend N billion yuan"), so a claim's history grows with
the corpus, the worst case for anything that reads a claim's values.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VOCAB = (
    "cloud revenue margin cluster inference training centre region customer contract model "
    "weights developer chip server capacity quarter analyst investor growth pricing demand "
    "supply export market platform agent assistant token subscription enterprise retail "
    "logistics payment video search advertising overseas domestic regulator partner startup "
    "benchmark latency storage network rack power cooling procurement shipment forecast"
).split()

BOUNDS = (1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000)


def write_file(folder: Path, i: int) -> None:
    rng = random.Random(i)
    sentences = [
        " ".join(rng.choice(VOCAB) for _ in range(rng.randint(12, 20))).capitalize() + "."
        for _ in range(rng.randint(8, 16))
    ]
    body = " ".join(sentences)
    text = (
        f"Alibaba Cloud briefing {i}\n\nAlibaba Cloud said revenue rose {i % 90 + 1}% "
        f"and it would spend {i % 500 + 10} billion yuan. {body}"
    )
    (folder / f"doc{i:07d}.txt").write_text(text, encoding="utf-8")


def slices(count: int) -> list[tuple[int, int]]:
    """[start, end) ranges: 0-1k, 1k-3k, 3k-10k, ... the last one ending at ``count``."""
    out, start = [], 0
    for bound in BOUNDS:
        end = min(bound, count)
        if end > start:
            out.append((start, end))
            start = end
    if count > start:
        out.append((start, count))
    return out


def run(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = (done.stdout.strip() or done.stderr.strip() or "(no output)").splitlines()
    return time.perf_counter() - t0, lines[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", type=int, nargs="?", default=10_000)
    parser.add_argument("--no-second", action="store_true", help="skip the re-import")
    args = parser.parse_args()
    count = args.files
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "import.db"
        base = [sys.executable, "-m", "ingest", "import"]
        folders: list[Path] = []
        total = 0.0
        print("| slice | files | wall s | files/s | rate / first slice's |")
        print("|---|---:|---:|---:|---:|")
        first_rate = 0.0
        for start, end in slices(count):
            folder = Path(tmp) / f"docs{start:07d}"
            folder.mkdir()
            for i in range(start, end):
                write_file(folder, i)
            folders.append(folder)
            seconds, summary = run([*base, str(folder), "--db", str(db), "--quiet"])
            total += seconds
            rate = (end - start) / seconds
            first_rate = first_rate or rate
            print(
                f"| {start:,}-{end:,} | {end - start:,} | {seconds:.1f} | {rate:.0f} "
                f"| {rate / first_rate:.2f} |  {summary}",
                flush=True,
            )
        print(f"first import of {count} files: {total:.1f} s ({count / total:.0f} files/s)")
        if not args.no_second:
            seconds, summary = run([*base, *map(str, folders), "--db", str(db), "--quiet"])
            print(f"second import: {seconds:.1f} s ({count / seconds:.0f} files/s): {summary}")
        print(f"database size: {db.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
