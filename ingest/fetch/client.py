"""The fetcher: one shared ``httpx.AsyncClient``, our own redirect loop, capped streamed bodies.

Redirects are followed here rather than by httpx so that every hop goes through the per-host
limiter, the scheme check and (issue 6) the peer-address guard, and so that we can tell whether
the whole chain was permanent. Every connection's peer address passes through ``peer_check``
after DNS and before a byte of the request is sent, which is the hook the SSRF guard plugs into.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import httpcore
import httpx

from ingest.errors import FailureKind, FetchError
from ingest.fetch.decode import SUPPORTED_ENCODINGS, BoundedDecoder
from ingest.fetch.headers import parse_cache_control_max_age, parse_expires, parse_retry_after
from ingest.fetch.limiter import Clock, HostLimiter, Sleep, SlotLimiter
from ingest.fetch.settings import ACCEPT_ANY, FetchResponse, HttpSettings

__all__ = ["Fetcher", "PeerCheck", "classify_transport_error"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
PeerCheck = Callable[[str, IPAddress], str | None]
"""``(host, peer address) -> refusal reason or None``; called for every new connection."""

# RFC 9110 §15.4: the redirect statuses that carry a Location to follow. 301 and 308 are the
# permanent ones (§15.4.2, §15.4.9); 304 is not a redirect but "use what you have".
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True)
class _Hop:
    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    peer: str | None


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Wraps httpcore's backend to vet every address before and after connecting.

    The name is resolved here and each address is checked before a connection is attempted, so
    a refused address is never connected to (no port-state oracle, no SYN to an internal host);
    the connection is then made to the checked address itself, not to a second DNS answer, so
    DNS rebinding (resolve public, connect private) cannot slip past. The connected peer is
    checked again as a second guard.
    """

    def __init__(self, inner: httpcore.AsyncNetworkBackend, check: PeerCheck) -> None:
        self._inner = inner
        self._check = check

    async def _addresses(self, host: str, port: int) -> list[str]:
        try:
            return [ipaddress.ip_address(host.strip("[]")).compressed]
        except ValueError:
            pass
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            # httpx maps httpcore's ConnectError; the gaierror below it says "DNS".
            raise httpcore.ConnectError(f"DNS lookup failed: {exc}") from exc
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        refusals: list[str] = []
        allowed: list[str] = []
        for address in await self._addresses(host, port):
            reason = self._check(host, ipaddress.ip_address(address))
            if reason is None:
                allowed.append(address)
            else:
                refusals.append(reason)
        if not allowed:
            reason = refusals[0] if refusals else f"{host} has no address"
            raise FetchError(reason, url=f"//{host}:{port}", kind=FailureKind.BLOCKED)
        last_error: Exception | None = None
        for address in allowed:
            try:
                stream = await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            peer = stream.get_extra_info("server_addr")
            try:
                check = self._check(host, ipaddress.ip_address(peer[0])) if peer else None
                reason = check if peer else "no peer address"
            except ValueError:
                reason = f"unparseable peer address {peer!r}"
            if reason is not None:
                await stream.aclose()
                raise FetchError(reason, url=f"//{host}:{port}", kind=FailureKind.BLOCKED)
            return stream
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        raise FetchError("unix sockets are never fetched", url=path, kind=FailureKind.BLOCKED)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def classify_transport_error(exc: BaseException, url: str) -> FetchError:
    """Map an httpx/transport exception to a classified :class:`FetchError` for ``url``."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return FetchError(f"timed out: {exc}", url=url, kind=FailureKind.TIMEOUT)
    # The root cause sits down the __cause__ chain (httpx <- httpcore <- OSError).
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return FetchError(f"DNS lookup failed: {cause}", url=url, kind=FailureKind.DNS)
        if isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return FetchError(f"TLS failed: {cause}", url=url, kind=FailureKind.TLS)
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError | httpx.NetworkError):
        return FetchError(f"connection failed: {exc}", url=url, kind=FailureKind.CONNECT)
    return FetchError(f"protocol error: {exc!r}", url=url, kind=FailureKind.PROTOCOL)


def _status_error(hop: _Hop, retry_after: float | None) -> FetchError:
    status = hop.status
    if status == 410:
        # RFC 9110 §15.5.11: gone for good; the caller disables the source.
        kind = FailureKind.GONE
    elif status == 429:
        kind = FailureKind.RATE_LIMITED  # RFC 6585 §4
    elif status >= 500:
        kind = FailureKind.HTTP_5XX
    elif status >= 400:
        kind = FailureKind.HTTP_4XX
    else:
        kind = FailureKind.PROTOCOL  # 1xx leaking through, or a 3xx without a Location
    return FetchError(
        f"HTTP {status}", url=hop.url, kind=kind, status=status, retry_after=retry_after
    )


def _first(headers: httpx.Headers, name: str) -> str | None:
    # httpx joins repeated fields with ", ", which mangles HTTP dates (they contain commas).
    # RFC 9111 §4.2.1: with several values for a field like Expires, use the first.
    values = headers.get_list(name)
    return values[0] if values else None


def _media_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        name, _, arg = param.partition("=")
        if name.strip().lower() == "charset":
            charset = arg.strip().strip('"').lower() or None
    return media.strip().lower() or None, charset


class Fetcher:
    """Fetches URLs over one shared ``httpx.AsyncClient``; build once, ``await aclose()`` at exit.

    ``transport`` replaces the network (unit tests); ``peer_check`` vets every connection (the
    SSRF guard, issue 6) and is ignored when a transport is given. ``clock``/``sleep`` drive the
    per-host spacing and ``elapsed``; ``now`` is used for Retry-After dates and Expires.
    ``limiter`` replaces the per-process :class:`HostLimiter` (``ingest worker`` passes one
    that holds the limits across the cluster).
    """

    def __init__(
        self,
        settings: HttpSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        peer_check: PeerCheck | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        limiter: SlotLimiter | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._now = now
        self.limiter: SlotLimiter = limiter or HostLimiter(
            concurrency=settings.per_host_concurrency,
            min_delay=settings.per_host_min_delay,
            clock=clock,
            sleep=sleep,
        )
        if transport is None:
            # trust_env=False: a proxy taken from the environment would hide the real peer
            # address from peer_check and send our traffic somewhere the config never named.
            http_transport = httpx.AsyncHTTPTransport(trust_env=False, retries=0)
            if peer_check is not None:
                pool = http_transport._pool
                if not isinstance(pool, httpcore.AsyncConnectionPool):  # pragma: no cover
                    raise TypeError("unexpected httpx transport pool; peer_check cannot attach")
                # httpx has no public hook for the network backend (httpx pinned < 0.29).
                pool._network_backend = _GuardedBackend(pool._network_backend, peer_check)
            transport = http_transport
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.total_timeout,
            ),
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": SUPPORTED_ENCODINGS},
        )

    async def aclose(self) -> None:
        """Close the shared client and its connections."""
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = ACCEPT_ANY,
    ) -> FetchResponse:
        """GET ``url``, following up to ``max_redirects`` redirects; failures raise ``FetchError``.

        With ``etag``/``last_modified`` the request is conditional (RFC 9110 §13.1.2, §13.1.3) and
        an unchanged resource comes back as ``not_modified=True`` with an empty body.
        """
        headers = {"Accept": accept}
        # Validators go on every hop: the stored ones came from the URL that answered last time,
        # which after a temporary redirect is not the URL we start from.
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = self._clock()
        current = url
        seen = {urldefrag(url).url}
        permanent: str | None = None
        chain_permanent = True
        for _ in range(self.settings.max_redirects + 1):
            hop = await self._request(current, headers)
            if hop.status not in _REDIRECTS:
                return self._finish(url, hop, permanent, etag, last_modified, started)
            location = _first(hop.headers, "location")
            if not location:
                raise _status_error(hop, None)
            # RFC 9110 §10.2.2: Location may be relative to the URL that answered.
            try:
                target = urldefrag(urljoin(current, location.strip())).url
            except ValueError as exc:  # e.g. "http://[::1" from a hostile Location
                raise FetchError(
                    f"unusable Location {location!r}", url=url, kind=FailureKind.PROTOCOL
                ) from exc
            if chain_permanent and hop.status in _PERMANENT:
                permanent = target
            else:
                chain_permanent = False
            if target in seen:
                raise FetchError(
                    f"redirect loop back to {target}", url=url, kind=FailureKind.TOO_MANY_REDIRECTS
                )
            seen.add(target)
            current = target
        raise FetchError(
            f"more than {self.settings.max_redirects} redirects",
            url=url,
            kind=FailureKind.TOO_MANY_REDIRECTS,
        )

    def _finish(
        self,
        url: str,
        hop: _Hop,
        permanent: str | None,
        etag: str | None,
        last_modified: str | None,
        started: float,
    ) -> FetchResponse:
        now = self._now()
        h = hop.headers
        retry_after = parse_retry_after(_first(h, "retry-after"), now)
        not_modified = hop.status == 304
        if not (200 <= hop.status < 300 or not_modified):
            raise _status_error(hop, retry_after)
        media, charset = _media_type(_first(h, "content-type"))
        return FetchResponse(
            url=url,
            final_url=hop.url,
            permanent_redirect=permanent,
            status=hop.status,
            not_modified=not_modified,
            body=hop.body,
            content_type=media,
            charset=charset,
            # RFC 9111 §4.3.4: a 304 updates the stored metadata it carries and leaves the rest.
            etag=_first(h, "etag") or (etag if not_modified else None),
            last_modified=_first(h, "last-modified") or (last_modified if not_modified else None),
            cache_control_max_age=parse_cache_control_max_age(h.get("cache-control")),
            expires=parse_expires(_first(h, "expires"), date=_first(h, "date"), now=now),
            retry_after=retry_after,
            elapsed=self._clock() - started,
            peer_address=hop.peer,
        )

    async def _request(self, url: str, headers: dict[str, str]) -> _Hop:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a port outside 0-65535
        except ValueError as exc:
            raise FetchError(f"invalid URL: {exc}", url=url, kind=FailureKind.PROTOCOL) from exc
        if parts.scheme.lower() not in _SCHEMES:
            raise FetchError(
                f"scheme {parts.scheme!r} is not fetched", url=url, kind=FailureKind.BLOCKED
            )
        if not parts.hostname:
            raise FetchError("URL has no host", url=url, kind=FailureKind.PROTOCOL)
        async with self.limiter.slot(parts.hostname.lower()):
            try:
                # The total deadline covers connect, headers and every body byte of this hop:
                # read_timeout alone never fires on a server that drips a byte per second.
                async with asyncio.timeout(self.settings.total_timeout):
                    return await self._exchange(url, headers)
            except TimeoutError as exc:
                raise FetchError(
                    f"no complete response within {self.settings.total_timeout} s",
                    url=url,
                    kind=FailureKind.TIMEOUT,
                ) from exc
            except FetchError as exc:
                if exc.url == url:
                    raise
                # Raised inside the transport (peer_check), where only host:port was known.
                raise FetchError(str(exc), url=url, kind=exc.kind) from exc
            except (httpx.HTTPError, httpx.InvalidURL, httpcore.ConnectionNotAvailable) as exc:
                raise classify_transport_error(exc, url) from exc
            except ValueError as exc:
                # httpx's IDNA encoding raises UnicodeError (a ValueError) for hosts such as
                # "xn--", which feeds do contain.
                raise FetchError(f"invalid URL: {exc}", url=url, kind=FailureKind.PROTOCOL) from exc

    async def _exchange(self, url: str, headers: dict[str, str]) -> _Hop:
        request = self._client.build_request("GET", url, headers=headers)
        response = await self._client.send(request, stream=True)
        try:
            peer = None
            stream = response.extensions.get("network_stream")
            if stream is not None:
                address = stream.get_extra_info("server_addr")
                peer = str(address[0]) if address else None
            body = b""
            if 200 <= response.status_code < 300:
                body = await self._read_body(url, response)
            return _Hop(url, response.status_code, response.headers, body, peer)
        finally:
            await response.aclose()

    async def _read_body(self, url: str, response: httpx.Response) -> bytes:
        cap = self.settings.max_body_bytes
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(
                f"Content-Length {declared} exceeds {cap} bytes",
                url=url,
                kind=FailureKind.TOO_LARGE,
            )
        decoder = BoundedDecoder(
            response.headers.get("content-encoding"),
            limit=self.settings.max_decoded_bytes,
            url=url,
        )
        received = 0
        # aiter_raw: bytes as sent (chunked framing removed, content coding kept), so the wire
        # cap counts what the server made us download and the decoder sees every chunk.
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received > cap:
                raise FetchError(
                    f"body exceeds {cap} bytes on the wire", url=url, kind=FailureKind.TOO_LARGE
                )
            decoder.feed(chunk)
        return decoder.finish()
