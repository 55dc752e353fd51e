"""The fetch stage against a real HTTP server on 127.0.0.1 (and its pure parts without one)."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import socket
import ssl
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import brotli  # type: ignore[import-untyped]
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from loopback import (
    CannedResponse,
    LoopbackServer,
    RecordedRequest,
    bomb,
    compress,
    serve_loopback,
)

from ingest.errors import ConfigError, FailureKind, FetchError
from ingest.fetch import (
    ACCEPT_FEED,
    Fetcher,
    FetchResponse,
    HostLimiter,
    HttpSettings,
    classify_transport_error,
)
from ingest.fetch.decode import BoundedDecoder

# conftest.py provides the same fixture to every module; binding it here keeps this file
# runnable on its own.
loopback = pytest.fixture(name="loopback")(serve_loopback)

FAST = HttpSettings(
    connect_timeout=5,
    read_timeout=5,
    total_timeout=10,
    per_host_concurrency=4,
    per_host_min_delay=0,
    contact_url="https://example.org/ingest-bot",
)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def fetch(url: str, settings: HttpSettings = FAST, **kwargs: Any) -> FetchResponse:
    """Run one fetch on a fresh Fetcher in its own event loop."""

    async def go() -> FetchResponse:
        fetcher = Fetcher(
            settings, **{k: kwargs.pop(k) for k in ("peer_check", "now") if k in kwargs}
        )
        try:
            return await fetcher.fetch(url, **kwargs)
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


def fetch_error(url: str, settings: HttpSettings = FAST, **kwargs: Any) -> FetchError:
    """Run one fetch that must fail; return the FetchError."""
    with pytest.raises(FetchError) as info:
        fetch(url, settings, **kwargs)
    return info.value


# -- success, headers and validators ------------------------------------------------------------


def test_plain_fetch_returns_body_type_and_peer(loopback: LoopbackServer) -> None:
    """A 200 yields the body, media type, charset, validators and the connection's peer IP."""
    loopback.route(
        "/feed.xml",
        CannedResponse(
            body=FEED,
            content_type='application/rss+xml; Charset="UTF-8"',
            headers=(("ETag", '"v1"'), ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")),
        ),
    )
    response = fetch(loopback.url("/feed.xml"), accept=ACCEPT_FEED)
    assert response.status == 200
    assert response.body == FEED
    assert response.content_type == "application/rss+xml"
    assert response.charset == "utf-8"
    assert response.etag == '"v1"'
    assert response.last_modified == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert not response.not_modified
    assert response.final_url == response.url == loopback.url("/feed.xml")
    assert response.permanent_redirect is None
    assert response.peer_address == "127.0.0.1"
    assert loopback.requests[0].header("Accept") == ACCEPT_FEED


def test_user_agent_names_product_and_contact(loopback: LoopbackServer) -> None:
    """Each request carries ``ingest/<version> (+contact)`` and the codings we decode."""
    loopback.route("/", CannedResponse(body=b"ok"))
    fetch(loopback.url("/"))
    (request,) = loopback.requests
    assert request.header("User-Agent") == "ingest/0.1.0 (+https://example.org/ingest-bot)"
    assert request.header("Accept-Encoding") == "gzip, deflate, br"


def test_conditional_headers_sent_and_304_keeps_validators(loopback: LoopbackServer) -> None:
    """Stored validators are sent; a bare 304 comes back not_modified, keeping what we sent."""

    def handler(request: RecordedRequest) -> CannedResponse:
        if request.header("If-None-Match") == '"v1"':
            return CannedResponse(status=304, content_type=None)
        return CannedResponse(body=FEED, headers=(("ETag", '"v1"'),))

    loopback.route("/feed.xml", handler)
    lm = "Sun, 06 Nov 1994 08:49:37 GMT"
    first = fetch(loopback.url("/feed.xml"))
    second = fetch(loopback.url("/feed.xml"), etag=first.etag, last_modified=lm)
    assert first.body == FEED and not first.not_modified
    assert second.not_modified and second.status == 304 and second.body == b""
    assert (second.etag, second.last_modified) == ('"v1"', lm)
    sent = loopback.requests[1]
    assert sent.header("If-None-Match") == '"v1"'
    assert sent.header("If-Modified-Since") == lm
    assert loopback.requests[0].header("If-None-Match") is None


def test_304_with_new_metadata_updates_it(loopback: LoopbackServer) -> None:
    """A 304 that carries a new ETag and max-age reports those, not the old ones."""
    loopback.route(
        "/f",
        CannedResponse(
            status=304,
            content_type=None,
            headers=(("ETag", '"v2"'), ("Cache-Control", "max-age=90")),
        ),
    )
    response = fetch(loopback.url("/f"), etag='"v1"')
    assert response.etag == '"v2"'
    assert response.cache_control_max_age == 90


def test_freshness_headers_are_parsed(loopback: LoopbackServer) -> None:
    """max-age, and Expires corrected by the server's Date, land in the response."""
    loopback.route(
        "/f",
        CannedResponse(
            body=FEED,
            headers=(
                ("Cache-Control", "public, max-age=600"),
                # The server's clock runs a day behind ours; the lifetime (1 h) is what counts.
                ("Date", "Tue, 01 Apr 2025 10:00:00 GMT"),
                ("Expires", "Tue, 01 Apr 2025 11:00:00 GMT"),
            ),
        ),
    )
    now = datetime(2025, 4, 2, 10, 0, tzinfo=UTC)
    response = fetch(loopback.url("/f"), now=lambda: now)
    assert response.cache_control_max_age == 600
    assert response.expires == now + timedelta(hours=1)


# -- HTTP errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (404, FailureKind.HTTP_4XX),
        (403, FailureKind.HTTP_4XX),
        (410, FailureKind.GONE),
        (500, FailureKind.HTTP_5XX),
        (502, FailureKind.HTTP_5XX),
    ],
)
def test_error_statuses_are_classified(
    loopback: LoopbackServer, status: int, kind: FailureKind
) -> None:
    """4xx, 410 and 5xx become FetchError of the matching kind, carrying the status."""
    loopback.route("/x", CannedResponse(status=status, body=b"nope"))
    error = fetch_error(loopback.url("/x"))
    assert (error.kind, error.status) == (kind, status)
    assert error.url == loopback.url("/x")


