"""Invented articles for the findings scenario: one claim stated, repeated, changed, revised,
and disputed. Every outlet, name and sentence here is written for the tests."""

from __future__ import annotations

from ingest_demo.site import DemoArticle

_FILLER = (
    "Analysts said the plan reflects how quickly demand for AI computing has grown among the "
    "group's enterprise customers, many of whom are moving model training to rented capacity.",
    "The company did not say how the spending would be split between chips, power and land, "
    "and a spokesperson declined to comment beyond the statement released to the exchange.",
    "Rivals in Beijing and Shenzhen have announced similar programmes this year, and suppliers "
    "of servers and cooling equipment have said their order books are full well into next year.",
)


def _article(slug: str, title: str, published: str, lead: str, *extra: str) -> DemoArticle:
    return DemoArticle(
        slug=slug, title=title, summary=title + ".", published=published,
        paragraphs=(lead, *extra, *_FILLER),
    )  # fmt: skip


# 1. First statement of the claim: new.
FIRST = _article(
    "alibaba-ai-infrastructure-plan",
    "Alibaba sets out three-year AI infrastructure plan",
    "Thu, 24 Sep 2026 08:00:00 GMT",
    "Alibaba Group will invest 380 billion yuan in cloud and AI infrastructure over the next "
    "three years, chief executive Eddie Wu told an audience of developers in Hangzhou.",
)
# 2. The same claim repeated by other outlets, other currencies and words: consistent.
REPEATS = (
    _article(
        "alibaba-rmb380bn-ai-push",
        "Alibaba commits RMB380bn to its AI push",
        "Thu, 24 Sep 2026 10:00:00 GMT",
        "Alibaba plans to spend RMB380bn on AI infrastructure over three years, a sum its "
        "executives described as the largest computing investment by a private Chinese firm.",
    ),
    _article(
        "alibaba-53-billion-bet",
        "Alibaba's $53 billion bet on artificial intelligence",
        "Thu, 24 Sep 2026 12:00:00 GMT",
        "Alibaba will invest $53 billion in AI infrastructure over the next three years, the "
        "e-commerce group said, as it races domestic rivals to build capacity for its models.",
    ),
    _article(
        "alibaba-ai-spending-dollars",
        "Alibaba lays out AI data centre spending for investors",
        "Fri, 25 Sep 2026 09:00:00 GMT",
        "Alibaba has committed $52.44 billion to AI infrastructure over three years, according "
        "to a presentation the company gave to investors after its developer conference.",
    ),
    _article(
        "alibaba-us53-4bn-ai",
        "Alibaba's AI infrastructure commitment explained",
        "Fri, 25 Sep 2026 15:00:00 GMT",
        "Alibaba's AI infrastructure investment plan amounts to US$53.4 billion over three "
        "years, making it one of the largest such commitments outside the United States.",
    ),
)
# 3. Weeks later, another outlet reports a larger figure: changed.
CHANGE = _article(
    "alibaba-raises-ai-plan",
    "Alibaba raises its AI infrastructure plan",
    "Tue, 20 Oct 2026 14:02:00 GMT",
    "Alibaba has raised its AI infrastructure investment plan to 480 billion yuan over the next "
    "three years, people familiar with the board's decision said on Tuesday.",
)
# 4. An article edited in place to correct a figure: revised.
REVISED_BEFORE = _article(
    "alibaba-cloud-quarter",
    "Alibaba Cloud revenue climbs as AI demand grows",
    "Wed, 21 Oct 2026 09:00:00 GMT",
    "Alibaba Cloud revenue rose to 39.8 billion yuan in the September quarter, lifted by demand "
    "for AI computing from start-ups and large companies alike.",
)
REVISED_AFTER = _article(
    "alibaba-cloud-quarter",
    "Alibaba Cloud revenue climbs as AI demand grows",
    "Wed, 21 Oct 2026 09:00:00 GMT",
    "Alibaba Cloud revenue rose to 38.9 billion yuan in the September quarter, lifted by demand "
    "for AI computing from start-ups and large companies alike. (Corrects figure in first "
    "paragraph.)",
)
# 5. Two outlets disagree on the same day: conflict.
CONFLICT_A = _article(
    "alibaba-cloud-regions",
    "Alibaba Cloud expands its data centre map for AI",
    "Thu, 22 Oct 2026 08:00:00 GMT",
    "Alibaba Cloud now operates data centres in 29 regions worldwide, the company said as it "
    "opened new AI computing sites in Brazil and France.",
)
# Written independently of CONFLICT_A (no shared paragraphs): a different story, not a copy.
CONFLICT_B = DemoArticle(
    slug="alibaba-cloud-regions-count",
    title="Alibaba Cloud adds regions as AI customers multiply",
    summary="Alibaba Cloud adds regions as AI customers multiply.",
    published="Thu, 22 Oct 2026 13:00:00 GMT",
    paragraphs=(
        "Alibaba Cloud's footprint reached 32 regions this week, according to the company's own "
        "infrastructure map, which a reporter reviewed on Thursday afternoon.",
        "Engineers at the unit have been racing to add capacity for AI customers in Latin "
        "America and Europe, where local rules often require data to stay in the country.",
        "Partners who resell the cloud's services said waiting lists for GPU instances had "
        "shortened since the summer, though the newest accelerators remain hard to book.",
        "The unit competes with the biggest American providers for multinational clients and "
        "has priced its inference services aggressively to win developers over.",
    ),
)
