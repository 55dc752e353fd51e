"""Benchmark the pure parsing stages: parse_feed, canonicalise_url and the topic filter.

Each figure is measured side by side with a baseline on the same input, so the ratio holds on
any machine:

* parse_feed vs bare ``feedparser.parse`` (what our mapping, text extraction and identity cost);
* canonicalise_url vs ``urlsplit`` + ``urlunsplit`` (a parse that normalises almost nothing);
* TopicFilter.match (one compiled regex) vs one regex search per term.

Run: .venv/bin/python bench/bench_parsing.py
"""

from __future__ import annotations

import io
import platform
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import feedparser

from ingest.feeds.parse import parse_feed
from ingest.topic.filter import default_topic_filter
from ingest.urls import canonicalise_url

RNG = random.Random(7)
WORDS = (
    "cloud revenue model price market growth quarter analysts said company users billion yuan "
    "percent data centre chip inference developers platform launch customers"
).split()


def _sentence(n: int = 18) -> str:
    return " ".join(RNG.choice(WORDS) for _ in range(n)).capitalize() + "."


def make_feed(entries: int) -> bytes:
    items = []
    for i in range(entries):
        paragraphs = "".join(f"<p>{_sentence()} {_sentence()}</p>" for _ in range(6))
        items.append(
            f"<item><title>Story {i}: {_sentence(8)}</title>"
            f"<link>https://news.example.com/2025/{i}/story-{i}?utm_source=rss</link>"
            f"<guid isPermaLink='false'>story-{i}</guid>"
            f"<pubDate>Tue, 14 Jan 2025 08:{i % 60:02d}:00 +0000</pubDate>"
            f"<description>{_sentence()}</description>"
            f"<content:encoded><![CDATA[{paragraphs}]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Bench</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_feeds() -> list[str]:
    body = make_feed(500)
    ours = best_of(lambda: parse_feed(body, url="https://news.example.com/feed.xml"))
    bare = best_of(lambda: feedparser.parse(io.BytesIO(body)))
    return [
        f"| parse_feed, 500 entries ({len(body) / 1e6:.2f} MB) | {ours * 1000:.0f} ms"
        f" ({500 / ours:,.0f} entries/s) | feedparser.parse alone: {bare * 1000:.0f} ms"
        f" | {ours / bare:.2f}x |"
    ]


def bench_urls() -> list[str]:
    urls = [
        f"HTTPS://News.Example.COM:443/a/./b/../story-{i}?utm_source=x&b={i}&a=1&fbclid=z#top"
        for i in range(50_000)
    ]
    ours = best_of(lambda: [canonicalise_url(u) for u in urls], repeat=3)
    base = best_of(lambda: [urlunsplit(urlsplit(u)) for u in urls], repeat=3)
    return [
        f"| canonicalise_url, 50,000 URLs | {ours * 1000:.0f} ms ({len(urls) / ours:,.0f} URLs/s)"
        f" | urlsplit+urlunsplit: {base * 1000:.0f} ms | {ours / base:.2f}x |"
    ]


SPARSE = "shares rose after the quarterly report while investors weighed guidance".split()


def bench_topic() -> list[str]:
    topic = default_topic_filter()
    terms = topic.include + topic.context
    naive = [re.compile(rf"(?<!\w){re.escape(t)}(?!\w)", re.IGNORECASE) for t in terms]
    dense = " ".join(_sentence() for _ in range(7_000)) + " Then Qwen."
    sparse = " ".join(RNG.choice(SPARSE) for _ in range(140_000)) + " Then Qwen."
    lines = []
    for label, text in (("term-dense", dense), ("term-sparse", sparse)):
        ours = best_of(lambda text=text: topic.match(text))
        base = best_of(lambda text=text: [p.search(text) for p in naive])
        mb = len(text.encode()) / 1e6
        lines.append(
            f"| TopicFilter.match, {mb:.2f} MB {label} text, {len(terms)} terms"
            f" | {ours * 1000:.1f} ms ({mb / ours:.1f} MB/s)"
            f" | one regex per term: {base * 1000:.1f} ms | {ours / base:.2f}x |"
        )
    return lines


def main() -> None:
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print("| what | ours | baseline, same input | ours / baseline |")
    print("|---|---|---|---|")
    for line in (*bench_feeds(), *bench_urls(), *bench_topic()):
        print(line)


if __name__ == "__main__":
    main()
