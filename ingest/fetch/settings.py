"""Value objects of the fetch stage: the HTTP settings and the response it hands on."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime

from ingest import __version__
from ingest.errors import ConfigError
from ingest.settings_schema import Integer, Number, setting

__all__ = [
    "ACCEPT_ANY",
    "ACCEPT_FEED",
    "ACCEPT_HTML",
    "DEFAULT_CONTACT_URL",
    "FetchResponse",
    "HttpSettings",
    "IPNetwork",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_CONTACT_URL = "https://github.com/ingest-monitor/ingest"

# RFC 9110 §12.5.1: feed types first, generic XML a little lower, anything else last, because
# many servers label feeds text/xml or even text/html and we still want the bytes.
ACCEPT_FEED = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
ACCEPT_ANY = "*/*"

_MiB = 1024 * 1024
# The bounds [http] accepts: a timeout of an hour or a body under 1 KiB is a typo.
_SECONDS = Number(minimum=0.1, maximum=3600)
_BYTES = Integer(minimum=1024)


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpSettings:
    """How the fetcher talks HTTP. Built once from the ``[http]`` config table.

    Invalid values raise :class:`ConfigError` naming the ``http.<field>`` key.
    """

    connect_timeout: float = setting(10.0, _SECONDS)
    """Seconds to establish a connection (TCP and TLS)."""
    read_timeout: float = setting(20.0, _SECONDS)
    """Seconds to wait for any single read from the socket."""
    total_timeout: float = setting(60.0, _SECONDS)
    """Seconds one request may take from start to the last body byte; stops trickling servers."""
    max_body_bytes: int = setting(10 * _MiB, _BYTES)
    """Cap on bytes received on the wire (after chunked decoding, before content decoding)."""
    max_decoded_bytes: int = setting(40 * _MiB, _BYTES)
    """Cap on bytes after gzip/deflate/br decoding; stops decompression bombs."""
    max_redirects: int = setting(5, Integer(maximum=100))
    contact_url: str = DEFAULT_CONTACT_URL
    """Named in the User-Agent so a site operator can reach whoever runs this daemon."""
    per_host_concurrency: int = setting(2, Integer(minimum=1, maximum=100))
    """Requests in flight to one host at once, feed polls and article fetches together."""
    per_host_min_delay: float = setting(1.0, Number(maximum=3600))
    """Seconds between the starts of two requests to the same host."""
    allow_networks: tuple[str, ...] = ()
    """CIDR networks that may be fetched although private or loopback (issue 6 guard)."""

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigError(
                    f"must be a positive number of seconds, got {value!r}", key=f"http.{name}"
                )
        for name in ("max_body_bytes", "max_decoded_bytes", "per_host_concurrency"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ConfigError(f"must be a positive integer, got {value!r}", key=f"http.{name}")
        if not (isinstance(self.max_redirects, int) and self.max_redirects >= 0):
            raise ConfigError(
                f"must be a non-negative integer, got {self.max_redirects!r}",
                key="http.max_redirects",
            )
        delay = self.per_host_min_delay
        if not (isinstance(delay, int | float) and math.isfinite(delay) and delay >= 0):
            raise ConfigError(
                f"must be a non-negative number of seconds, got {delay!r}",
                key="http.per_host_min_delay",
            )
        if not self.contact_url.startswith(("http://", "https://", "mailto:")):
            raise ConfigError(
                f"must be an http(s) or mailto URL, got {self.contact_url!r}",
                key="http.contact_url",
            )
        self.networks  # noqa: B018 - validates every CIDR now, at start-up, not at first fetch

    @property
    def user_agent(self) -> str:
        """``ingest/<version> (+<contact url>)``: the product and how to reach its operator."""
        return f"ingest/{__version__} (+{self.contact_url})"

    @property
    def networks(self) -> tuple[IPNetwork, ...]:
        """``allow_networks`` parsed; the SSRF guard (issue 6) consults these."""
        parsed: list[IPNetwork] = []
        for text in self.allow_networks:
            try:
                parsed.append(ipaddress.ip_network(text, strict=False))
            except ValueError as exc:
                raise ConfigError(
                    f"not a CIDR network: {text!r}", key="http.allow_networks"
                ) from exc
        return tuple(parsed)


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResponse:
    """A successful (2xx) or not-modified (304) response, body already decoded and capped.

    Failures never arrive here; they are raised as :class:`ingest.errors.FetchError`.
    """

    url: str
    """The URL that was asked for."""
    final_url: str
    """The URL that answered, after redirects."""
    permanent_redirect: str | None
    """Where the source now lives if every redirect from ``url`` on was permanent (301/308)."""
    status: int
    not_modified: bool
    """True for a 304: nothing changed since the validators we sent."""
    body: bytes
    """Content-decoded body; empty for a 304."""
    content_type: str | None
    """Media type, lowercased, without parameters (``application/rss+xml``)."""
    charset: str | None
    """The ``charset`` parameter of Content-Type as sent, lowercased; None if absent."""
    etag: str | None
    """The ETag to send next time. For a 304 without one, the ETag we sent (still valid)."""
    last_modified: str | None
    """Last-Modified verbatim (RFC 9110 §13.1.3: echo it exactly). Kept on a 304 like etag."""
    cache_control_max_age: int | None
    """Seconds, from ``Cache-Control: max-age``."""
    expires: datetime | None
    """When the response expires on our clock (Expires corrected by the server's Date)."""
    retry_after: float | None
    """Seconds, from Retry-After if the server sent one."""
    elapsed: float
    """Seconds from the first request to the last body byte, redirects included."""
    peer_address: str | None
    """IP address of the server that answered (the connection's peer, after DNS)."""
