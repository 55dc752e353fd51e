"""The SSRF guard: the pure policy, and the real fetcher refusing peers before sending a byte."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.daemon import run_pass
from ingest.errors import FailureKind, FetchError
from ingest.fetch.client import Fetcher
from ingest.fetch.guard import embedded_ipv4, make_peer_check, peer_check_for, refusal_reason
from ingest.fetch.settings import FetchResponse, HttpSettings
from ingest.pipeline import Services
from ingest_demo.loopback import CannedResponse, LoopbackServer

ip = ipaddress.ip_address
net = ipaddress.ip_network

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "private or special-purpose"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "cloud metadata"),
    ("169.254.1.1", "link-local"),
    ("224.0.0.251", "multicast"),
    ("239.255.255.250", "multicast"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.1", "special-purpose"),  # documentation
    ("198.18.0.1", "special-purpose"),  # benchmarking
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fec0::1", "site-local"),
    ("2001:db8::1", "special-purpose"),
    ("2001::1", "special-purpose"),  # Teredo: the client address inside is obfuscated
    ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, a loopback"),
    ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254"),
    ("::ffff:10.0.0.1", "IPv4-mapped form of 10.0.0.1, a private"),
    ("::ffff:0:127.0.0.1", "IPv4-translated form of 127.0.0.1"),
    ("::127.0.0.1", "IPv4-compatible"),
    ("::8.8.8.8", "IPv4-compatible"),
    ("2002:7f00:1::", "6to4 form of 127.0.0.1"),
    ("2002:a9fe:a9fe::1", "6to4 form of 169.254.169.254"),
    ("64:ff9b::127.0.0.1", "NAT64 form of 127.0.0.1"),
    ("64:ff9b::10.0.0.1", "NAT64 form of 10.0.0.1"),
    ("64:ff9b:1::1", "local-use NAT64"),
]

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "47.246.1.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001::1",
    "::ffff:8.8.8.8",  # a dual-stack socket reaching a public IPv4 address
    "64:ff9b::8.8.8.8",  # through a NAT64 translator to a public IPv4 address
    "2002:808:808::1",  # 6to4 of a public address
]


@pytest.mark.parametrize(("address", "words"), REFUSED)
def test_non_public_addresses_are_refused_with_a_reason(address: str, words: str) -> None:
    """Every non-public address is refused, and the reason names what it is."""
    reason = refusal_reason(ip(address))
    assert reason is not None
    assert words in reason


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    """Globally routable addresses, and IPv6 forms carrying one, are allowed."""
    assert refusal_reason(ip(address)) is None


def test_allow_networks_open_exactly_what_they_name() -> None:
    """allow_networks opens its own addresses (and their mapped forms), nothing next to them."""
    allow = [net("127.0.0.1/32"), net("10.8.0.0/16"), net("fd00:1::/32")]
    for opened in ("127.0.0.1", "::ffff:127.0.0.1", "10.8.200.1", "fd00:1::5"):
        assert refusal_reason(ip(opened), allow) is None, opened
    for closed in ("127.0.0.2", "10.9.0.1", "fd00:2::5", "::1", "169.254.169.254"):
        assert refusal_reason(ip(closed), allow) is not None, closed


def test_peer_check_names_host_and_config_key() -> None:
    """The check's message names the host that led there and the key that would open it."""
    check = make_peer_check()
    message = check("metadata.internal", ip("169.254.169.254"))
    assert message is not None
    assert "metadata.internal" in message and "allow_networks" in message
    assert check("example.org", ip("93.184.216.34")) is None


ipv4s = st.integers(min_value=0, max_value=2**32 - 1).map(ipaddress.IPv4Address)


@given(ipv4s)
def test_ipv6_forms_share_the_verdict_of_their_ipv4(v4: ipaddress.IPv4Address) -> None:
    """Mapped, translated, NAT64 and 6to4 forms are refused exactly when their IPv4 is."""
    n = int(v4)
    forms = [
        ipaddress.IPv6Address(0xFFFF << 32 | n),
        ipaddress.IPv6Address(0xFFFF << 48 | n),
        ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | n),
        ipaddress.IPv6Address(0x2002 << 112 | n << 80 | 1),
    ]
    refused = refusal_reason(v4) is not None
    for form in forms:
        found = embedded_ipv4(form)
        assert found is not None and found[1] == v4
        assert (refusal_reason(form) is not None) == refused, form


