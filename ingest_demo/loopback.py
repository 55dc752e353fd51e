"""A small real HTTP server on 127.0.0.1, for integration tests and the offline ``ingest demo``.

It runs a ``ThreadingHTTPServer`` in a background thread on an ephemeral port and serves routes
registered at run time: a fixed :class:`CannedResponse` or a handler called with the
:class:`RecordedRequest`. Responses can be delayed, gzip-compressed or trickled a byte at a time,
which is what the fetch layer's timeouts and caps are tested against. Every request is logged
(method, path, headers) so a test can assert what the client sent, and the server counts how many
requests it was serving at once so a test can assert a concurrency limit.

Nothing here imports pytest: the fixture lives in ``tests/loopback.py``.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

__all__ = [
    "CannedResponse",
    "Handler",
    "LoopbackServer",
    "RecordedRequest",
]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    """The request target as sent: path plus query string."""
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        """Return the first value of header ``name`` (case-insensitive), or ``None``."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class CannedResponse:
    """A response to serve. ``headers`` may repeat names; Content-Length is set unless chunked."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    gzip: bool = False
    """Compress ``body`` and send ``Content-Encoding: gzip``."""
    delay: float = 0.0
    """Seconds to wait before sending the status line (a slow server)."""
    trickle: float = 0.0
    """Seconds to wait between body bytes (a server that drips one byte at a time)."""
    precompressed: str | None = None
    """``body`` is already encoded with this Content-Encoding (e.g. a prepared bomb)."""
    chunked: bool = False
    """Send ``Transfer-Encoding: chunked`` and no Content-Length, so size is unknown upfront."""


Handler = Callable[[RecordedRequest], CannedResponse]

_CHUNK = 64 * 1024


@dataclass(slots=True)
class _State:
    routes: dict[str, CannedResponse | Handler] = field(default_factory=dict)
    log: list[RecordedRequest] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    active: int = 0
    max_active: int = 0
    sockets: set[socket.socket] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # stop() unblocks every handler itself; joining here could wait on a trickling response.
    block_on_close = False

    def __init__(self, address: tuple[str, int], state: _State) -> None:
        self.state = state
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-response is what the deadline tests do on purpose.
        import sys

        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, OSError):
            with self.state.lock:
                self.state.errors.append(exc)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do; bodies carry Content-Length
    server_version = "ingest-loopback"
    timeout = 30  # an idle keep-alive connection does not hold a thread forever
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.state.lock:
            self.server.state.sockets.add(self.connection)

    def finish(self) -> None:
        with self.server.state.lock:
            self.server.state.sockets.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the request log is kept in memory for assertions instead."""

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._serve()

    def _serve(self, *, send_body: bool = True) -> None:
        state = self.server.state
        request = RecordedRequest(self.command, self.path, tuple(self.headers.items()))
        with state.lock:
            state.log.append(request)
            state.active += 1
            state.max_active = max(state.max_active, state.active)
            route = state.routes.get(self.path) or state.routes.get(urlsplit(self.path).path)
        try:
            self._respond(request, route, send_body=send_body)
        finally:
            with state.lock:
                state.active -= 1

    def _respond(
        self, request: RecordedRequest, route: CannedResponse | Handler | None, *, send_body: bool
    ) -> None:
        stopping = self.server.state.stopping
        if route is None:
            response = CannedResponse(status=404, body=b"not found")
        elif isinstance(route, CannedResponse):
            response = route
        else:
            try:
                response = route(request)
            except Exception as exc:  # a broken test handler must show up, not hang the client
                with self.server.state.lock:
                    self.server.state.errors.append(exc)
                response = CannedResponse(status=500, body=b"handler failed")
        if response.delay and stopping.wait(response.delay):
            return
        body = gzip.compress(response.body, mtime=0) if response.gzip else response.body
        # send_response_only: a route that sets its own Date (clock-skew tests) must not get two.
        self.send_response_only(response.status)
        self.send_header("Server", self.version_string())
        if not any(name.lower() == "date" for name, _ in response.headers):
            self.send_header("Date", self.date_time_string())
        if response.content_type is not None:
            self.send_header("Content-Type", response.content_type)
        if response.gzip:
            self.send_header("Content-Encoding", "gzip")
        elif response.precompressed:
            self.send_header("Content-Encoding", response.precompressed)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not send_body or response.status in (204, 304):
            return
        if response.chunked:
            for start in range(0, len(body), _CHUNK):
                piece = body[start : start + _CHUNK]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        if not response.trickle:
            self.wfile.write(body)
            return
        for i in range(len(body)):
            self.wfile.write(body[i : i + 1])
            self.wfile.flush()
            if stopping.wait(response.trickle):
                self.close_connection = True
                return


class LoopbackServer:
    """A real HTTP/1.1 server on 127.0.0.1 with routes registered at run time.

    Use as a context manager (or ``start()``/``stop()``)::

        with LoopbackServer() as server:
            server.route("/feed.xml", CannedResponse(body=b"<rss/>"))
            fetch(server.url("/feed.xml"))
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._state = _State()
        self._server = _Server((host, port), self._state)
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Self:
        """Start serving in a background thread; returns ``self``."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"loopback-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections (trickles included) and free the port."""
        self._state.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        with self._state.lock:
            open_sockets = list(self._state.sockets)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # -- routes ----------------------------------------------------------------------------
    def route(self, path: str, response: CannedResponse | Handler) -> None:
        """Serve ``response`` at ``path`` (matched with its query first, then without)."""
        with self._state.lock:
            self._state.routes[path] = response

    def routes(self, table: Mapping[str, CannedResponse | Handler]) -> None:
        """Register several routes at once."""
        with self._state.lock:
            self._state.routes.update(table)

    def redirect(self, path: str, location: str, *, status: int = 302) -> None:
        """Answer ``path`` with a redirect to ``location`` (relative or absolute)."""
        self.route(
            path,
            CannedResponse(status=status, content_type=None, headers=(("Location", location),)),
        )

    def redirect_chain(self, paths: Iterable[str], target: str, *, status: int = 302) -> None:
        """Redirect each of ``paths`` to the next, and the last one to ``target``."""
        hops = list(paths)
        for here, there in zip(hops, [*hops[1:], target], strict=True):
            self.redirect(here, there, status=status)

    def redirect_loop(self, *paths: str, status: int = 302) -> None:
        """Redirect ``paths[0] -> paths[1] -> ... -> paths[0]`` forever."""
        self.redirect_chain(paths[:-1], paths[-1], status=status)
        self.redirect(paths[-1], paths[0], status=status)

    # -- observations ----------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._state.lock:
            return list(self._state.log)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Requests whose target, without the query string, is ``path``."""
        return [r for r in self.requests if urlsplit(r.path).path == path]

    @property
    def max_concurrent(self) -> int:
        """The largest number of requests that were being served at the same time."""
        with self._state.lock:
            return self._state.max_active

    @property
    def handler_errors(self) -> list[BaseException]:
        """Exceptions raised by route handlers (each also answered with a 500)."""
        with self._state.lock:
            return list(self._state.errors)

    def reset(self) -> None:
        """Forget the request log and the concurrency high-water mark; routes stay."""
        with self._state.lock:
            self._state.log.clear()
            self._state.max_active = self._state.active
