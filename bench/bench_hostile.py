"""Bounds that held against hostile input: time and peak memory per case, each in a fresh process.

    .venv/bin/python bench/bench_hostile.py            # all cases, a Markdown table
    .venv/bin/python bench/bench_hostile.py CASE       # one case, JSON (used by the above)

Fetch cases use the default ``[http]`` caps (10 MiB wire, 40 MiB decoded, 60 s total; the
trickle case sets total_timeout = 2 s) with 127.0.0.1 allowed, against a loopback server in
the same process. Peak RSS is the child's ``ru_maxrss`` (the interpreter with ingest imported
is the floor, shown as the ``baseline`` case); traced is tracemalloc's peak during the case.
"""

from __future__ import annotations

import asyncio
import json
import resource
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.errors import IngestError
from ingest.fetch.client import Fetcher
from ingest.fetch.guard import peer_check_for
from ingest.fetch.settings import HttpSettings
from ingest.loopback_server import CannedResponse, LoopbackServer


def _fetch(server_setup: Callable[[LoopbackServer], str], **http: float) -> str:
    settings = HttpSettings(allow_networks=("127.0.0.1/32",), per_host_min_delay=0, **http)  # type: ignore[arg-type]
    with LoopbackServer() as server:
        url = server_setup(server)

        async def go() -> str:
            fetcher = Fetcher(settings, peer_check=peer_check_for(settings))
            try:
                response = await fetcher.fetch(url)
                return f"accepted {len(response.body):,} bytes"
            except IngestError as exc:
                return f"refused: {exc.kind.value if hasattr(exc, 'kind') else exc}"  # type: ignore[attr-defined]
            finally:
                await fetcher.aclose()

        return asyncio.run(go())


def _bomb(coding: str, size: int) -> Callable[[LoopbackServer], str]:
    """Compress ``size`` zero bytes 1 MB at a time, so building the bomb costs no memory."""
    import zlib

    import brotli  # type: ignore[import-untyped]

    chunk = bytes(1 << 20)
    parts: list[bytes] = []
    if coding == "br":
        comp = brotli.Compressor(quality=5)
        parts.extend(comp.process(chunk) for _ in range(size >> 20))
        parts.append(comp.finish())
    else:
        z = zlib.compressobj(6, zlib.DEFLATED, 31 if coding == "gzip" else 15)
        parts.extend(z.compress(chunk) for _ in range(size >> 20))
        parts.append(z.flush())
    body = b"".join(parts)

    def setup(server: LoopbackServer) -> str:
        server.route("/b", CannedResponse(body=body, precompressed=coding))
        return server.url("/b")

    return setup


def _endless(server: LoopbackServer) -> str:
    sock = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = sock.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
            try:
                while True:
                    conn.sendall(b"a" * 65536)
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}/"


def _trickle(server: LoopbackServer) -> str:
    server.route("/t", CannedResponse(body=b"x" * 10_000, trickle=0.1))
    return server.url("/t")


def _redirects(server: LoopbackServer) -> str:
    for n in range(50):
        server.redirect(f"/r/{n}", f"/r/{n + 1}")
    return server.url("/r/0")


def _feed(entries: int, *, cut: bool = True) -> Callable[[], str]:
    """The parse of an ``entries``-entry feed, its body built before the clock starts."""
    import ingest.feeds
    from ingest.feeds import parse_feed

    if not cut:  # the parse as it was before the pre-cut, for the side-by-side ratio
        ingest.feeds.cut_entries = lambda body, limit: (body, False)  # type: ignore[attr-defined]

    items = "".join(f"<item><title>t{i}</title><guid>g{i}</guid></item>" for i in range(entries))
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    ).encode()

    def parse() -> str:
        feed = parse_feed(
            body, url="http://x/feed", content_type="application/rss+xml", max_entries=200
        )
        kept = f"kept {len(feed.entries)}, truncated={feed.truncated}"
        return f"{len(body) / 1e6:.1f} MB body: {kept}"

    return parse