def test_429_carries_retry_after_seconds(loopback: LoopbackServer) -> None:
    """429 is rate-limited, with Retry-After in seconds."""
    loopback.route("/f", CannedResponse(status=429, headers=(("Retry-After", "120"),)))
    error = fetch_error(loopback.url("/f"))
    assert (error.kind, error.status, error.retry_after) == (FailureKind.RATE_LIMITED, 429, 120.0)


def test_503_retry_after_http_date(loopback: LoopbackServer) -> None:
    """A Retry-After HTTP-date is turned into seconds from now."""
    loopback.route(
        "/f",
        CannedResponse(status=503, headers=(("Retry-After", "Wed, 02 Apr 2025 10:05:00 GMT"),)),
    )
    now = datetime(2025, 4, 2, 10, 0, tzinfo=UTC)
    error = fetch_error(loopback.url("/f"), now=lambda: now)
    assert (error.kind, error.retry_after) == (FailureKind.HTTP_5XX, 300.0)


def test_500_then_recovery(loopback: LoopbackServer) -> None:
    """A source failing once and then answering is fetched normally the second time."""
    answers = iter([CannedResponse(status=500), CannedResponse(body=FEED)])
    loopback.route("/f", lambda _request: next(answers))
    assert fetch_error(loopback.url("/f")).kind is FailureKind.HTTP_5XX
    assert fetch(loopback.url("/f")).body == FEED


