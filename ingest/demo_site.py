"""A small, invented news site for ``ingest demo`` and the integration tests.

Two outlets ("Harbour Ledger" and "Pacific Wire Review"), each with an RSS feed and article pages
wrapped in the chrome real sites have: navigation, a cookie banner, a related-articles box and
a footer. The stories, names and numbers are written for this project.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from ingest.loopback_server import CannedResponse, LoopbackServer


@dataclass(frozen=True, slots=True)
class DemoArticle:
    slug: str
    title: str
    summary: str
    paragraphs: tuple[str, ...]
    published: str  # RFC 822, as RSS wants it
    author: str = "Staff reporter"


PLEDGE = DemoArticle(
    slug="alibaba-lifts-ai-infrastructure-pledge",
    title="Alibaba lifts its AI infrastructure pledge to 480 billion yuan",
    summary="The Hangzhou group raised its three-year spending plan for data centres and chips.",
    published="Tue, 03 Nov 2026 06:30:00 GMT",
    author="Lin Qiao",
    paragraphs=(
        "Alibaba Group said on Tuesday it would spend 480 billion yuan (about $67 billion) on "
        "cloud and AI infrastructure over the next three years, up from the 380 billion yuan "
        "plan it set out in February.",
        "Chief executive Eddie Wu told analysts that demand for AI computing at Alibaba Cloud "
        "was still running ahead of the capacity the company could bring online, and that the "
        "extra money would go mostly to data centres outside mainland China.",
        "The cloud unit's revenue grew 34% year-on-year in the September quarter to 39.8 "
        "billion yuan, its fastest pace in four years, while revenue from AI-related products "
        "posted triple-digit growth for the ninth quarter in a row.",
        "Alibaba now runs data centres in 29 regions and plans to open new ones in Brazil, "
        "France and the Netherlands next year, the company said.",
        "Its Hong Kong-listed shares rose 4.2% after the announcement, giving the group a "
        "market value of roughly $390 billion.",
    ),
)

QWEN = DemoArticle(
    slug="qwen-open-weights-milestone",
    title="Qwen family passes 300 open-weight models as developers pile in",
    summary=(
        "Alibaba's Tongyi lab says Qwen models have been downloaded more than 600 million times."
    ),
    published="Mon, 02 Nov 2026 09:00:00 GMT",
    author="Ravi Menon",
    paragraphs=(
        "Alibaba's Qwen team has now released more than 300 open-weight models, and developers "
        "have built over 170,000 derivative models on top of them, the company said on Monday.",
        "Downloads of Qwen models on public hubs passed 600 million, Alibaba said, which would "
        "make the family the most downloaded open model series in the world.",
        "The largest model in the line-up has more than one trillion parameters and is "
        "offered through Alibaba Cloud's Model Studio rather than as open weights.",
        "Researchers said the pace of releases, roughly one new model a week this year, had "
        "made Qwen a default starting point for teams building assistants in Asian languages.",
    ),
)

WEATHER = DemoArticle(
    slug="harbour-ferry-timetable-changes",
    title="Harbour ferry timetable changes from Monday",
    summary="Two early-morning crossings are cancelled while the pier is repaired.",
    published="Mon, 02 Nov 2026 07:00:00 GMT",
    paragraphs=(
        "The operator said two early crossings would be cancelled for six weeks while the "
        "eastern pier is repaired, and asked commuters to allow extra time.",
    ),
)

CHIP = DemoArticle(
    slug="t-head-inference-chip",
    title="T-Head readies an inference chip for Alibaba Cloud data centres",
    summary=(
        "Alibaba's chip unit T-Head is testing a new inference processor that it says will "
        "cut the cost of serving Qwen models in Alibaba Cloud data centres by about a third. "
        "Mass production is planned for the second half of next year."
    ),
    published="Sun, 01 Nov 2026 12:00:00 GMT",
    paragraphs=(),  # its page is missing: the feed's text is used instead
)

COOKIE = (
    '<div class="cookie-banner" role="dialog"><p>We use cookies to improve your experience '
    "and to measure our audience. By continuing to browse you agree to our use of cookies."
    "</p><button>Accept all</button><button>Manage settings</button></div>"
)


def render_page(site: str, article: DemoArticle, related: list[DemoArticle]) -> bytes:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
    links = "".join(f'<li><a href="/{site}/{r.slug}">{escape(r.title)}</a></li>' for r in related)
    name = "Harbour Ledger" if site == "ledger" else "Pacific Wire Review"
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(article.title)} | {name}</title>
<link rel="canonical" href="/{site}/{article.slug}">
<meta property="og:title" content="{escape(article.title)}">
<meta name="author" content="{escape(article.author)}">
</head><body>
{COOKIE}
<header><nav><a href="/">Home</a> <a href="/markets">Markets</a> <a href="/tech">Tech</a>
<a href="/opinion">Opinion</a> <a href="/subscribe">Subscribe</a></nav></header>
<main><article>
<h1>{escape(article.title)}</h1>
<p class="byline">By {escape(article.author)} &middot; {escape(article.published)}</p>
{body}
</article>
<aside class="related"><h2>Related coverage</h2><ul>{links}</ul></aside>
</main>
<footer><p>&copy; 2026 {name}. All rights reserved.</p><a href="/privacy">Privacy</a>
<a href="/terms">Terms of use</a> <a href="/contact">Contact us</a></footer>
</body></html>"""
    return html.encode("utf-8")


def render_feed(base: str, site: str, articles: list[DemoArticle]) -> bytes:
    name = "Harbour Ledger" if site == "ledger" else "Pacific Wire Review"
    items = "".join(
        f"""<item><title>{escape(a.title)}</title><link>{base}/{site}/{a.slug}</link>
<guid isPermaLink="false">{site}-{a.slug}</guid><pubDate>{a.published}</pubDate>
<description>{escape(a.summary)}</description></item>
"""
        for a in articles
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{name}</title><link>{base}/{site}/</link>
<description>{name}: technology and markets</description><ttl>15</ttl>
{items}</channel></rss>""".encode()


def serve_demo_site(server: LoopbackServer) -> dict[str, str]:
    """Register the demo site's routes; returns the feed URLs by outlet name."""
    base = server.base_url
    ledger = [PLEDGE, QWEN, WEATHER, CHIP]
    wire = [PLEDGE]  # the wire republishes the Ledger's pledge story under its own chrome
    for site, items in (("ledger", ledger), ("wire", wire)):
        server.route(
            f"/{site}/feed.xml",
            CannedResponse(
                body=render_feed(base, site, items),
                content_type="application/rss+xml; charset=utf-8",
                headers=(("ETag", f'"{site}-v1"'),),
            ),
        )
        for article in items:
            if not article.paragraphs:
                continue  # no page: a 404, so the feed text is used
            others = [a for a in ledger if a is not article and a.paragraphs][:2]
            server.route(
                f"/{site}/{article.slug}",
                CannedResponse(
                    body=render_page(site, article, others),
                    content_type="text/html; charset=utf-8",
                ),
            )
    return {
        "Harbour Ledger": f"{base}/ledger/feed.xml",
        "Pacific Wire Review": f"{base}/wire/feed.xml",
    }