def _laughs() -> str:
    from ingest.feeds import parse_feed

    ents = '<!ENTITY a "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{ents}]><rss version="2.0"><channel><title>T'
        "</title><item><title>&j;</title><guid>1</guid></item></channel></rss>"
    ).encode()
    feed = parse_feed(body, url="http://x/feed", content_type="application/rss+xml")
    longest = max((len(e.title or "") for e in feed.entries), default=0)
    return f"{len(feed.entries)} entry, title {longest} chars (10^10 if expanded)"


def _nested(depth: int) -> str:
    from ingest.extract import extract_page

    text = "Alibaba Cloud said Qwen models serve 90,000 customers. " * 20
    html = ("<div>" * depth + f"<p>{text}</p>" + "</div>" * depth).encode()
    try:
        page = extract_page(html, url="http://x/a")
    except IngestError as exc:
        return f"refused: {exc}"
    return f"{len(html) / 1e6:.1f} MB page: extracted {len(page.text) if page else 0} chars"


def _prepared(coding: str) -> Callable[[], str]:
    setup = _bomb(coding, 1 << 30)  # built before the clock starts
    return lambda: _fetch(setup)


CASES: dict[str, tuple[str, Callable[[], str]]] = {
    "baseline": ("nothing (interpreter + ingest imported)", lambda: "-"),
    "gzip-bomb": ("gzip bomb, 1 GiB of zeros (1 MB sent)", lambda: "gzip"),
    "br-bomb": ("brotli bomb, 1 GiB of zeros (~1 kB sent)", lambda: "br"),
    "deflate-bomb": ("deflate bomb, 1 GiB of zeros (1 MB sent)", lambda: "deflate"),
    "endless": ("endless body, no Content-Length", lambda: _fetch(lambda s: _endless(s))),
    "trickle": ("1 byte / 100 ms, total_timeout 2 s", lambda: _fetch(_trickle, total_timeout=2)),
    "redirects": ("redirect chain /r/0 -> /r/1 -> ... (50)", lambda: _fetch(_redirects)),
    "feed-100k": ("feed with 100,000 entries, cap 200", lambda: _feed(100_000)()),
    "feed-100k-uncut": (
        "feed with 100,000 entries, cap 200, pre-cut disabled",
        lambda: _feed(100_000, cut=False)(),
    ),
    "feed-200k": ("feed with 200,000 entries (~10 MB, the wire cap)", lambda: _feed(200_000)()),
    "laughs": ("billion laughs (10 levels)", _laughs),
    "nested-200k": ("HTML nested 200,000 <div>s deep", lambda: _nested(200_000)),
}


FEEDS: dict[str, Callable[[], Callable[[], str]]] = {
    "feed-100k": lambda: _feed(100_000),
    "feed-100k-uncut": lambda: _feed(100_000, cut=False),
    "feed-200k": lambda: _feed(200_000),
}


def run_case(name: str) -> dict[str, object]:
    label, func = CASES[name]
    if name.endswith("-bomb"):
        func = _prepared(func())
    if name.startswith("feed-"):  # the body is built before the clock starts
        func = FEEDS[name]()
    # tracemalloc slows feedparser fivefold, so it is off where a whole huge feed is parsed.
    traced = not name.endswith("-uncut")
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    outcome = func()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else float("nan")
    tracemalloc.stop()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"case": name, "label": label, "outcome": outcome, "seconds": seconds,
            "traced_mb": peak / 1e6, "rss_mb": rss_kb / 1024}  # fmt: skip


def main() -> None:
    if len(sys.argv) > 1:
        print(json.dumps(run_case(sys.argv[1])))
        return
    print("| input | outcome | time | peak traced | peak RSS |")
    print("|---|---|---|---|---|")
    for name in CASES:
        done = subprocess.run(
            [sys.executable, __file__, name], capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            print(f"| {name} | crashed: {done.stderr.strip().splitlines()[-1:]} | | | |")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"| {r['label']} | {r['outcome']} | {r['seconds']:.2f} s | "
            f"{r['traced_mb']:.1f} MB | {r['rss_mb']:.0f} MB |"
        )


if __name__ == "__main__":
    main()
