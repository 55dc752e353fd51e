"""Senders: the only alert code that does I/O. Each turns a :class:`Message` into one delivery
attempt and reports a :class:`SendResult`; none raises for a failed delivery, because a failure is
an expected outcome the outbox schedules around, not an error.

Error texts are built here and scrubbed of every secret the sender holds (URL tokens, HMAC secret,
SMTP login), so they can be stored, logged and printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urljoin

import httpx

from ingest.alerts.email_render import email_subject, render_email, render_text
from ingest.alerts.payload import (
    Message,
    body_bytes,
    payload,
    slack_payload,
    webhook_headers,
)
from ingest.alerts.settings import (
    AlertSettings,
    AppriseSettings,
    EmailSettings,
    WebhookSettings,
    mask_url,
)
from ingest.fetch.headers import parse_retry_after

log = logging.getLogger("ingest.alerts")

_MAX_ERROR = 300
# Of a receiver's answer we read at most this much: the status line and headers come first,
# then enough of the body for an error excerpt. A 2 GiB answer costs us 4 KiB.
MAX_ANSWER_BYTES = 4096
_EXCERPT_CHARS = 120
# Apprise has no timeout setting of its own; its plugins are given this long per attempt.
APPRISE_DEADLINE = 30.0


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one attempt. ``error`` is safe to show (no secret, URLs masked)."""

    ok: bool
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds the target asked us to wait (429/503)
    gone: bool = False  # the target no longer exists (HTTP 410): disable it
    elapsed: float = 0.0


class Sender(Protocol):
    """One alert target."""

    @property
    def name(self) -> str: ...

    @property
    def display(self) -> str: ...

    @property
    def deadline(self) -> float:
        """Seconds one attempt may take, all of it."""
        ...

    async def send(self, message: Message, *, now: datetime) -> SendResult: ...

    async def aclose(self) -> None: ...


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret replaced (URLs by their masked form), cut to a sane length."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if len(secret) >= 4:
            replacement = mask_url(secret) if "://" in secret else "***"
            text = text.replace(secret, replacement)
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


_Target = TypeVar("_Target", WebhookSettings, EmailSettings, AppriseSettings)


class _Named(Generic[_Target]):
    """What every sender shows of its target: its name in the outbox and a masked display."""

    settings: _Target

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def display(self) -> str:
        return self.settings.display

    @property
    def deadline(self) -> float:
        return float(getattr(self.settings, "timeout", APPRISE_DEADLINE))


class WebhookSender(_Named[WebhookSettings]):
    """POST JSON to a URL; Standard Webhooks signature when a secret is set.

    2xx is success. Redirects are not followed: a signed body must not be replayed to a host the
    operator did not name (and RFC 9110 §15.4 lets clients turn a redirected POST into a GET).
    410 Gone disables the target; Retry-After on 429/503 is honoured (RFC 9110 §10.2.3).
    """

    def __init__(
        self, settings: WebhookSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.settings = settings
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(settings.timeout),
            transport=transport,
            trust_env=False,  # a proxy from the environment must not see signed alerts
        )

    def _scrub(self, text: str) -> str:
        return scrub(text, (self.settings.url, self.settings.secret))

    async def send(self, message: Message, *, now: datetime) -> SendResult:
        s = self.settings
        document = slack_payload(message) if s.mode == "slack" else payload(message)
        body = body_bytes(document)
        if s.secret_missing:
            # Never send unsigned what the operator asked to have signed.
            return SendResult(
                ok=False, error=f"environment variable {s.secret_missing} is not set: not sent"
            )
        headers = webhook_headers(message, body, secret=s.secret, now=now)
        started = time.perf_counter()
        try:
            # One deadline for the whole attempt (connect, send, status, excerpt): httpx's
            # timeouts bound each read, and a receiver answering a byte at a time never
            # trips them.
            async with asyncio.timeout(s.timeout):
                async with self._client.stream(
                    "POST", s.url, content=body, headers=headers
                ) as response:
                    answer = b""
                    if not 200 <= response.status_code < 300:
                        answer = await _read_at_most(response, MAX_ANSWER_BYTES)
        except TimeoutError:
            error = f"no complete answer within {s.timeout:g} s (the deadline of one attempt)"
            return SendResult(ok=False, error=error, elapsed=time.perf_counter() - started)
        except httpx.HTTPError as exc:
            kind = type(exc).__name__
            error = self._scrub(f"{kind}: {exc}" if str(exc) else kind)
            return SendResult(ok=False, error=error, elapsed=time.perf_counter() - started)
        elapsed = time.perf_counter() - started
        status = response.status_code
        if 200 <= status < 300:
            return SendResult(ok=True, status=status, elapsed=elapsed)
        retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        if status == 410:
            error = "410 Gone: the receiver says this endpoint no longer exists; target disabled"
        elif 300 <= status < 400:
            # Resolved first: a relative Location masked as it stands reads ":///…".
            location = mask_url(urljoin(s.url, response.headers.get("location", "")))
            error = f"{status} redirect to {location} not followed: update the target URL"
        else:
            reason = response.reason_phrase or ""
            error = self._scrub(f"HTTP {status} {reason}".strip() + _excerpt(answer))
        return SendResult(
            ok=False,
            status=status,
            error=error,
            retry_after=retry_after,
            gone=status == 410,
            elapsed=elapsed,
        )

    async def aclose(self) -> None:
        await self._client.aclose()