# -- time limits --------------------------------------------------------------------------------


def test_slow_server_times_out(loopback: LoopbackServer) -> None:
    """A server slower than the read timeout yields a TIMEOUT failure."""
    loopback.route("/slow", CannedResponse(body=b"late", delay=5))
    settings = HttpSettings(read_timeout=0.2, total_timeout=10, per_host_min_delay=0)
    assert fetch_error(loopback.url("/slow"), settings).kind is FailureKind.TIMEOUT


def test_trickle_is_cut_by_total_deadline(loopback: LoopbackServer) -> None:
    """A server sending a byte every 50 ms beats the read timeout but not the total deadline."""
    loopback.route("/drip", CannedResponse(body=b"x" * 2000, trickle=0.05))
    settings = HttpSettings(read_timeout=5, total_timeout=0.5, per_host_min_delay=0)
    error = fetch_error(loopback.url("/drip"), settings)
    assert error.kind is FailureKind.TIMEOUT
    assert "no complete response within" in str(error)


# -- size limits --------------------------------------------------------------------------------


def test_declared_length_over_cap_is_refused(loopback: LoopbackServer) -> None:
    """A Content-Length above the wire cap fails before the body is read."""
    loopback.route("/big", CannedResponse(body=bytes(300_000)))
    settings = HttpSettings(max_body_bytes=100_000, per_host_min_delay=0)
    error = fetch_error(loopback.url("/big"), settings)
    assert error.kind is FailureKind.TOO_LARGE
    assert "Content-Length" in str(error)


def test_chunked_body_over_cap_is_cut_while_streaming(loopback: LoopbackServer) -> None:
    """Without a Content-Length, the wire cap is enforced on the bytes as they arrive."""
    loopback.route("/big", CannedResponse(body=bytes(300_000), chunked=True))
    settings = HttpSettings(max_body_bytes=100_000, per_host_min_delay=0)
    error = fetch_error(loopback.url("/big"), settings)
    assert error.kind is FailureKind.TOO_LARGE
    assert "on the wire" in str(error)


def test_chunked_body_under_cap_is_complete(loopback: LoopbackServer) -> None:
    """A chunked body below the cap arrives whole."""
    body = bytes(range(256)) * 1000
    loopback.route("/ok", CannedResponse(body=body, chunked=True))
    assert fetch(loopback.url("/ok")).body == body


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_decompression_bomb_is_stopped(loopback: LoopbackServer, coding: str) -> None:
    """20 MB of zeros sent compressed (tens of kB) trips the 1 MB decoded cap, not the wire cap."""
    response = bomb(coding, 20_000_000)
    assert len(response.body) < 100_000
    loopback.route("/bomb", response)
    settings = HttpSettings(
        max_body_bytes=1_000_000, max_decoded_bytes=1_000_000, per_host_min_delay=0
    )
    error = fetch_error(loopback.url("/bomb"), settings)
    assert error.kind is FailureKind.TOO_LARGE
    assert "decoded body exceeds" in str(error)


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_compressed_page_is_decoded(loopback: LoopbackServer, coding: str) -> None:
    """Each advertised coding is decoded to the original bytes."""
    page = b"<html><body>" + b"Alibaba Cloud revenue rose 26% " * 500 + b"</body></html>"
    loopback.route("/p", CannedResponse(body=compress(page, coding), precompressed=coding))
    assert fetch(loopback.url("/p")).body == page


def test_unknown_content_coding_is_a_protocol_error(loopback: LoopbackServer) -> None:
    """A coding we never advertised is refused rather than passed on as garbage."""
    loopback.route("/z", CannedResponse(body=b"\x28\xb5\x2f\xfd", precompressed="zstd"))
    assert fetch_error(loopback.url("/z")).kind is FailureKind.PROTOCOL


# -- redirects ----------------------------------------------------------------------------------


