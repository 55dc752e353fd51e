"""The one exception tree of ingest.

    IngestError
    ├── ConfigError          a config file, key or value is wrong (carries file and key)
    │   ├── ConfigErrors     several of them, found in one pass
    │   └── OpmlError        an OPML file to import is unreadable or names a bad feed
    ├── FetchError           an HTTP fetch failed; ``kind`` classifies it (dns, tls, timeout, ...)
    ├── FeedParseError       bytes that should be a feed are not one
    ├── ExtractionError      a page yielded no usable article text
    ├── StoreError           the database refused or failed (locked, full, corrupt)
    │   ├── BackupError      a backup could not be written or did not verify
    │   └── UnitOfWorkError  a unit of work was nested, or used from another task (an await)
    ├── AlertError           an alert target could not be reached or refused delivery
    ├── ServerError          the ops endpoint (/healthz, /metrics) could not start
    └── ClusterError         the cluster's job queue (PostgreSQL) is unreachable or unusable

Third-party exceptions are mapped at the boundary (``raise FetchError(...) from exc``) so the
rest of the code only ever catches these.
"""

from __future__ import annotations

from enum import StrEnum


class IngestError(Exception):
    """Base of every error ingest raises on purpose."""


class ConfigError(IngestError):
    """A configuration problem, located by file and key."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        self.message = message  # without the file and key, for re-locating the error
        where = ": ".join(part for part in (file, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class ConfigErrors(ConfigError):
    """Several problems of one configuration, all found in one pass (``ingest check-config``
    lists them all); ``errors`` holds each one, in the order of the file's tables."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = tuple(errors)
        super().__init__(
            "\n".join(str(e) for e in self.errors), file=errors[0].file, key=errors[0].key
        )


class FailureKind(StrEnum):
    """Why a fetch failed; shown in ``ingest sources`` and counted in metrics."""

    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    HTTP_4XX = "http_4xx"
    RATE_LIMITED = "http_429"
    HTTP_5XX = "http_5xx"
    GONE = "http_410"
    PARSE = "parse"
    BLOCKED = "blocked"
    PROTOCOL = "protocol"
    INTERNAL = "internal"  # a bug met on this source's input: logged with its traceback


class FetchError(IngestError):
    """A fetch that did not produce a usable response."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        kind: FailureKind,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.url = url
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"{kind.value}: {message} ({url})")


class OpmlError(ConfigError):
    """An OPML file cannot be imported; ``key`` locates the outline when there is one."""


class FeedParseError(IngestError):
    """The body could not be read as RSS or Atom."""

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(f"parse: {message} ({url})")


class ExtractionError(IngestError):
    """No article text could be extracted from a page."""


class StoreError(IngestError):
    """The database failed: locked, full, or refused a write."""


class BackupError(StoreError):
    """``ingest backup`` could not write a verified copy (target exists, copy failed checks)."""


class UnitOfWorkError(StoreError):
    """A unit of work was misused: opened inside another one, required but not open, or touched
    from another asyncio task while open (a transaction held across an ``await``)."""


class AlertError(IngestError):
    """An alert could not be delivered to a target."""


class ServerError(IngestError):
    """The ops HTTP endpoint could not start (address in use, no permission)."""


class ClusterError(IngestError):
    """``ingest worker``: the job queue's database cannot be reached, set up or read."""
