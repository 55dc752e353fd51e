"""Benchmark the near-duplicate indexes: build, insert rate, lookup latency, size, memory.

    .venv/bin/python bench/bench_dedup.py --size 10000 --size 100000 [--size 1000000]

Each size runs in its own child process (so peak RSS is that size's own) against a fresh
SQLite file in WAL mode, like the store. The corpus is generated: news-like texts drawn from a
Zipf vocabulary with a bank of stock phrases every outlet repeats ("the company said in a
statement"), so some shingles and band keys are common, as in real news. Lookups: half are
near-duplicates of stored articles (10% of words replaced, or cut to 60%), half are new texts.
Each article also has 4-16 figure keys (issue 12's figure-key index, Zipf-popular figures), and
a lookup asks both indexes, as the pipeline does. Prints one Markdown table row per size.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.dedup import DedupSettings, band_keys, signature
from ingest.dedup.align import figure_keys
from ingest.store import neardup, stories

VOCAB_SIZE = 30_000
_rng = random.Random(7)
VOCAB = [
    "".join(_rng.choices("abcdefghijklmnopqrstuvwxyz", k=_rng.randint(2, 10)))
    for _ in range(VOCAB_SIZE)
]
CUM_WEIGHTS: list[float] = []
_total = 0.0
for _rank in range(1, VOCAB_SIZE + 1):
    _total += 1.0 / _rank**1.05
    CUM_WEIGHTS.append(_total)
PHRASES = [" ".join(_rng.choices(VOCAB[:2000], k=_rng.randint(5, 12))) for _ in range(300)]


def article(i: int) -> str:
    """Deterministic generated article number ``i`` (150-600 words)."""
    rng = random.Random(i * 7919 + 13)
    words: list[str] = []
    target = rng.randint(150, 600)
    while len(words) < target:
        if rng.random() < 0.08:
            words += PHRASES[int(rng.paretovariate(1.2)) % len(PHRASES)].split()
        else:
            words += rng.choices(VOCAB, cum_weights=CUM_WEIGHTS, k=12)
    return " ".join(words)


FIGURE_POOL = 200_000


def figures(i: int) -> list[int]:
    """Figure keys of article ``i`` (issue 12's second index): 4-16 figures drawn with Zipf
    popularity from a pool of 200,000, so some figures ("10 %") are in very many articles."""
    rng = random.Random(i * 104729 + 7)
    count = rng.randint(4, 16)
    picked = {int(rng.paretovariate(0.9)) % FIGURE_POOL for _ in range(count)}
    return figure_keys([f"{n} billion" for n in picked])


def near_copy(i: int, rng: random.Random) -> str:
    """A near-duplicate of article ``i``: 10% of words replaced, or cut to 60%."""
    words = article(i).split()
    if rng.random() < 0.5:
        return " ".join(words[: int(len(words) * 0.6)])
    for _ in range(len(words) // 10):
        words[rng.randrange(len(words))] = rng.choice(VOCAB)
    return " ".join(words)


def _keys_for(span: tuple[int, int]) -> list[tuple[int, list[int]]]:
    """Band keys of articles ``span[0]`` .. ``span[1] - 1`` (article ids are 1-based)."""
    settings = DedupSettings()
    # Band keys, then -1 (never a key: keys are >= 0), then the figure keys.
    return [(i + 1, [*band_keys(signature(article(i), settings)), -1, *figures(i)])
            for i in range(*span)]  # fmt: skip


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def run(size: int, queries: int, workdir: Path) -> dict[str, float]:
    """Build an index of ``size`` articles and measure it."""
    settings = DedupSettings()
    db = workdir / f"neardup-{size}.db"
    conn = _connect(db)
    neardup.create_neardup_tables(conn)
    stories.create_story_tables(conn)
    neardup.check_index_params(conn, settings)

    # Generating and sketching the corpus is spread over all cores (it is the bench's cost,
    # not the index's); the signature rate per core is measured on its own below.
    insert_s = 0.0
    batch = 1000
    spans = [(a, min(size, a + batch)) for a in range(0, size, batch)]
    window = 4  # chunks in flight: results must not pile up in this process's memory
    with multiprocessing.Pool() as pool:
        pending = [pool.apply_async(_keys_for, (span,)) for span in spans[:window]]
        for n in range(len(spans)):
            keyed = pending.pop(0).get()
            if n + window < len(spans):
                pending.append(pool.apply_async(_keys_for, (spans[n + window],)))
            t1 = time.perf_counter()
            conn.execute("BEGIN")
            for article_id, keys in keyed:
                cut = keys.index(-1)
                neardup.add_to_index(conn, article_id, keys[:cut])
                stories.add_story_keys(conn, article_id, keys[cut + 1 :])
            conn.execute("COMMIT")
            insert_s += time.perf_counter() - t1
    texts = [article(size + 20_000_000 + n) for n in range(2000)]
    t0 = time.perf_counter()
    for text in texts:
        signature(text, settings)
    sig_s = (time.perf_counter() - t0) / len(texts) * size
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()

    # A fresh connection, as the daemon would have; the OS page cache stays warm.
    conn = _connect(db)
    rng = random.Random(size)
    sql_ms: list[float] = []
    total_ms: list[float] = []
    found = near = 0
    for q in range(queries):
        if q % 2 == 0:
            target = rng.randrange(size)
            text = near_copy(target, rng)
        else:
            target = -1
            text = article(size + 10_000_000 + q)
        t0 = time.perf_counter()
        keys = band_keys(signature(text, settings))
        t1 = time.perf_counter()
        ids = neardup.candidates(
            conn, keys, settings.candidate_limit, per_key_cap=settings.per_key_cap
        )
        # Both indexes, as the pipeline asks them: the copy's figures are the original's.
        stories.story_candidates(
            conn, figures(target if target >= 0 else size + 10_000_000 + q),
            settings.candidate_limit,
        )  # fmt: skip
        t2 = time.perf_counter()
        sql_ms.append((t2 - t1) * 1000)
        total_ms.append((t2 - t0) * 1000)
        if target >= 0:
            near += 1
            found += (target + 1) in ids

    # One transaction per article, as the pipeline writes: the daemon's insert rate.
    single = 1000
    t0 = time.perf_counter()
    for n in range(single):
        keys = band_keys(signature(article(size + n), settings))
        conn.execute("BEGIN")
        neardup.add_to_index(conn, size + n + 1, keys)
        stories.add_story_keys(conn, size + n + 1, figures(size + n))
        conn.execute("COMMIT")
    single_s = time.perf_counter() - t0
    rows = conn.execute("SELECT COUNT(*) FROM neardup_band").fetchone()[0]
    rows += conn.execute("SELECT COUNT(*) FROM story_key").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    result = {
        "size": size,
        "rows": rows,
        "signature_per_s": size / sig_s,  # one core, text already generated
        "bulk_insert_per_s": size / insert_s,
        "build_per_s": size / (sig_s + insert_s),  # one core: signature + bulk insert
        "single_txn_per_s": single / single_s,
        "lookup_sql_p50_ms": _percentile(sql_ms, 0.50),
        "lookup_sql_p99_ms": _percentile(sql_ms, 0.99),
        "lookup_total_p50_ms": _percentile(total_ms, 0.50),
        "lookup_total_p99_ms": _percentile(total_ms, 0.99),
        "near_dup_recall": found / near if near else 0.0,
        "db_mb": db.stat().st_size / 1e6,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    db.unlink()
    return result


HEADER = (
    "| articles | index rows | signature/s (1 core) | bulk insert/s | 1-txn insert/s "
    "| lookup SQL p50 / p99 ms | lookup incl. signature p50 / p99 ms | near-dup recall "
    "| DB MB | peak RSS MB |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def row(r: dict[str, float]) -> str:
    """One Markdown table row."""
    return (
        f"| {int(r['size']):,} | {int(r['rows']):,} | {r['signature_per_s']:,.0f} "
        f"| {r['bulk_insert_per_s']:,.0f} | {r['single_txn_per_s']:,.0f} "
        f"| {r['lookup_sql_p50_ms']:.2f} / {r['lookup_sql_p99_ms']:.2f} "
        f"| {r['lookup_total_p50_ms']:.2f} / {r['lookup_total_p99_ms']:.2f} "
        f"| {r['near_dup_recall']:.3f} | {r['db_mb']:,.0f} | {r['peak_rss_mb']:,.0f} |"
    )


def main() -> None:
    """Run each size in a child process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, action="append", help="corpus size (repeatable)")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, default=None, help="where the DB files go")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.size or [10_000, 100_000]
    workdir = args.workdir or Path(tempfile.gettempdir())
    if args.child:
        print(json.dumps(run(sizes[0], args.queries, workdir)))
        return
    print(f"machine: {os.cpu_count()} cores, sqlite {sqlite3.sqlite_version}, {DedupSettings()}")
    print(HEADER, flush=True)
    for size in sizes:
        cmd = [sys.executable, __file__, "--child", "--size", str(size)]
        cmd += ["--queries", str(args.queries), "--workdir", str(workdir)]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        print(
            row(json.loads(out.splitlines()[-1])),
            f"<!-- {time.perf_counter() - t0:.0f} s -->",
            flush=True,
        )


if __name__ == "__main__":
    main()