def test_redirect_loop_is_refused(loopback: LoopbackServer) -> None:
    """/a -> /b -> /a fails as too_many_redirects without hammering the server."""
    loopback.redirect_loop("/a", "/b")
    error = fetch_error(loopback.url("/a"))
    assert error.kind is FailureKind.TOO_MANY_REDIRECTS
    assert len(loopback.requests) == 2


def test_redirect_chain_longer_than_cap_is_refused(loopback: LoopbackServer) -> None:
    """More hops than max_redirects fails; exactly max_redirects hops succeeds."""
    loopback.route("/end", CannedResponse(body=b"end"))
    loopback.redirect_chain([f"/r{i}" for i in range(3)], "/end")
    three = HttpSettings(max_redirects=3, per_host_min_delay=0)
    two = HttpSettings(max_redirects=2, per_host_min_delay=0)
    assert fetch(loopback.url("/r0"), three).body == b"end"
    assert fetch_error(loopback.url("/r0"), two).kind is FailureKind.TOO_MANY_REDIRECTS


@pytest.mark.parametrize("status", [301, 308])
def test_permanent_redirect_is_recorded(loopback: LoopbackServer, status: int) -> None:
    """A 301/308 chain reports the new URL and the final URL."""
    loopback.route("/new.xml", CannedResponse(body=FEED))
    loopback.redirect("/old.xml", "/new.xml", status=status)  # relative Location
    response = fetch(loopback.url("/old.xml"))
    assert response.permanent_redirect == loopback.url("/new.xml")
    assert response.final_url == loopback.url("/new.xml")
    assert response.url == loopback.url("/old.xml")
    assert response.body == FEED


def test_temporary_redirect_is_not_permanent(loopback: LoopbackServer) -> None:
    """302/307 are followed but do not move the source."""
    loopback.route("/new", CannedResponse(body=b"x"))
    loopback.redirect("/t1", "/t2", status=307)
    loopback.redirect("/t2", "/new", status=302)
    response = fetch(loopback.url("/t1"))
    assert response.permanent_redirect is None
    assert response.final_url == loopback.url("/new")


def test_permanent_then_temporary_records_only_the_permanent_hop(loopback: LoopbackServer) -> None:
    """301 to /b then 302 to /c moves the source to /b, not to /c."""
    loopback.route("/c", CannedResponse(body=b"x"))
    loopback.redirect("/a", "/b", status=301)
    loopback.redirect("/b", "/c", status=302)
    assert fetch(loopback.url("/a")).permanent_redirect == loopback.url("/b")


def test_temporary_then_permanent_does_not_move_the_source(loopback: LoopbackServer) -> None:
    """302 then 301: the source URL itself was only temporarily elsewhere."""
    loopback.route("/c", CannedResponse(body=b"x"))
    loopback.redirect("/a", "/b", status=302)
    loopback.redirect("/b", "/c", status=301)
    assert fetch(loopback.url("/a")).permanent_redirect is None


def test_redirect_to_other_scheme_is_blocked(loopback: LoopbackServer) -> None:
    """A Location of file:// is never followed."""
    loopback.redirect("/evil", "file:///etc/passwd")
    error = fetch_error(loopback.url("/evil"))
    assert error.kind is FailureKind.BLOCKED
    assert error.url == "file:///etc/passwd"


def test_redirect_without_location_is_a_protocol_error(loopback: LoopbackServer) -> None:
    """A 302 with no Location header cannot be followed."""
    loopback.route("/r", CannedResponse(status=302))
    error = fetch_error(loopback.url("/r"))
    assert (error.kind, error.status) == (FailureKind.PROTOCOL, 302)


def test_validators_follow_redirects(loopback: LoopbackServer) -> None:
    """Conditional headers are sent to the redirect target too, where the ETag came from."""
    loopback.redirect("/a", "/b")
    loopback.route("/b", CannedResponse(status=304, content_type=None))
    assert fetch(loopback.url("/a"), etag='"e"').not_modified
    assert [r.header("If-None-Match") for r in loopback.requests] == ['"e"', '"e"']