async def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    """Up to ``limit`` bytes of the body; the rest is never read (the connection is dropped)."""
    received = b""
    async for chunk in response.aiter_raw():
        received += chunk
        if len(received) >= limit:
            break
    return received[:limit]


def _excerpt(answer: bytes) -> str:
    """``": <first words of the answer>"``, printable and short, or nothing."""
    text = " ".join(answer.decode("utf-8", errors="replace").split())
    text = "".join(ch for ch in text if ch.isprintable())
    if not text:
        return ""
    return ": " + (text if len(text) <= _EXCERPT_CHARS else text[: _EXCERPT_CHARS - 1] + "…")


def _tls_context(settings: EmailSettings) -> ssl.SSLContext:
    """Certificate and host name checked (``create_default_context``); ``ca_file``, when set,
    is the only trust anchor: a private CA replaces the system store rather than joining it, so
    a server is trusted for being on the operator's CA, not for having any public certificate."""
    return ssl.create_default_context(cafile=settings.ca_file)


def _smtp_send(settings: EmailSettings, message: Message, opened: list[smtplib.SMTP]) -> None:
    """One SMTP session. The client is put in ``opened`` before it connects, so that the
    caller can cut its socket when the attempt's deadline passes."""
    mail = render_email(message, sender=settings.sender, to=settings.to)
    context = _tls_context(settings)
    smtp: smtplib.SMTP
    if settings.security == "tls":
        smtp = smtplib.SMTP_SSL(timeout=settings.timeout, context=context)
    else:
        smtp = smtplib.SMTP(timeout=settings.timeout)
    # The name TLS checks the certificate against; smtplib sets it only from the constructor.
    smtp._host = settings.host  # type: ignore[attr-defined]
    opened.append(smtp)
    # connect() separately: the constructor would read the greeting before we hold the client.
    smtp.connect(settings.host, settings.port)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.username is not None and settings.password is not None:
            smtp.login(settings.username, settings.password)
        smtp.send_message(mail)


