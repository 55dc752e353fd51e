"""Start-up time of `ingest --help` (target: under 0.3 s), beside a bare interpreter start.

Run: .venv/bin/python bench/bench_startup.py [runs]
Heavy modules (httpx, trafilatura, feedparser, sqlite-utils) must be imported lazily inside
commands; this prints which of them `ingest --help` loaded, so a regression shows its cause.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

HEAVY = ("httpx", "trafilatura", "feedparser", "sqlite_utils", "lxml", "apscheduler", "numpy")


def timed(cmd: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    py = sys.executable
    bare = timed([py, "-c", "pass"], runs)
    helped = timed([py, "-m", "ingest", "--help"], runs)
    loaded = subprocess.run(
        [py, "-c", "import sys, ingest.cli; print(' '.join(sorted(m for m in sys.modules)))"],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    heavy = [m for m in HEAVY if m in loaded]
    print(f"runs: {runs}")
    print(f"python -c pass        median {statistics.median(bare):.3f} s")
    print(f"ingest --help         median {statistics.median(helped):.3f} s, "
          f"max {max(helped):.3f} s (target < 0.300 s)")  # fmt: skip
    print(f"ratio to bare python  {statistics.median(helped) / statistics.median(bare):.1f}x")
    print(f"heavy modules loaded by the CLI: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
