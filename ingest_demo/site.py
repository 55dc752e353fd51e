"""A small, invented news site for ``ingest demo`` and the integration tests.

Outlets ("Harbour Ledger", "Pacific Wire Review", ...), each with an RSS feed and article pages
wrapped in the chrome real sites have: navigation, a cookie banner, a related-articles box and
a footer. ``serve_demo_site`` serves one fixed state (the tests use it); ``AlertStory`` serves
the alerts scenario step by step (a figure stated, repeated, changed, corrected in place). The
stories, names and numbers are written for this project.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from html import escape

from ingest_demo.loopback import CannedResponse, LoopbackServer


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

OUTLETS = {
    "ledger": "Harbour Ledger",
    "wire": "Pacific Wire Review",
    "lantern": "Lantern Markets",
    "meridian": "Meridian Tech Daily",
}

COOKIE = (
    '<div class="cookie-banner" role="dialog"><p>We use cookies to improve your experience '
    "and to measure our audience. By continuing to browse you agree to our use of cookies."
    "</p><button>Accept all</button><button>Manage settings</button></div>"
)


def render_page(site: str, article: DemoArticle, related: list[DemoArticle]) -> bytes:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
    links = "".join(f'<li><a href="/{site}/{r.slug}">{escape(r.title)}</a></li>' for r in related)
    name = OUTLETS.get(site, "Pacific Wire Review")
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
    name = OUTLETS.get(site, "Pacific Wire Review")
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


# The alerts scenario (``ingest demo``). The first statement comes weeks before PLEDGE, beyond
# the findings stage's 48-hour conflict window, so PLEDGE's 480 billion reads as a change.
PLAN = DemoArticle(
    slug="alibaba-three-year-ai-plan",
    title="Alibaba sets out a three-year AI infrastructure plan",
    summary="The group will put 380 billion yuan into computing capacity.",
    published="Thu, 24 Sep 2026 08:00:00 GMT",
    author="Lin Qiao",
    paragraphs=(
        "Alibaba Group will invest 380 billion yuan in cloud and AI infrastructure over the next "
        "three years, chief executive Eddie Wu told an audience of developers in Hangzhou.",
        "Wu said most of the money would go to data centres and to the servers inside them, and "
        "that the plan would be reviewed every year as demand from model builders changed.",
        "Analysts said the size of the plan reflected how quickly enterprise customers had moved "
        "model training and inference onto rented capacity over the past year.",
    ),
)
REPEATS = {
    "wire": DemoArticle(
        slug="alibaba-rmb380bn-computing-push",
        title="Alibaba commits RMB380bn to its computing push",
        summary="The spending plan is the largest of its kind by a private Chinese company.",
        published="Thu, 24 Sep 2026 11:00:00 GMT",
        paragraphs=(
            "Alibaba plans to spend RMB380bn on AI infrastructure over three years, a sum its "
            "executives called the largest computing investment by a private Chinese firm.",
            "Suppliers of servers and cooling equipment said their order books were already "
            "full well into next year, and that lead times for power equipment were growing.",
            "The company did not say how the spending would be split between chips and land.",
        ),
    ),
    "lantern": DemoArticle(
        slug="alibaba-53-billion-ai-bet",
        title="Alibaba's $53 billion bet on artificial intelligence",
        summary="Investors weigh the cost of the group's data centre build-out.",
        published="Fri, 25 Sep 2026 09:00:00 GMT",
        paragraphs=(
            "Alibaba will invest $53 billion in AI infrastructure over the next three years, the "
            "e-commerce group said, as it races domestic rivals to build capacity for its models.",
            "Fund managers in Hong Kong said the plan would weigh on free cash flow for at least "
            "two years but that the cloud unit had little choice if it wanted to keep customers.",
        ),
    ),
    "meridian": DemoArticle(
        slug="alibaba-ai-commitment-explained",
        title="Alibaba's AI infrastructure commitment, explained",
        summary="What the group's spending plan means for developers.",
        published="Fri, 25 Sep 2026 16:00:00 GMT",
        paragraphs=(
            "Alibaba's AI infrastructure investment plan amounts to US$53.4 billion over three "
            "years, making it one of the largest such commitments outside the United States.",
            "For developers, the practical question is whether the new capacity will shorten the "
            "waiting lists for GPU instances that have frustrated start-ups since the spring.",
        ),
    ),
}
# PLEDGE corrected in place the next day: the cloud revenue figure was mistyped.
PLEDGE_CORRECTED = replace(
    PLEDGE,
    paragraphs=(
        *(p.replace("39.8 billion yuan", "38.9 billion yuan") for p in PLEDGE.paragraphs),
        "This article was corrected to give the cloud unit's quarterly revenue accurately.",
    ),
)
STEPS = (
    "Harbour Ledger reports the plan (380 billion yuan)",
    "three outlets repeat it in other currencies and words, the wire republishes the story; "
    "also an off-topic item and a missing page",
    "weeks later Harbour Ledger reports the plan raised to 480 billion yuan",
    "Harbour Ledger corrects a figure in place, without a new feed entry",
)


class AlertStory:
    """The alerts scenario on a loopback server, one ``step(n)`` at a time (0 to 3)."""

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server
        self.items: dict[str, list[DemoArticle]] = {site: [] for site in OUTLETS}

    def feeds(self) -> dict[str, str]:
        """Feed URLs by outlet name (every outlet, even before it has published)."""
        return {name: self.server.url(f"/{site}/feed.xml") for site, name in OUTLETS.items()}

    def _publish(self, site: str, *articles: DemoArticle) -> None:
        self.items[site] = [*articles, *self.items[site]]
        self._serve_feed(site)
        for article in articles:
            self._serve_page(site, article)

    def _serve_feed(self, site: str) -> None:
        body = render_feed(self.server.base_url, site, self.items[site])
        self.server.route(
            f"/{site}/feed.xml",
            CannedResponse(body=body, content_type="application/rss+xml; charset=utf-8"),
        )

    def _serve_page(self, site: str, article: DemoArticle) -> None:
        if not article.paragraphs:
            return  # no page: a 404, so the feed text is used
        related = [a for a in self.items[site] if a.slug != article.slug and a.paragraphs][:2]
        body = render_page(site, article, related)
        self.server.route(
            f"/{site}/{article.slug}",
            CannedResponse(body=body, content_type="text/html; charset=utf-8"),
        )

    def step(self, n: int) -> None:
        if n == 0:
            for site in OUTLETS:
                self._serve_feed(site)  # empty feeds: outlets with nothing on the topic yet
            self._publish("ledger", PLAN)
        elif n == 1:
            for site, article in REPEATS.items():
                self._publish(site, article)
            self._publish("wire", PLAN)  # the wire copy: the same text under other chrome
            self._publish("ledger", WEATHER, CHIP)
        elif n == 2:
            self._publish("ledger", PLEDGE)
        elif n == 3:
            self._serve_page("ledger", PLEDGE_CORRECTED)  # the feed is left as it was
        else:
            raise ValueError(n)
