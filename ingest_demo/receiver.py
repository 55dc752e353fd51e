"""A webhook receiver on 127.0.0.1 for ``ingest demo``: records what arrives and checks each
signature the way a receiver would (Standard Webhooks v1, standard library only, not with
ingest's own signing code), so the demo shows what an operator's endpoint would see.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


def new_secret() -> str:
    """A fresh ``whsec_`` secret (24 random bytes), as docs/alerts.md tells operators to make."""
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """True when one of the ``v1,`` signatures is the HMAC-SHA256 of ``id.timestamp.body``."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers.get('webhook-id', '')}.{headers.get('webhook-timestamp', '')}.".encode()
    expected = base64.b64encode(hmac.new(key, signed + body, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, sig.split(",", 1)[1])
        for sig in headers.get("webhook-signature", "").split()
        if sig.startswith("v1,")
    )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST as received: lower-cased headers, the raw body, the verification result."""

    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def document(self) -> Any:
        return json.loads(self.body)


def summary(finding: dict[str, Any]) -> str:
    """``AI investment commitment: 380 billion yuan -> 480 billion yuan (Harbour Ledger)``."""
    label = finding.get("metric_label") or finding.get("metric") or "figure"
    if finding.get("subject"):
        label = f"{finding['subject']}: {label}"
    if finding.get("period"):
        label = f"{label} ({finding['period']})"
    figure = finding.get("figure")
    new = figure["text"] if figure else "(removed)"
    source = (figure or {}).get("source") or "?"
    old = " / ".join(dict.fromkeys(str(p.get("text")) for p in finding.get("previous") or ()))
    return f"{label}: {old} -> {new} ({source})" if old else f"{label}: {new} ({source})"


@dataclass
class _State:
    secret: str
    received: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the demo prints what it received itself."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        state = self.server.state
        with state.lock:
            state.received.append(Delivery(headers, body, verify(state.secret, headers, body)))
        self.send_response(204)
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: _State) -> None:
        self.state = state
        super().__init__(("127.0.0.1", 0), _Handler)


class WebhookReceiver:
    """``with WebhookReceiver(secret) as hook:`` serves on ``hook.url`` until the block ends."""

    def __init__(self, secret: str) -> None:
        self._state = _State(secret)
        self._server = _Server(self._state)
        self._seen = 0
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}/hooks/ingest"

    def __enter__(self) -> WebhookReceiver:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def take_new(self) -> list[Delivery]:
        """What arrived since the last call, in arrival order."""
        with self._state.lock:
            new = self._state.received[self._seen :]
            self._seen = len(self._state.received)
        return new
