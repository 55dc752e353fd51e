"""`ingest import` of many files (issue 3): it finishes, and a second import adds nothing.

Run: .venv/bin/python bench/bench_import.py [files]   (default 10,000)
Generates on-topic .txt files of varied generated text, imports them with the real CLI into a
fresh database, then imports them again and reports both wall times and the counts.
"""

from __future__ import annotations

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


def write_files(folder: Path, count: int) -> None:
    for i in range(count):
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
        (folder / f"doc{i:05d}.txt").write_text(text, encoding="utf-8")


def run(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0, done.stdout.strip().splitlines()[-1]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        write_files(folder, count)
        db = Path(tmp) / "import.db"
        cmd = [sys.executable, "-m", "ingest", "import", str(folder), "--db", str(db), "--quiet"]
        first, summary1 = run(cmd)
        rate = count / first
        print(f"first import of {count} files: {first:.1f} s ({rate:.0f} files/s): {summary1}")
        second, summary2 = run(cmd)
        print(f"second import: {second:.1f} s ({count / second:.0f} files/s): {summary2}")
        print(f"database size: {db.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
