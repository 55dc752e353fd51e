"""Fetch stage: HTTP GET with caps, deadlines, redirects and per-host politeness.

    from ingest.fetch import Fetcher, HttpSettings

    fetcher = Fetcher(HttpSettings(contact_url="https://example.org/bot"))
    response = await fetcher.fetch(url, etag=stored_etag, accept=ACCEPT_FEED)
    await fetcher.aclose()

Failures raise :class:`ingest.errors.FetchError` with a :class:`~ingest.errors.FailureKind`.
"""

from ingest.fetch.client import Fetcher, PeerCheck, classify_transport_error
from ingest.fetch.limiter import HostLimiter
from ingest.fetch.settings import (
    ACCEPT_ANY,
    ACCEPT_FEED,
    ACCEPT_HTML,
    DEFAULT_CONTACT_URL,
    FetchResponse,
    HttpSettings,
)

__all__ = [
    "ACCEPT_ANY",
    "ACCEPT_FEED",
    "ACCEPT_HTML",
    "DEFAULT_CONTACT_URL",
    "FetchResponse",
    "Fetcher",
    "HostLimiter",
    "HttpSettings",
    "PeerCheck",
    "classify_transport_error",
]
