"""Hostile peers on 127.0.0.1 for the reliability tests: raw sockets, one thread each.

``TricklePeer`` answers every connection with an endless stream sent one byte at a time,
each byte sooner than any read timeout (an HTTP status line that never ends its headers, an
SMTP greeting that never ends); ``FloodPeer`` answers HTTP with a status line and then body
bytes as fast as the socket takes them, and counts what it managed to send.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections.abc import Iterator
from typing import Self


class _Peer:
    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.connections = 0
        self.sent = 0

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Self:
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve_safely, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve_safely(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.serve(conn)
            except OSError:
                return  # the client cut the connection: what these tests want

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError


class TricklePeer(_Peer):
    """Sends ``head`` and then ``filler`` forever, one byte every ``interval`` seconds."""

    def __init__(self, head: bytes, filler: bytes, *, interval: float = 0.05, read: bool = True):
        super().__init__()
        self.head, self.filler, self.interval, self.read = head, filler, interval, read

    def _bytes(self) -> Iterator[int]:
        yield from self.head
        yield from itertools.cycle(self.filler)

    def serve(self, conn: socket.socket) -> None:
        if self.read:
            conn.settimeout(2)
            with contextlib.suppress(TimeoutError):  # a client that sends nothing first
                conn.recv(65536)
        for byte in self._bytes():
            if self._stop.wait(self.interval):
                return
            conn.sendall(bytes([byte]))
            self.sent += 1


def trickling_http() -> TricklePeer:
    """An HTTP server whose headers never end: a status line, then a header a byte at a time."""
    return TricklePeer(b"HTTP/1.1 200 OK\r\n", b"X-Wait: a\r\n")


def trickling_smtp() -> TricklePeer:
    """An SMTP server whose multi-line greeting never ends (RFC 5321 §4.2.1 ``220-``)."""
    return TricklePeer(b"", b"220-still greeting you\r\n", read=False)


class FloodPeer(_Peer):
    """Answers HTTP ``status`` with an endless body (no Content-Length), sent as fast as it goes."""

    def __init__(self, status: bytes = b"500 Internal Server Error") -> None:
        super().__init__()
        self.status = status

    def serve(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        conn.recv(65536)
        conn.settimeout(10)
        conn.sendall(b"HTTP/1.1 " + self.status + b"\r\nContent-Type: text/plain\r\n\r\n")
        chunk = b"receiver is unhappy: " + b"x" * 65_000
        while not self._stop.is_set():
            conn.sendall(chunk)
            self.sent += len(chunk)
