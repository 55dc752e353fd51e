"""The ops endpoint: ``/healthz`` and ``/metrics`` on the daemon's own asyncio loop.

Why ``asyncio.start_server`` with a small HTTP/1.1 handler rather than prometheus_client's WSGI
server in a thread: the health check reads the daemon's state (last tick, tick in progress) and
the gauges read the store, and the store's sqlite3 connection may only be used from the thread
that opened it. Serving on the loop keeps every read on that thread with no locking, adds no
dependency, and stops with the daemon. The handler answers one request per connection
(``Connection: close``), which is all Prometheus, Docker and curl need, and bounds what it
reads (header size, time) so a stuck client cannot hold it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from ingest.errors import IngestError, ServerError, StoreError
from ingest.models import utcnow
from ingest.ops.health import HealthInputs, assess, latest
from ingest.ops.metrics import Metrics
from ingest.ops.settings import ServerSettings
from ingest.store.interfaces import OpsQueries
from ingest.store.ops import SourceSummary

log = logging.getLogger("ingest.ops.server")

MAX_HEAD_BYTES = 16 * 1024
READ_TIMEOUT_S = 5.0
WRITE_PROBE_TIMEOUT_S = 2.0


class Watched(Protocol):
    """The daemon as the health check sees it (``ingest.daemon.Daemon`` fits)."""

    @property
    def last_tick(self) -> datetime | None: ...

    @property
    def last_success(self) -> datetime | None: ...

    @property
    def tick_running(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content_type: str
    body: bytes


_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


def _text(status: int, message: str) -> Response:
    return Response(status, "text/plain; charset=utf-8", (message + "\n").encode())


class OpsServer:
    """Serves ``/healthz`` and ``/metrics``; ``await start()`` then ``await aclose()``."""

    def __init__(
        self,
        settings: ServerSettings,
        *,
        store: OpsQueries,
        metrics: Metrics,
        daemon: Watched,
        tick_seconds: float,
        clock: Callable[[], datetime] = utcnow,
        probe_timeout_s: float = WRITE_PROBE_TIMEOUT_S,
    ) -> None:
        from prometheus_client import CollectorRegistry

        from ingest.ops.prometheus import PrometheusMetrics, StoreCollector

        self.settings = settings
        self.store = store
        self.daemon = daemon
        self.tick_seconds = tick_seconds
        self.clock = clock
        self.probe_timeout_s = probe_timeout_s
        self.started_at = clock()
        # Counters live in the metrics object the pipeline feeds; without one (the no-op), the
        # endpoint still serves the store's gauges.
        self.registry = (
            metrics.registry
            if isinstance(metrics, PrometheusMetrics)
            else CollectorRegistry(auto_describe=True)
        )
        self.registry.register(StoreCollector(store, daemon))
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        host = self._server.sockets[0].getsockname()[0] if self._server else "?"
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        host, port = self.settings.address
        try:
            self._server = await asyncio.start_server(
                self._serve, host, port, limit=MAX_HEAD_BYTES, reuse_address=True
            )
        except OSError as exc:
            raise ServerError(f"cannot listen on {self.settings.listen}: {exc.strerror}") from exc
        log.info("ops endpoint listening on %s (/healthz, /metrics)", self.url)

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> OpsServer:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # -- HTTP -----------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, response = await self._respond(reader)
            head = (
                f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Error')}\r\n"
                f"Content-Type: {response.content_type}\r\n"
                f"Content-Length: {len(response.body)}\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
            ).encode("latin-1")
            writer.write(head if method == "HEAD" else head + response.body)
            await writer.drain()
        except ConnectionError:
            pass  # the client went away; nothing to answer
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _respond(self, reader: asyncio.StreamReader) -> tuple[str, Response]:
        try:
            raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_S)
        except TimeoutError:
            return "GET", _text(408, "request timeout")
        except asyncio.LimitOverrunError:
            return "GET", _text(431, "request head too large")
        except asyncio.IncompleteReadError:
            return "GET", _text(400, "incomplete request")
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return "GET", _text(400, "bad request line")
        method, target, _version = parts
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if method not in ("GET", "HEAD"):
            return "GET", _text(405, "only GET and HEAD")
        path = urlsplit(target).path
        if path == "/healthz":
            return method, await self.healthz()
        if path == "/metrics":
            return method, self.metrics(headers.get("accept", ""))
        if path == "/":
            return method, _text(200, "ingest ops endpoint: /healthz /metrics")
        return method, _text(404, "not found: try /healthz or /metrics")

    # -- endpoints ------------------------------------------------------------------------

    async def healthz(self) -> Response:
        """200 or 503 with a JSON body that says which check failed and why."""
        db_error = await asyncio.to_thread(
            self.store.probe_writable, timeout_s=self.probe_timeout_s
        )
        summary: SourceSummary | None = None
        try:
            summary = self.store.source_summary()
        except StoreError as exc:
            db_error = db_error or str(exc)
        last_success = latest(self.daemon.last_success, summary.last_success if summary else None)
        enabled = 0
        if summary is not None:
            enabled = summary.total - summary.by_status.get("disabled", 0)
        verdict = assess(
            HealthInputs(
                now=self.clock(),
                started_at=self.started_at,
                tick_seconds=self.tick_seconds,
                last_tick=self.daemon.last_tick,
                tick_running=self.daemon.tick_running,
                last_success=last_success,
                enabled_sources=enabled,
                db_error=db_error,
                max_poll_age=self.settings.max_poll_age,
            )
        )
        body = json.dumps(verdict.as_json(), indent=2).encode()
        return Response(verdict.status_code, "application/json", body)

    def metrics(self, accept: str) -> Response:
        from prometheus_client.exposition import choose_encoder

        encoder, content_type = choose_encoder(accept)
        try:
            return Response(200, content_type, encoder(self.registry))
        except IngestError as exc:
            # The store's gauges could not be read (locked, corrupt): say so rather than serve
            # a partial scrape Prometheus would take for real zeros.
            log.warning("metrics scrape failed: %s", exc)
            return _text(503, f"metrics unavailable: {exc}")


async def start_ops_server(
    settings: ServerSettings,
    *,
    store: OpsQueries,
    metrics: Metrics,
    daemon: Watched,
    tick_seconds: float,
    clock: Callable[[], datetime] = utcnow,
) -> OpsServer | None:
    """Start the endpoint when ``[server] listen`` is set; None (and nothing bound) otherwise."""
    if not settings.enabled:
        return None
    server = OpsServer(
        settings,
        store=store,
        metrics=metrics,
        daemon=daemon,
        tick_seconds=tick_seconds,
        clock=clock,
    )
    await server.start()
    return server