@given(st.integers(min_value=0, max_value=2**128 - 1).map(ipaddress.IPv6Address))
def test_policy_is_total_over_ipv6(address: ipaddress.IPv6Address) -> None:
    """Any IPv6 address gets a verdict without raising; allowing its /128 always opens it."""
    refusal_reason(address)
    assert refusal_reason(address, [ipaddress.IPv6Network(int(address))]) is None


# -- the real fetcher -----------------------------------------------------------------------


def _fetch(settings: HttpSettings, url: str) -> FetchResponse:
    async def go() -> FetchResponse:
        fetcher = Fetcher(settings, peer_check=peer_check_for(settings))
        try:
            return await fetcher.fetch(url)
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


def fast(*allow: str) -> HttpSettings:
    return HttpSettings(
        per_host_min_delay=0,
        total_timeout=5,
        connect_timeout=2,
        read_timeout=2,
        allow_networks=allow,
    )


@pytest.fixture
def second_loopback() -> Iterator[LoopbackServer]:
    """A server on 127.0.0.2: another loopback address, outside a 127.0.0.1/32 allowlist."""
    with LoopbackServer(host="127.0.0.2") as server:
        yield server


def test_default_policy_refuses_loopback_before_any_request(loopback: LoopbackServer) -> None:
    """Without an allowlist the loopback server is refused and never receives a request."""
    loopback.route("/", CannedResponse(body=b"secret"))
    with pytest.raises(FetchError) as caught:
        _fetch(fast(), loopback.url("/"))
    assert caught.value.kind is FailureKind.BLOCKED
    assert "loopback" in str(caught.value)
    assert loopback.requests == []


def test_a_name_is_judged_by_the_address_connected_to(loopback: LoopbackServer) -> None:
    """'localhost' is refused by its connected address even though only 127.0.0.2 is allowed."""
    loopback.route("/", CannedResponse(body=b"secret"))
    settings = fast("127.0.0.2/32")
    with pytest.raises(FetchError) as caught:
        _fetch(settings, f"http://localhost:{loopback.port}/")
    assert caught.value.kind is FailureKind.BLOCKED
    assert loopback.requests == []


def test_allowlisted_loopback_is_fetched(loopback: LoopbackServer) -> None:
    """allow_networks = ["127.0.0.1/32"] (tests, demo) lets the loopback server through."""
    loopback.route("/", CannedResponse(body=b"hello"))
    settings = fast("127.0.0.1/32")
    assert _fetch(settings, loopback.url("/")).body == b"hello"


def test_redirect_to_a_refused_address_is_cut_at_that_hop(
    loopback: LoopbackServer, second_loopback: LoopbackServer
) -> None:
    """An allowed server redirecting to a non-allowed address: the second server sees nothing."""
    second_loopback.route("/admin", CannedResponse(body=b"internal"))
    loopback.redirect("/go", second_loopback.url("/admin"))
    settings = fast("127.0.0.1/32")
    with pytest.raises(FetchError) as caught:
        _fetch(settings, loopback.url("/go"))
    assert caught.value.kind is FailureKind.BLOCKED
    assert caught.value.url == second_loopback.url("/admin")
    assert len(loopback.requests) == 1
    assert second_loopback.requests == []


def _rss_item(title: str, link: str, text: str) -> str:
    return (
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{text}</description></item>"
    )


def test_article_link_to_internal_address_never_fetched_through_pipeline(
    loopback: LoopbackServer, second_loopback: LoopbackServer, make_services: Any
) -> None:
    """A feed entry linking to an internal host: the page is refused, the feed text is kept."""
    text = "Alibaba Cloud said Qwen models now serve 90,000 enterprise customers. " * 4
    second_loopback.route("/latest/meta-data/", CannedResponse(body=b"iam-credentials"))
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>http://x/</link>'
        + _rss_item("Alibaba Cloud Qwen", second_loopback.url("/latest/meta-data/"), text)
        + "</channel></rss>"
    )
    loopback.route("/feed", CannedResponse(body=feed.encode(), content_type="application/rss+xml"))
    services: Services = make_services([{"name": "s", "url": loopback.url("/feed")}])
    guarded = replace(
        services,
        fetcher=Fetcher(services.config.http, peer_check=peer_check_for(services.config.http)),
    )

    async def go() -> None:
        try:
            await run_pass(guarded, only_due=False)
        finally:
            await guarded.fetcher.aclose()

    asyncio.run(go())
    assert second_loopback.requests == []
    (article,) = services.store.list_articles(limit=10)
    assert article.extraction == "feed"
    stored = services.store.get_article(article.id)
    assert stored is not None and "iam-credentials" not in (stored.text or "")
