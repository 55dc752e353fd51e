"""Secrets: masked URLs, the redacting log filter, and no secret in any CLI output."""

from __future__ import annotations

import base64
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ingest.cli import main
from ingest.config import parse_config
from ingest.secrets import (
    MASK,
    RedactingFilter,
    Redactor,
    install_log_redaction,
    mask_url,
    redactor_for,
    secret_values,
)
from ingest_demo.loopback import CannedResponse, LoopbackServer

REPO = Path(__file__).resolve().parent.parent

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"hostile-test-key-0123456789").decode()
SMTP_PASSWORD = "smtp-Pa55word-Zq8xK2"
SLACK_TOKEN = "Xq7kP2mZ9vR4tY6wB1nC3dF5"
FEED_TOKEN = "feedtok-9f8e7d6c5b4a"
SECRETS = (WEBHOOK_SECRET, SMTP_PASSWORD, SLACK_TOKEN, FEED_TOKEN)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/feed.xml", "https://example.org/feed.xml"),
        ("https://user:pw@example.org/x", f"https://{MASK}@example.org/x"),
        ("https://tok@example.org:8443/x", f"https://{MASK}@example.org:8443/x"),
        (
            "https://api.example.org/v1?access_token=abc123&page=2",
            f"https://api.example.org/v1?access_token={MASK}&page=2",
        ),
        (
            "https://s3.example.com/b/k?X-Amz-Signature=f00d&X-Amz-Credential=AKIA",
            f"https://s3.example.com/b/k?X-Amz-Signature={MASK}&X-Amz-Credential={MASK}",
        ),
        (
            f"https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/{SLACK_TOKEN}",
            f"https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/{MASK}",
        ),
        (
            "https://news.example.com/2024/alibaba-cloud-revenue-2024-q3-results",
            "https://news.example.com/2024/alibaba-cloud-revenue-2024-q3-results",
        ),
        ("https://example.org/a#secret-fragment", "https://example.org/a"),
        ("http://[::1]:99999/", MASK),
    ],
)
def test_mask_url_examples(url: str, expected: str) -> None:
    """Credentials in user info, query and token-like path segments are masked; slugs are not."""
    assert mask_url(url) == expected


token = st.text(
    st.sampled_from("abcdefghkmnpqrstuvwxyzABCDEFGHKMNPQRSTUVWXYZ23456789"), min_size=12
)


@given(url=st.text(max_size=200))
def test_mask_url_is_total(url: str) -> None:
    """Any string gets an answer, never an exception."""
    assert isinstance(mask_url(url), str)


@given(secret=token, host=st.sampled_from(["example.org", "10.0.0.1", "[2001:db8::1]"]))
def test_mask_url_never_shows_a_credential(secret: str, host: str) -> None:
    """A secret as password, user, token parameter or path token never survives masking."""
    for url in (
        f"https://u:{secret}@{host}/p",
        f"https://{secret}@{host}/p",
        f"https://{host}/p?api_key={secret}&x=1",
        f"https://{host}/hook/{secret}a1b2",
    ):
        assert secret not in mask_url(url), url


def test_redactor_replaces_values_and_encoded_forms() -> None:
    """Known values are replaced raw and URL-encoded; values too short to matter are left."""
    redactor = Redactor.from_values(["s3cr3t value/x", "abc", None])
    text = "got s3cr3t value/x and s3cr3t%20value%2Fx and s3cr3t+value%2Fx; abc stays"
    assert redactor.redact(text) == f"got {MASK} and {MASK} and {MASK}; abc stays"


def test_redactor_masks_credentials_in_urls_within_text() -> None:
    """URLs inside free text lose user info and secret parameters, keep their punctuation."""
    text = "failed (https://bob:hunter22@feeds.example/x?token=t0k3n&page=2)."
    assert Redactor().redact(text) == (
        f"failed (https://{MASK}@feeds.example/x?token={MASK}&page=2)."
    )


def _capture(redactor: Redactor) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(url)s"))
    parent = logging.getLogger("hostile-test")
    parent.handlers[:] = [handler]
    parent.propagate = False
    install_log_redaction(redactor, parent)
    return logging.getLogger("hostile-test.child"), stream


def test_log_filter_redacts_message_args_traceback_and_extra() -> None:
    """A child logger's record is redacted in its args, its traceback and its extra fields."""
    log, stream = _capture(Redactor.from_values([SMTP_PASSWORD]))
    try:
        raise RuntimeError(f"login failed with {SMTP_PASSWORD}")
    except RuntimeError:
        log.exception(
            "smtp %s", SMTP_PASSWORD, extra={"url": f"https://x:{SMTP_PASSWORD}@mail.example/"}
        )
    out = stream.getvalue()
    assert SMTP_PASSWORD not in out
    assert "login failed with ***" in out and "RuntimeError" in out
    assert f"https://{MASK}@mail.example/" in out


def test_installing_again_replaces_the_filter() -> None:
    """install_log_redaction twice leaves one filter per handler, the newest one."""
    log, stream = _capture(Redactor.from_values(["first-secret"]))
    install_log_redaction(
        Redactor.from_values(["second-secret"]), logging.getLogger("hostile-test")
    )
    (handler,) = logging.getLogger("hostile-test").handlers
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    log.warning("%s %s", "first-secret", "second-secret", extra={"url": "-"})
    assert stream.getvalue().strip() == "WARNING first-secret *** -"


