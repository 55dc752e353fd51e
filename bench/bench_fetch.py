"""Fetch stage benchmark: our Fetcher against plain httpx, side by side, on a loopback server.

    .venv/bin/python bench/bench_fetch.py            # full run (~30 s)
    .venv/bin/python bench/bench_fetch.py --quick    # smaller numbers, for a smoke test

Three measurements:
1. throughput on a realistic gzip-compressed article page (what our streamed, capped decoding and
   per-host limiter cost compared with httpx decoding by itself);
2. a gzip bomb (100 MB of zeros in ~100 kB): peak Python memory and time, httpx vs our cap;
3. a server trickling one byte every 100 ms: when each client gives up.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.errors import FetchError
from ingest.fetch import Fetcher, HttpSettings
from ingest_demo.loopback import CannedResponse, LoopbackServer

WORDS = (
    "Alibaba Cloud revenue quarter AI model Qwen Tongyi growth percent billion yuan customers "
    "inference training capex data centre chips T-Head Quark users enterprise analysts said rose "
    "fell year compared market share international demand pricing the a of in to and for with"
).split()


def page(size: int) -> bytes:
    """An article-like HTML page of about ``size`` bytes, varied so it compresses realistically."""
    rng = random.Random(1)
    parts = [b"<html><head><title>Quarterly results</title></head><body><nav>Home</nav>"]
    total = 0
    while total < size:
        words = " ".join(rng.choice(WORDS) for _ in range(40))
        figure = f"{rng.randint(1, 999)}.{rng.randint(0, 9)} billion"
        parts.append(f"<p>{words} {figure}.</p>\n".encode())
        total += len(parts[-1])
    parts.append(b"<footer>Cookie settings</footer></body></html>")
    return b"".join(parts)


async def run_httpx(url: str, n: int, concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(trust_env=False) as client:

        async def one() -> None:
            async with gate:
                response = await client.get(url)
                response.raise_for_status()
                assert response.content

        await asyncio.gather(*(one() for _ in range(n)))


async def run_fetcher(url: str, n: int, concurrency: int) -> None:
    settings = HttpSettings(per_host_concurrency=concurrency, per_host_min_delay=0)
    fetcher = Fetcher(settings)
    try:
        results = await asyncio.gather(*(fetcher.fetch(url) for _ in range(n)))
        assert all(r.body for r in results)
    finally:
        await fetcher.aclose()


def best_rate(
    run: Callable[[], Coroutine[Any, Any, None]], n: int, rounds: int
) -> tuple[float, float]:
    """Requests per second: (best, median) over ``rounds`` runs."""
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        asyncio.run(run())
        rates.append(n / (time.perf_counter() - start))
    return max(rates), statistics.median(rates)


def throughput(base: str, size: int, wire: int, n: int, rounds: int) -> None:
    url = base + "/article"
    print(f"\n1. throughput: {n} GETs of a {size // 1000} kB page ({wire // 1000} kB gzip),")
    print("   8 in flight, best / median of", rounds, "rounds")
    h_best, h_med = best_rate(lambda: run_httpx(url, n, 8), n, rounds)
    f_best, f_med = best_rate(lambda: run_fetcher(url, n, 8), n, rounds)
    print(f"   httpx client.get (auto-decode) : {h_best:7.0f} req/s  (median {h_med:.0f})")
    print(f"   ingest Fetcher.fetch           : {f_best:7.0f} req/s  (median {f_med:.0f})")
    ratios = f"{f_best / h_best:.2f} (best), {f_med / h_med:.2f} (median)"
    print(f"   ratio Fetcher / httpx          : {ratios}")


def measure(coro: Callable[[], Coroutine[Any, Any, str]]) -> tuple[str, float, int]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        outcome = asyncio.run(coro())
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return outcome, elapsed, peak


def bomb(base: str, decoded: int, wire: int) -> None:
    url = base + "/bomb"
    print(f"\n2. gzip bomb: {decoded // 1_000_000} MB of zeros sent as {wire // 1000} kB")

    async def with_httpx() -> str:
        async with httpx.AsyncClient(trust_env=False) as client:
            response = await client.get(url)
            return f"accepted {len(response.content) // 1_000_000} MB"

    async def with_fetcher() -> str:
        fetcher = Fetcher(HttpSettings(per_host_min_delay=0, max_decoded_bytes=10_000_000))
        try:
            await fetcher.fetch(url)
            return "accepted (cap failed!)"
        except FetchError as exc:
            return f"refused: {exc.kind.value}"
        finally:
            await fetcher.aclose()

    rows = [("httpx client.get", with_httpx), ("ingest Fetcher (10 MB cap)", with_fetcher)]
    peaks = []
    for name, fn in rows:
        outcome, elapsed, peak = measure(fn)
        peaks.append(peak)
        print(f"   {name:28}: {outcome:22} {elapsed:6.2f} s, peak {peak / 1e6:7.1f} MB")
    print(f"   peak memory ratio httpx / Fetcher: {peaks[0] / peaks[1]:.1f}x")


def trickle(base: str, patience: float) -> None:
    url = base + "/drip"
    print("\n3. trickle: 10 kB at one byte per 100 ms (would take ~17 min)")

    async def with_httpx() -> str:
        async with httpx.AsyncClient(trust_env=False, timeout=httpx.Timeout(5.0)) as client:
            try:
                await asyncio.wait_for(client.get(url), patience)
                return "completed"
            except TimeoutError:
                return f"still reading after {patience:.0f} s (read timeout never fires)"

    async def with_fetcher() -> str:
        fetcher = Fetcher(HttpSettings(per_host_min_delay=0, read_timeout=5, total_timeout=2))
        try:
            await fetcher.fetch(url)
            return "completed"
        except FetchError as exc:
            return f"cut: {exc.kind.value} (total deadline 2 s)"
        finally:
            await fetcher.aclose()

    for name, fn in (("httpx, read timeout 5 s", with_httpx), ("ingest Fetcher", with_fetcher)):
        start = time.perf_counter()
        outcome = asyncio.run(fn())
        print(f"   {name:24}: {outcome}, after {time.perf_counter() - start:.1f} s")


def serve(conn: Any, decoded: int) -> None:
    """Child process: serve the benchmark routes until told to stop (keeps server CPU apart)."""
    body = page(150_000)
    with LoopbackServer() as server:
        packed = gzip.compress(body, mtime=0)  # once, not per request: measure the clients
        server.route("/article", CannedResponse(body=packed, precompressed="gzip"))
        wire = gzip.compress(bytes(decoded), compresslevel=9, mtime=0)
        server.route("/bomb", CannedResponse(body=wire, precompressed="gzip"))
        server.route("/drip", CannedResponse(body=b"x" * 10_000, trickle=0.1))
        conn.send((server.base_url, len(body), len(packed), len(wire)))
        conn.recv()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args()
    n, rounds, decoded, patience = (
        (100, 2, 20_000_000, 3.0) if args.quick else (600, 5, 100_000_000, 10.0)
    )
    print(f"python {platform.python_version()}, httpx {httpx.__version__}, {platform.machine()}")
    print(f"{multiprocessing.cpu_count()} CPUs; the server runs in its own process")
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=serve, args=(child, decoded), daemon=True)
    proc.start()
    base, size, wire, bomb_wire = parent.recv()
    try:
        throughput(base, size, wire, n, rounds)
        bomb(base, decoded, bomb_wire)
        trickle(base, patience)
    finally:
        parent.send("stop")
        proc.join()


if __name__ == "__main__":
    main()