def _cut(opened: list[smtplib.SMTP]) -> None:
    """Shut the session's socket down: the blocked read in the worker thread returns at once."""
    for smtp in opened:
        sock = getattr(smtp, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


class DeadlineExceeded(Exception):
    """The whole attempt outlived its deadline (not one read: see :func:`run_with_deadline`)."""


async def run_with_deadline(
    work: Callable[[], None], *, seconds: float, cut: Callable[[], None]
) -> None:
    """Run blocking ``work`` in a daemon thread; after ``seconds``, call ``cut`` (which must make
    it return) and raise :class:`DeadlineExceeded`.

    A daemon thread rather than the default executor: a thread stuck past its cut (a peer
    trickling a TLS handshake) must not hold the interpreter's exit, which waits for the
    executor's threads.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if done.done():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)

    def target() -> None:
        error: BaseException | None = None
        try:
            work()
        except BaseException as exc:  # handed to the awaiting coroutine, not lost in the thread
            error = exc
        # RuntimeError: the loop is gone (the daemon stopped) and nobody waits for this.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=target, name="ingest-smtp", daemon=True).start()
    try:
        # asyncio.wait, not asyncio.timeout: the work's own socket timeouts are TimeoutErrors
        # too, and they must stay tellable from the deadline.
        await asyncio.wait({done}, timeout=seconds)
    except asyncio.CancelledError:
        cut()
        raise
    if not done.done():
        cut()
        done.cancel()
        raise DeadlineExceeded(f"not done within {seconds:g} s")
    done.result()


class EmailSender(_Named[EmailSettings]):
    """SMTP with STARTTLS, implicit TLS or (local relays only) none; login from env vars.

    smtplib blocks, so each send runs in a worker thread, under one deadline for the whole
    session (``timeout``): smtplib's own timeout bounds each read, not the session.
    """

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings

    async def send(self, message: Message, *, now: datetime) -> SendResult:
        s = self.settings
        started = time.perf_counter()
        opened: list[smtplib.SMTP] = []
        try:
            await run_with_deadline(
                lambda: _smtp_send(s, message, opened),
                seconds=s.timeout,
                cut=lambda: _cut(opened),
            )
        except DeadlineExceeded:
            error = (
                f"no complete SMTP session within {s.timeout:g} s ({s.host}:{s.port}); "
                "the connection was cut"
            )
            return SendResult(ok=False, error=error, elapsed=time.perf_counter() - started)
        except smtplib.SMTPResponseException as exc:
            error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            return SendResult(
                ok=False,
                status=exc.smtp_code,
                error=scrub(error, (s.username, s.password)),
                elapsed=time.perf_counter() - started,
            )
        except ssl.SSLCertVerificationError as exc:
            # Raised before any login is sent (STARTTLS or the implicit TLS handshake).
            trusted = f"the CA in {s.ca_file}" if s.ca_file else "the system CA store"
            error = (
                f"TLS certificate of {s.host}:{s.port} refused: {exc.verify_message} "
                f"(trusting {trusted})"
            )
            return SendResult(
                ok=False,
                error=scrub(error, (s.username, s.password)),
                elapsed=time.perf_counter() - started,
            )
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc} ({s.host}:{s.port})"
            return SendResult(
                ok=False,
                error=scrub(error, (s.username, s.password)),
                elapsed=time.perf_counter() - started,
            )
        return SendResult(ok=True, elapsed=time.perf_counter() - started)

    async def aclose(self) -> None:
        """Nothing held open: each send is one SMTP session."""


class AppriseSender(_Named[AppriseSettings]):
    """Any channel Apprise knows (Slack, Teams, Telegram, ntfy...).

    An optional extra: ``pip install ingest[apprise]``; imported only when used.
    """

    def __init__(self, settings: AppriseSettings) -> None:
        self.settings = settings

    def _bundle(self) -> Any:
        with warnings.catch_warnings():
            # Apprise's plugins import modules Python deprecates (imghdr); not ours to fix.
            warnings.simplefilter("ignore", DeprecationWarning)
            import apprise  # type: ignore[import-not-found,unused-ignore]  # optional extra

            bundle = apprise.Apprise()
            if not bundle.add(self.settings.url):
                raise ValueError("Apprise does not understand the URL")
        return bundle

    async def send(self, message: Message, *, now: datetime) -> SendResult:
        started = time.perf_counter()
        try:
            bundle = self._bundle()
            text = (
                render_text(message.findings, digest=message.is_digest)
                if message.findings
                else "Test alert from ingest: this target is configured correctly."
            )
            outcome: list[bool] = []

            def notify() -> None:
                outcome.append(bool(bundle.notify(title=email_subject(message), body=text)))

            # Nothing to cut (the plugin owns its sockets): past the deadline the thread is
            # left to its plugin's own timeouts, as a daemon thread that never holds the exit.
            await run_with_deadline(notify, seconds=APPRISE_DEADLINE, cut=lambda: None)
            ok = bool(outcome and outcome[0])
        except DeadlineExceeded:
            error = f"no answer within {APPRISE_DEADLINE:g} s (the deadline of one attempt)"
            return SendResult(ok=False, error=error, elapsed=time.perf_counter() - started)
        except ImportError:
            return SendResult(
                ok=False, error="apprise is not installed: pip install ingest[apprise]"
            )
        except Exception as exc:  # third-party plugin code: any failure is a failed send
            error = scrub(f"{type(exc).__name__}: {exc}", (self.settings.url,))
            return SendResult(ok=False, error=error, elapsed=time.perf_counter() - started)
        elapsed = time.perf_counter() - started
        return SendResult(
            ok=ok, error=None if ok else "apprise reported a failed notification", elapsed=elapsed
        )

    async def aclose(self) -> None:
        """Nothing held open."""


def build_senders(
    settings: AlertSettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> dict[str, Sender]:
    """One sender per configured target, by target name. Close them with :func:`close_senders`."""
    senders: dict[str, Sender] = {}
    for hook in settings.webhooks:
        senders[hook.name] = WebhookSender(hook, transport=transport)
    if settings.email is not None:
        senders[settings.email.name] = EmailSender(settings.email)
    for target in settings.apprise:
        senders[target.name] = AppriseSender(target)
    return senders


async def close_senders(senders: Mapping[str, Sender]) -> None:
    for sender in senders.values():
        await sender.aclose()