def _config_data(tmp_path: Path, feed_url: str) -> dict[str, object]:
    return {
        "store": {"path": str(tmp_path / "ingest.db")},
        "http": {"allow_networks": ["127.0.0.1/32"], "per_host_min_delay": 0},
        "sources": [{"name": "s", "url": feed_url}],
        "alerts": {
            "webhook": [
                {"url": "https://hooks.example.com/ingest", "secret_env": "HOSTILE_WEBHOOK_SECRET"},
                {
                    "url": f"https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/{SLACK_TOKEN}",
                    "mode": "slack",
                },
            ],
            "email": {
                "host": "smtp.example.com",
                "from": "ingest@example.com",
                "to": ["ops@example.com"],
                "username_env": "HOSTILE_SMTP_USER",
                "password_env": "HOSTILE_SMTP_PASSWORD",
            },
        },
    }


ENV = {
    "HOSTILE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "HOSTILE_SMTP_USER": "ingest-bot",
    "HOSTILE_SMTP_PASSWORD": SMTP_PASSWORD,
}


def test_secret_values_cover_every_configured_secret(tmp_path: Path) -> None:
    """The webhook secret, the token-bearing Slack URL and the SMTP password are all known."""
    config = parse_config(_config_data(tmp_path, "https://f.example/x"), file="t", environ=ENV)
    values = secret_values(config)
    assert WEBHOOK_SECRET in values
    assert any(SLACK_TOKEN in v for v in values)
    assert SMTP_PASSWORD in values
    redacted = redactor_for(config).redact(f"{WEBHOOK_SECRET} {SMTP_PASSWORD} {SLACK_TOKEN}")
    assert not any(s in redacted for s in (WEBHOOK_SECRET, SMTP_PASSWORD, SLACK_TOKEN))


def _toml(data: dict[str, object]) -> str:
    """A small TOML writer for the config above (tomllib cannot write)."""
    import json

    lines: list[str] = []

    def table(prefix: str, body: dict[str, object]) -> None:
        lines.append(f"[{prefix}]")
        nested: dict[str, object] = {}
        for key, value in body.items():
            is_tables = isinstance(value, list) and bool(value) and isinstance(value[0], dict)
            if isinstance(value, dict) or is_tables:
                nested[key] = value
            else:
                lines.append(f"{key} = {json.dumps(value)}")
        for key, value in nested.items():
            if isinstance(value, dict):
                table(f"{prefix}.{key}", value)
            else:
                assert isinstance(value, list)
                for item in value:
                    lines.append(f"[[{prefix}.{key}]]")
                    lines.extend(f"{k} = {json.dumps(v)}" for k, v in item.items())

    for name, body in data.items():
        if isinstance(body, list):
            for item in body:
                lines.append(f"[[{name}]]")
                lines.extend(f"{k} = {json.dumps(v)}" for k, v in item.items())
        else:
            assert isinstance(body, dict)
            table(name, body)
    return "\n".join(lines) + "\n"


@pytest.fixture
def secret_config(tmp_path: Path, loopback: LoopbackServer) -> Iterator[Path]:
    """A config with every kind of secret, whose only source fails with its token in the URL."""
    loopback.route("/feed", CannedResponse(status=500, body=b"down"))
    path = tmp_path / "ingest.toml"
    feed_url = loopback.url(f"/feed?access_token={FEED_TOKEN}")
    path.write_text(_toml(_config_data(tmp_path, feed_url)), encoding="utf-8")
    yield path


def _cli(*args: str, config: Path) -> str:
    """Run ``python -m ingest`` in a real process (real logging setup), return all output."""
    env = {**os.environ, **ENV, "INGEST_CONFIG": str(config)}
    env.pop("INGEST_DB", None)
    done = subprocess.run(
        [sys.executable, "-m", "ingest", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout + done.stderr


def _leaks(output: str) -> list[str]:
    return [s for s in SECRETS if s in output]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, (*prefix, name)))
        else:
            out.append((*prefix, name))
    return out


def test_no_secret_in_any_help_text(secret_config: Path) -> None:
    """Every --help, with the secrets in the environment, shows none of them."""
    for command in _commands(main):
        result = CliRunner().invoke(
            main, [*command, "--help"], env={**ENV, "INGEST_CONFIG": str(secret_config)}
        )
        assert result.exit_code == 0, (command, result.output)
        assert _leaks(result.output) == [], command


def test_no_secret_in_check_config(secret_config: Path) -> None:
    """check-config validates the config with secrets set and prints none of them."""
    output = _cli("check-config", "-vv", config=secret_config)
    assert "OK" in output
    assert _leaks(output) == []


def test_no_secret_in_config_errors(tmp_path: Path) -> None:
    """A secret that fails validation is named by its key, never by its value."""
    data = _config_data(tmp_path, "https://f.example/x")
    path = tmp_path / "bad.toml"
    path.write_text(_toml(data), encoding="utf-8")
    bad = "not-a-valid-webhook-secret-" + SMTP_PASSWORD
    env = {**os.environ, **ENV, "HOSTILE_WEBHOOK_SECRET": bad, "INGEST_CONFIG": str(path)}
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "check-config"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "secret_env" in output
    assert bad not in output and SMTP_PASSWORD not in output


def test_no_secret_in_poll_logs_and_errors(secret_config: Path) -> None:
    """A failing source whose URL carries a token: logs and the error line show it masked."""
    output = _cli("poll", "-vv", config=secret_config)
    assert "http_5xx" in output, output
    assert _leaks(output) == [], output