# -- connection failures and the peer hook ------------------------------------------------------


def test_connection_refused_is_connect_failure() -> None:
    """A closed port on 127.0.0.1 fails as connect."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert fetch_error(f"http://127.0.0.1:{port}/").kind is FailureKind.CONNECT


def test_tls_failure_is_classified(loopback: LoopbackServer) -> None:
    """https:// to a plain-HTTP server fails as tls."""
    url = loopback.url("/").replace("http://", "https://")
    assert fetch_error(url).kind is FailureKind.TLS


def test_dns_failure_is_classified() -> None:
    """A ConnectError caused by getaddrinfo failing is classified dns (no resolver involved)."""
    try:
        try:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError(str(exc)) from exc
    except httpx.ConnectError as exc:
        error = classify_transport_error(exc, "http://nowhere.invalid/")
    assert error.kind is FailureKind.DNS


def test_certificate_error_is_tls() -> None:
    """A certificate verification failure down the cause chain is classified tls."""
    try:
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed")
        except ssl.SSLError as exc:
            raise httpx.ConnectError(str(exc)) from exc
    except httpx.ConnectError as exc:
        error = classify_transport_error(exc, "https://x.example/")
    assert error.kind is FailureKind.TLS


def test_peer_check_sees_the_connected_address(loopback: LoopbackServer) -> None:
    """The hook vets the resolved address before connecting, then the connected peer."""
    loopback.route("/", CannedResponse(body=b"ok"))
    seen: list[tuple[str, object]] = []

    def allow(host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        seen.append((host, address))
        return None

    assert fetch(loopback.url("/"), peer_check=allow).body == b"ok"
    assert seen == [("127.0.0.1", ipaddress.ip_address("127.0.0.1"))] * 2


def test_peer_check_refusal_blocks_before_any_request(loopback: LoopbackServer) -> None:
    """A refused peer fails as blocked and the server never receives a request."""
    loopback.route("/", CannedResponse(body=b"ok"))
    error = fetch_error(loopback.url("/"), peer_check=lambda host, address: "loopback refused")
    assert error.kind is FailureKind.BLOCKED
    assert error.url == loopback.url("/")
    assert "loopback refused" in str(error)
    assert loopback.requests == []


@pytest.mark.parametrize(
    "url",
    ["http://[::1", "http://a:99999/", "http://", "http:///path", "http://xn--/", "http://\x00/"],
)
def test_malformed_urls_fail_as_protocol_errors(url: str) -> None:
    """Broken links from feeds raise FetchError(protocol), never a bare ValueError."""
    assert fetch_error(url).kind is FailureKind.PROTOCOL


def test_malformed_location_is_a_protocol_error(loopback: LoopbackServer) -> None:
    """A redirect to an unparseable URL fails as protocol."""
    loopback.redirect("/r", "http://[::1")
    assert fetch_error(loopback.url("/r")).kind is FailureKind.PROTOCOL


def test_non_http_scheme_is_blocked() -> None:
    """ftp:// and friends are refused without any I/O."""
    assert fetch_error("ftp://127.0.0.1/feed").kind is FailureKind.BLOCKED


# -- per-host limits ----------------------------------------------------------------------------


def test_per_host_concurrency_is_respected(loopback: LoopbackServer) -> None:
    """Six parallel fetches to one host with a limit of 2 never overlap more than two at once."""
    loopback.route("/slow", CannedResponse(body=b"x", delay=0.3))
    settings = HttpSettings(per_host_concurrency=2, per_host_min_delay=0)

    async def go() -> list[FetchResponse]:
        fetcher = Fetcher(settings)
        try:
            return await asyncio.gather(*(fetcher.fetch(loopback.url("/slow")) for _ in range(6)))
        finally:
            await fetcher.aclose()

    assert len(asyncio.run(go())) == 6
    assert len(loopback.requests) == 6
    # == rather than <=: the limit must also be reached, or the test proves nothing.
    assert loopback.max_concurrent == 2


class FakeTime:
    """A monotonic clock that stands still unless a test moves it; sleeps are only recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


def run_in_slots(limiter: HostLimiter, hosts: list[str]) -> None:
    """Enter and leave a slot for each host, all concurrently."""

    async def one(host: str) -> None:
        async with limiter.slot(host):
            await asyncio.sleep(0)

    async def go() -> None:
        await asyncio.gather(*(one(h) for h in hosts))

    asyncio.run(go())


def test_min_delay_queues_request_starts_per_host() -> None:
    """Three concurrent requests to one host start 0, 2 and 4 s out; another host waits 0."""
    fake = FakeTime()
    limiter = HostLimiter(concurrency=10, min_delay=2.0, clock=fake.clock, sleep=fake.sleep)
    run_in_slots(limiter, ["a", "b", "a", "a"])
    assert fake.sleeps == [2.0, 4.0]


def test_min_delay_already_elapsed_means_no_wait() -> None:
    """A request after the spacing has passed starts at once."""
    fake = FakeTime()
    limiter = HostLimiter(concurrency=1, min_delay=2.0, clock=fake.clock, sleep=fake.sleep)
    run_in_slots(limiter, ["a"])
    fake.now += 2.0
    run_in_slots(limiter, ["a"])
    assert fake.sleeps == []
    fake.now += 1.5
    run_in_slots(limiter, ["a"])
    assert fake.sleeps == [pytest.approx(0.5)]


def test_idle_hosts_are_forgotten() -> None:
    """After many distinct hosts, idle ones are pruned so memory does not grow for months."""
    fake = FakeTime()
    limiter = HostLimiter(concurrency=1, min_delay=1.0, clock=fake.clock, sleep=fake.sleep)
    for i in range(2000):
        fake.now += 1.0
        run_in_slots(limiter, [f"host{i}.example"])
    assert len(limiter) <= 513


def test_fetcher_spaces_requests_to_one_host(loopback: LoopbackServer) -> None:
    """Two fetches to one host through the Fetcher wait min_delay between them (fake clock)."""
    loopback.route("/", CannedResponse(body=b"ok"))
    fake = FakeTime()
    settings = HttpSettings(per_host_min_delay=30.0)

    async def go() -> None:
        fetcher = Fetcher(settings, clock=fake.clock, sleep=fake.sleep)
        try:
            await fetcher.fetch(loopback.url("/"))
            await fetcher.fetch(loopback.url("/"))
        finally:
            await fetcher.aclose()

    asyncio.run(go())
    assert fake.sleeps == [30.0]
    assert len(loopback.requests) == 2


# -- the decoder on its own ---------------------------------------------------------------------


def chunks_of(data: bytes, sizes: list[int]) -> list[bytes]:
    """Split ``data`` at the given chunk sizes (cycled), as a network would."""
    out, i, k = [], 0, 0
    while i < len(data):
        step = max(1, sizes[k % len(sizes)])
        out.append(data[i : i + step])
        i, k = i + step, k + 1
    return out


@given(
    data=st.binary(max_size=4000),
    coding=st.sampled_from(["gzip", "deflate", "br", "raw-deflate", "identity", "gzip, br"]),
    sizes=st.lists(st.integers(1, 700), min_size=1, max_size=5),
)
def test_decoder_round_trips_any_chunking(data: bytes, coding: str, sizes: list[int]) -> None:
    """Whatever the coding and however the wire splits it, the original bytes come out."""
    if coding == "raw-deflate":
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        wire, header = packer.compress(data) + packer.flush(), "deflate"
    elif coding == "gzip, br":
        wire, header = compress(compress(data, "gzip"), "br"), coding
    elif coding == "identity":
        wire, header = data, coding
    else:
        wire, header = compress(data, coding), coding
    decoder = BoundedDecoder(header, limit=max(len(data), 1), url="u")
    for piece in chunks_of(wire, sizes):
        decoder.feed(piece)
    assert decoder.finish() == data


def test_decoder_limit_is_exact() -> None:
    """A body of exactly the limit passes; one byte more fails."""
    data = b"a" * 5000
    ok = BoundedDecoder("gzip", limit=5000, url="u")
    ok.feed(compress(data, "gzip"))
    assert ok.finish() == data
    over = BoundedDecoder("gzip", limit=4999, url="u")
    with pytest.raises(FetchError) as info:
        over.feed(compress(data, "gzip"))
        over.finish()
    assert info.value.kind is FailureKind.TOO_LARGE


def test_decoder_concatenated_gzip_members() -> None:
    """RFC 1952 allows several gzip members back to back; all are decoded."""
    decoder = BoundedDecoder("gzip", limit=100, url="u")
    decoder.feed(gzip.compress(b"first ", mtime=0) + gzip.compress(b"second", mtime=0))
    assert decoder.finish() == b"first second"


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_decoder_rejects_truncated_and_corrupt_streams(coding: str) -> None:
    """Cut-off or garbage compressed data is a protocol error, not silently short text."""
    wire = compress(b"some article text " * 100, coding)
    for broken in (wire[: len(wire) // 2], b"\x00garbage" * 10):
        decoder = BoundedDecoder(coding, limit=10_000, url="u")
        with pytest.raises(FetchError) as info:
            decoder.feed(broken)
            decoder.finish()
        assert info.value.kind is FailureKind.PROTOCOL


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_decoder_memory_stays_bounded_on_a_bomb(coding: str) -> None:
    """Decoding a 50 MB bomb with a 1 MB cap peaks below 2 MB (the cap plus one decode step)."""
    wire = bomb(coding, 50_000_000).body
    decoder = BoundedDecoder(coding, limit=1_000_000, url="u")
    tracemalloc.start()
    try:
        with pytest.raises(FetchError):
            for piece in chunks_of(wire, [65536]):
                decoder.feed(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


# -- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total_timeout", 0),
        ("read_timeout", -1.0),
        ("max_body_bytes", 0),
        ("per_host_concurrency", 0),
        ("max_redirects", -1),
        ("per_host_min_delay", float("nan")),
        ("allow_networks", ("10.0.0.0/33",)),
        ("contact_url", "ftp://x"),
    ],
)
def test_invalid_settings_name_their_key(field: str, value: object) -> None:
    """A bad [http] value is refused at construction with the http.<field> key."""
    with pytest.raises(ConfigError) as info:
        HttpSettings(**{field: value})  # type: ignore[arg-type]
    assert info.value.key == f"http.{field}"


def test_allow_networks_are_parsed() -> None:
    """CIDR strings become ip_network objects for the guard."""
    settings = HttpSettings(allow_networks=("127.0.0.0/8", "::1/128"))
    assert settings.networks == (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )


def test_brotli_supports_bounded_output() -> None:
    """The installed brotli has output_buffer_limit, without which br bombs are not bounded."""
    assert brotli.Decompressor().process(b"", output_buffer_limit=1) == b""


def test_refused_address_is_never_connected_to() -> None:
    """A refused address is refused before any connection attempt: no port-state oracle."""
    import socket

    attempts: list[str] = []

    def refuse(host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        attempts.append(str(address))
        return "internal address"

    with socket.socket() as listener:  # a port that accepts, to see whether anything connects
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        with pytest.raises(FetchError) as info:
            fetch(f"http://127.0.0.1:{port}/", peer_check=refuse)
        assert info.value.kind is FailureKind.BLOCKED
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing ever connected
    assert attempts == ["127.0.0.1"]
