"""Bounds that held against hostile input: time and peak memory per case, each in a fresh process.

    .venv/bin/python bench/bench_hostile.py            # all cases, a Markdown table
    .venv/bin/python bench/bench_hostile.py CASE       # one case, JSON (used by the above)
    .venv/bin/python bench/bench_hostile.py daemon [SRC]  # `ingest run` beside hostile peers

The ``daemon`` table (issue 11) runs the real daemon (from the source tree SRC, default this
one, so another checkout can be measured side by side) for WINDOW seconds with a normal feed
due every second on one host and a hostile peer on another: a trickling alert receiver, a
receiver answering an endless body, a feed whose 12 pages each take 10 s. It reports the
normal feed's polls per minute, the time from SIGTERM to exit (killed after 60 s) and the
daemon's peak RSS.

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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.errors import IngestError
from ingest.fetch.client import Fetcher
from ingest.fetch.guard import peer_check_for
from ingest.fetch.settings import HttpSettings
from ingest_demo.loopback import CannedResponse, LoopbackServer


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
    import ingest.feeds.parse
    from ingest.feeds.parse import parse_feed

    if not cut:  # the parse as it was before the pre-cut, for the side-by-side ratio
        ingest.feeds.parse.cut_entries = lambda body, limit: (body, False)  # type: ignore[attr-defined]

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
    from ingest.feeds.parse import parse_feed

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
    from ingest.extract.article import extract_page

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


WINDOW = 20.0


def _daemon_case(name: str, src: str) -> dict[str, object]:
    """One daemon run beside one hostile peer; the daemon is this process's only child."""
    import os
    import signal
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from peers import FloodPeer, trickling_http  # the test suite's hostile peers

    from ingest.alerts.enqueue import Alerter
    from ingest.alerts.settings import alert_settings
    from ingest.alerts.synthetic import enqueue_synthetic
    from ingest.config import load_config
    from ingest.daemon import open_store
    from ingest.models import utcnow

    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>N</title></channel></rss>'
    tmp = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    db = tmp / "d.db"
    with LoopbackServer() as site:
        site.route("/normal.xml", CannedResponse(body=empty, content_type="application/rss+xml"))
        # The normal feed on "localhost", the hostile one on 127.0.0.1: two hosts, as in life
        # (the per-host limiter rightly makes one host's pages wait for each other).
        normal = site.url("/normal.xml").replace("127.0.0.1", "localhost")
        peer: Any = None
        extra = ""
        if name == "trickle-receiver":
            peer = trickling_http()
        elif name == "huge-answer":
            peer = FloodPeer()
        if peer is not None:
            peer.__enter__()
            extra = f'[[alerts.webhook]]\nname = "hook"\nurl = "{peer.url()}"\ntimeout = 60\n'
        if name == "slow-feed":
            page = b"<html><body><article><p>" + b"Alibaba Cloud grew. " * 50 + b"</p></article>"
            items = ""
            for n in range(12):
                site.route(f"/slow/{n}", CannedResponse(body=page, content_type="text/html",
                                                         delay=10))  # fmt: skip
                link = site.url(f"/slow/{n}")
                items += f"<item><title>S{n}</title><link>{link}</link><guid>{n}</guid></item>"
            body = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'
            site.route("/slow.xml", CannedResponse(body=body.encode(),
                                                   content_type="application/rss+xml"))  # fmt: skip
            extra = (
                f'[[sources]]\nname = "slow"\nurl = "{site.url("/slow.xml")}"\ninterval = "1s"\n'
            )
        config = tmp / "ingest.toml"
        config.write_text(
            f'[store]\npath = "{db}"\n[http]\nallow_networks = ["127.0.0.1/32", "::1/128"]\n'
            'per_host_min_delay = 0\n[schedule]\ntick = "1s"\nmin_interval = "1s"\n'
            "adaptive = false\n[topic]\nenabled = false\n"
            f'[[sources]]\nname = "normal"\nurl = "{normal}"\ninterval = "1s"\n{extra}',
            encoding="utf-8",
        )
        if peer is not None:
            loaded = load_config(config)
            store = open_store(loaded, db)
            enqueue_synthetic(Alerter(store, alert_settings(loaded)), 5, now=utcnow())
            store.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
        env["PYTHONPATH"] = src
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingest", "run", "--config", str(config)],
            cwd=src, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(3)  # start-up
        before = len(site.requests_to("/normal.xml"))
        time.sleep(WINDOW)
        polls = len(site.requests_to("/normal.xml")) - before
        proc.send_signal(signal.SIGTERM)
        stopped = time.perf_counter()
        try:
            proc.wait(timeout=60)
            exit_s: object = round(time.perf_counter() - stopped, 2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            exit_s = "> 60 (killed)"
        rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if peer is not None:
            peer.__exit__(None, None, None)
    return {"case": name, "polls_per_min": polls * 60 / WINDOW, "exit_s": exit_s,
            "rss_mb": rss_kb / 1024, "src": src}  # fmt: skip


DAEMON_CASES = {
    "normal": "normal feed alone",
    "trickle-receiver": "+ alert receiver trickling its headers (1 byte / 50 ms)",
    "huge-answer": "+ alert receiver answering 500 with an endless body",
    "slow-feed": "+ feed of 12 pages answering after 10 s each",
}


def daemon_table(src: str) -> None:
    print(f"source tree: {src}; window {WINDOW:g} s\n")
    print("| beside the normal feed | normal polls/min | SIGTERM to exit | peak RSS |")
    print("|---|---|---|---|")
    for name, label in DAEMON_CASES.items():
        done = subprocess.run(
            [sys.executable, __file__, "daemon-case", name, src],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            print(f"| {label} | crashed: {done.stderr.strip().splitlines()[-1:]} | | |")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        exit_s = r["exit_s"]
        shown = f"{exit_s:.2f} s" if isinstance(exit_s, float) else f"{exit_s} s"
        print(f"| {label} | {r['polls_per_min']:.0f} | {shown} | {r['rss_mb']:.0f} MB |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "daemon":
        here = str(Path(__file__).resolve().parent.parent)
        daemon_table(sys.argv[2] if len(sys.argv) > 2 else here)
        return
    if len(sys.argv) > 1 and sys.argv[1] == "daemon-case":
        print(json.dumps(_daemon_case(sys.argv[2], sys.argv[3])))
        return
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
