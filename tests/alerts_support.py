"""Test helpers for the alert tests: a webhook receiver on 127.0.0.1 that checks signatures
itself (from the Standard Webhooks spec, not with ingest's signing code), an outbox store, a
fake clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ingest.store import Store
from ingest.store.alerts import AlertQueries, create_alert_tables

SECRET = "whsec_" + base64.b64encode(b"test-secret-key-0123456789abcdef").decode()
T0 = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)


class AlertStore(Store, AlertQueries):
    """The store with the outbox, until ``Store`` itself mixes ``AlertQueries`` in."""


def open_alert_store(path: Path) -> AlertStore:
    store = AlertStore(path)
    create_alert_tables(store.conn)
    return store


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def verify_signature(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks verification, written from the spec for the tests."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = b".".join(
        [headers["webhook-id"].encode(), headers["webhook-timestamp"].encode(), body]
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split() if "," in s]
    return any(hmac.compare_digest(expected, s) for s in offered)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None

    @property
    def json(self) -> Any:
        return json.loads(self.body)


Reply = tuple[int, dict[str, str]]


@dataclass
class _State:
    secret: str | None
    received: list[Received] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)  # consumed first, then 200
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_request: Callable[[Received], None] | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        ok = None
        if state.secret and "webhook-signature" in headers:
            ok = verify_signature(state.secret, headers, body)
        got = Received(self.path, headers, body, ok)
        with state.lock:
            state.received.append(got)
            status, extra = state.replies.pop(0) if state.replies else (200, {})
        if state.on_request:
            state.on_request(got)
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, state: _State) -> None:
        self.state = state
        super().__init__(("127.0.0.1", port), _Handler)


class Receiver:
    """A webhook receiver on 127.0.0.1 that can go down and come back on the same port."""

    def __init__(self, secret: str | None = SECRET) -> None:
        self.state = _State(secret)
        self._server: _Server | None = None
        self.port = 0
        self.up()

    def up(self) -> None:
        self._server = _Server(self.port, self.state)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reply(self, *replies: Reply) -> None:
        with self.state.lock:
            self.state.replies.extend(replies)

    @property
    def received(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.received)
