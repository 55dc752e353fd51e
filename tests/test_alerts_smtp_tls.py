"""Email alerts over STARTTLS and implicit TLS, with login, against real aiosmtpd servers on
127.0.0.1 whose certificates come from a throwaway CA made with ``openssl`` for each test run:
the sender trusts ``ca_file`` (instead of the system store), checks the host name, logs in with
the credentials named in the config, and refuses a server its CA did not sign without ever
sending the password."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as MailMessage
from pathlib import Path
from random import Random
from typing import Any

import pytest
from alerts_support import T0, AlertStore, open_alert_store

from ingest.alerts import AlertSettings, alert_settings, build_senders, close_senders, deliver_due
from ingest.alerts.enqueue import Alerter
from ingest.alerts.outbox import DeliveryReport
from ingest.alerts.synthetic import enqueue_synthetic
from ingest.config import parse_config
from ingest.errors import ConfigError

OPENSSL = "/usr/bin/openssl"
USER = "alerts@example.org"
# Drawn per run, so no fixed value can be found in any output; compared only as booleans below,
# so a failing assertion never prints it.
PASSWORD = "pw-" + secrets.token_urlsafe(18)
USER_ENV = "INGEST_TEST_SMTP_USER"
PASSWORD_ENV = "INGEST_TEST_SMTP_PASSWORD"

# aiosmtpd 1.4 counts only STARTTLS as TLS: on an implicit-TLS listener it neither sets
# session.ssl nor offers AUTH while auth_require_tls=True. So that server runs with
# auth_require_tls=False, and aiosmtpd warns (UserWarning, once per connection, from its own
# thread) that AUTH is required without TLS, which is false there: the socket is TLS from the first
# byte, and the tests prove it from the transport. Only that one message is ignored.
AIOSMTPD_IMPLICIT_TLS_AUTH = (
    "ignore:Requiring AUTH while not requiring TLS can lead to security vulnerabilities!"
    ":UserWarning"
)


# --- a throwaway PKI --------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    ca: Path  # the CA the sender is told to trust
    good: tuple[Path, Path]  # (cert, key) signed by ca for localhost and 127.0.0.1
    wrong_name: tuple[Path, Path]  # signed by ca, but for other.example only
    rogue: tuple[Path, Path]  # for localhost and 127.0.0.1, signed by another CA


def _openssl(*args: str | Path) -> None:
    done = subprocess.run(
        [OPENSSL, *map(str, args)], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, f"openssl {args[0]} failed: {done.stderr}"


def _make_ca(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    _openssl(
        "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN=ingest test {name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return cert, key


def _make_server_cert(
    directory: Path, name: str, ca: tuple[Path, Path], san: str
) -> tuple[Path, Path]:
    cert, key, csr = (directory / f"{name}{ext}" for ext in (".pem", ".key", ".csr"))
    extensions = directory / f"{name}.ext"
    extensions.write_text(
        f"subjectAltName = {san}\n"
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid, issuer\n"
    )
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", csr, "-subj", f"/CN={name}",
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-days", "2",
        "-set_serial", f"0x{secrets.token_hex(8)}", "-extfile", extensions, "-out", cert,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    if not Path(OPENSSL).is_file():
        pytest.skip(f"{OPENSSL} is not installed: it makes the test CA and certificates")
    directory = tmp_path_factory.mktemp("pki")
    ca = _make_ca(directory, "ca")
    other_ca = _make_ca(directory, "other-ca")
    local = "DNS:localhost, IP:127.0.0.1"
    return Pki(
        ca=ca[0],
        good=_make_server_cert(directory, "localhost", ca, local),
        wrong_name=_make_server_cert(directory, "other.example", ca, "DNS:other.example"),
        rogue=_make_server_cert(directory, "rogue", other_ca, local),
    )


# --- a real SMTP server on 127.0.0.1 ----------------------------------------------------------


@dataclass
class Login:
    mechanism: str
    login: str
    password_ok: bool  # the password itself is never kept
    over_tls: bool


@dataclass
class Delivery:
    mail: MailMessage
    authenticated: bool | None
    starttls_seen: bool  # aiosmtpd's session.ssl: set once STARTTLS completed
    tls_version: str | None  # from the connection's own SSL object


@dataclass
class Mailbox:
    port: int = 0
    logins: list[Login] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


def _tls_version(server: Any) -> str | None:
    ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
    return ssl_object.version() if ssl_object is not None else None


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.deliveries.append(
            Delivery(
                mail=message_from_bytes(envelope.content),
                authenticated=session.authenticated,
                starttls_seen=session.ssl is not None,
                tls_version=_tls_version(server),
            )
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:  # aiosmtpd's Controller cannot take port 0 itself
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def smtp_server(mode: str, cert: tuple[Path, Path]) -> Iterator[Mailbox]:
    """aiosmtpd on 127.0.0.1 that requires AUTH over TLS: STARTTLS first (``starttls``) or TLS
    from the first byte (``tls``)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = Mailbox(port=_free_port())

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        box.logins.append(
            Login(mechanism, auth_data.login.decode(), ok, _tls_version(server) is not None)
        )
        return AuthResult(success=ok, handled=False)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*cert)
    tls: dict[str, Any] = (
        {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
        if mode == "starttls"
        else {"ssl_context": context, "auth_require_tls": False}  # see AIOSMTPD_IMPLICIT_TLS_AUTH
    )
    controller = Controller(
        _Handler(box),
        hostname="127.0.0.1",
        port=box.port,
        authenticator=authenticator,
        auth_required=True,
        **tls,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


# --- the product's side -----------------------------------------------------------------------


def email_settings(port: int, security: str, **extra: Any) -> AlertSettings:
    """Settings as the loader makes them, the login read from the environment."""
    table = {
        "host": "127.0.0.1", "port": port, "security": security,
        "username_env": USER_ENV, "password_env": PASSWORD_ENV,
        "from": "ingest@example.org", "to": ["analyst@example.org"], **extra,
    }  # fmt: skip
    return alert_settings(parse_config({"alerts": {"email": table}}, file="t.toml"))


def deliver(store: AlertStore, settings: AlertSettings) -> DeliveryReport:
    async def go() -> DeliveryReport:
        senders = build_senders(settings)
        try:
            return await deliver_due(store, senders, settings, T0, rng=Random(1))
        finally:
            await close_senders(senders)

    return asyncio.run(go())


@pytest.fixture(autouse=True)
def login_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(USER_ENV, USER)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AlertStore]:
    s = open_alert_store(tmp_path / "ingest.db")
    yield s
    s.close()


def _assert_multipart_alert(mail: MailMessage) -> None:
    assert mail["To"] == "analyst@example.org" and mail["From"] == "ingest@example.org"
    assert mail["Message-ID"].startswith("<msg_")
    types = [part.get_content_type() for part in mail.walk()]
    assert types == ["multipart/alternative", "text/plain", "text/html"]
    text, html = (part.get_payload(decode=True).decode() for part in mail.get_payload())
    assert "381 billion yuan -> 481 billion yuan" in text
    assert "<table" in html and "481 billion yuan" in html


def _leaks(text: str) -> bool:
    return PASSWORD in text or PASSWORD[3:] in text


# --- tests ------------------------------------------------------------------------------------


def test_starttls_with_login_delivers(pki: Pki, store: AlertStore) -> None:
    """STARTTLS to a server signed by ca_file: login over TLS with the env credentials, mail in."""
    with smtp_server("starttls", pki.good) as box:
        settings = email_settings(box.port, "starttls", ca_file=str(pki.ca))
        store_alerts = Alerter(store, settings)
        enqueue_synthetic(store_alerts, 1, now=T0)
        report = deliver(store, settings)
    assert (report.sent, report.failed) == (1, 0)
    (login,) = box.logins
    assert (login.login, login.password_ok, login.over_tls) == (USER, True, True)
    (got,) = box.deliveries
    assert got.authenticated is True
    assert got.starttls_seen and got.tls_version in ("TLSv1.2", "TLSv1.3")
    _assert_multipart_alert(got.mail)
    assert store.list_alerts()[0].deliveries[0].status == "sent"


@pytest.mark.filterwarnings(AIOSMTPD_IMPLICIT_TLS_AUTH)
def test_implicit_tls_with_login_delivers(pki: Pki, store: AlertStore) -> None:
    """Implicit TLS (security = "tls") to a server signed by ca_file: login, mail in, encrypted."""
    with smtp_server("tls", pki.good) as box:
        settings = email_settings(box.port, "tls", ca_file=str(pki.ca))
        store_alerts = Alerter(store, settings)
        enqueue_synthetic(store_alerts, 1, now=T0)
        report = deliver(store, settings)
    assert (report.sent, report.failed) == (1, 0)
    (login,) = box.logins
    assert (login.login, login.password_ok, login.over_tls) == (USER, True, True)
    (got,) = box.deliveries
    assert got.authenticated is True and got.tls_version in ("TLSv1.2", "TLSv1.3")
    _assert_multipart_alert(got.mail)


@pytest.mark.filterwarnings(AIOSMTPD_IMPLICIT_TLS_AUTH)
@pytest.mark.parametrize("security", ["starttls", "tls"])
@pytest.mark.parametrize(
    ("server_cert", "trust_ca", "why"),
    [
        ("rogue", True, "unable to get local issuer certificate"),  # another CA signed it
        ("wrong_name", True, "mismatch"),  # our CA, but not for 127.0.0.1
        ("good", False, "unable to get local issuer certificate"),  # system store only
    ],
)
def test_untrusted_server_is_refused_before_login(
    pki: Pki,
    store: AlertStore,
    caplog: pytest.LogCaptureFixture,
    security: str,
    server_cert: str,
    trust_ca: bool,
    why: str,
) -> None:
    """A certificate not from ca_file, or not for the host, fails the delivery before any login;
    the stored error says why and holds no credential."""
    cert: tuple[Path, Path] = getattr(pki, server_cert)
    with smtp_server(security, cert) as box, caplog.at_level(logging.DEBUG, logger="ingest"):
        extra = {"ca_file": str(pki.ca)} if trust_ca else {}
        settings = email_settings(box.port, security, **extra)
        store_alerts = Alerter(store, settings)
        enqueue_synthetic(store_alerts, 1, now=T0)
        report = deliver(store, settings)
    assert (report.sent, report.failed) == (0, 1)
    assert box.logins == [] and box.deliveries == []
    (delivery,) = store.list_alerts()[0].deliveries
    error = delivery.last_error or ""
    assert delivery.status == "pending"
    assert error.startswith(f"TLS certificate of 127.0.0.1:{box.port} refused: ")
    assert why in error
    assert (str(pki.ca) in error) is trust_ca
    leaked = _leaks(error + caplog.text + repr(settings)) or USER in error
    assert not leaked, "a credential appears in the error, the logs or the settings repr"


def test_wrong_password_error_holds_no_secret(
    pki: Pki, store: AlertStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused login over STARTTLS is a failed delivery with the server's answer, scrubbed."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD + "-wrong")
    with smtp_server("starttls", pki.good) as box:
        settings = email_settings(box.port, "starttls", ca_file=str(pki.ca))
        store_alerts = Alerter(store, settings)
        enqueue_synthetic(store_alerts, 1, now=T0)
        report = deliver(store, settings)
    assert report.failed == 1 and box.deliveries == []
    assert box.logins, "the server saw no login"  # smtplib tries each offered mechanism
    assert all(login.over_tls and not login.password_ok for login in box.logins)
    error = store.list_alerts()[0].deliveries[0].last_error or ""
    assert error.startswith("SMTP 535")
    leaked = _leaks(error)
    assert not leaked, "the password appears in the stored error"


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "no such file"), ("not a certificate\n", "no PEM certificate")],
)
def test_ca_file_is_checked_at_load(tmp_path: Path, content: str | None, problem: str) -> None:
    """A missing or non-PEM ca_file is a ConfigError naming alerts.email.ca_file."""
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=problem) as caught:
        email_settings(587, "starttls", ca_file=str(path))
    assert caught.value.key == "alerts.email.ca_file"


def test_ca_file_with_security_none_is_refused(pki: Pki) -> None:
    """ca_file on a plain-text relay would be ignored, so the config says so instead."""
    with pytest.raises(ConfigError, match="only used with") as caught:
        email_settings(25, "none", ca_file=str(pki.ca))
    assert caught.value.key == "alerts.email.ca_file"
