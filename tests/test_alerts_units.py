"""Pure parts of the alerts stage: settings, URL masking, policy, signing, payloads, email
rendering, backoff and digest slots."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, time, timedelta
from random import Random
from typing import Any

import pytest
from alerts_support import SECRET, T0
from hypothesis import given
from hypothesis import strategies as st

from ingest.alerts import AlertSettings, alert_settings, decide, mask_url, sign
from ingest.alerts.email_render import group_by_metric, render_email
from ingest.alerts.payload import Message, body_bytes, headline, payload, webhook_headers
from ingest.alerts.policy import AlertFacts, should_alert
from ingest.alerts.settings import AlertPolicy, Mute, RetryPolicy
from ingest.alerts.synthetic import synthetic_finding
from ingest.alerts.timing import backoff_delay, next_digest_time, outcome_after
from ingest.config import parse_config
from ingest.errors import ConfigError
from ingest.findings.model import Finding, FindingKind, finding_to_dict


def settings(alerts: dict[str, Any], environ: dict[str, str] | None = None) -> AlertSettings:
    env = {"HOOK_SECRET": SECRET} if environ is None else environ
    return alert_settings(parse_config({"alerts": alerts}, file="a.toml", environ=env))


# -- settings ----------------------------------------------------------------------------------


def test_defaults_without_alerts_table() -> None:
    """No [alerts]: immediate mode, 3-day horizon, the four kinds, no target."""
    s = settings({})
    assert s.mode == "immediate" and s.retry.horizon == 3 * 86400 and s.targets == ()
    assert s.policy.kinds == {"new", "changed", "conflict", "revised"}


def test_full_table_parses() -> None:
    """Every documented key is read into the settings."""
    s = settings(
        {
            "mode": "digest", "digest_at": "07:30", "horizon": "2d", "retry_base": "1m",
            "retry_max": "2h", "kinds": ["changed"], "metrics": ["cloud_revenue"],
            "min_change": 0.02, "thresholds": {"cloud_revenue": 0.1}, "digest_max": 50,
            "mute": [{"subject": "Tencent"}],
            "webhook": [{"url": "https://h.example/x", "secret_env": "HOOK_SECRET",
                         "kinds": ["new"], "timeout": 5}],
            "email": {"host": "smtp.example.org", "username_env": "U", "password_env": "P",
                      "from": "a@example.org", "to": ["b@example.org"]},
            "apprise": [{"url_env": "APPRISE_URL", "name": "phone"}],
        },
        environ={"HOOK_SECRET": SECRET, "U": "user", "P": "pw-123456", "APPRISE_URL": "ntfy://t"},
    )  # fmt: skip
    assert s.mode == "digest" and s.digest_at == time(7, 30) and s.digest_every is None
    assert s.retry == RetryPolicy(base_delay=60, max_delay=7200, horizon=172800)
    assert s.policy.thresholds == {"cloud_revenue": 0.1} and s.policy.mutes == (Mute("Tencent"),)
    assert s.email is not None and s.email.port == 587 and s.email.security == "starttls"
    assert [t.name for t in s.targets][1:] == ["email", "phone"]
    assert s.webhooks[0].kinds == {"new"} and s.webhooks[0].timeout == 5
    shown = repr(s)
    assert "pw-123456" not in shown and SECRET not in shown and "ntfy://t" not in shown
    assert "h.example/x" not in shown


@pytest.mark.parametrize(
    ("alerts", "key"),
    [
        ({"mode": "sometimes"}, "alerts.mode"),
        ({"digest_at": "25:00"}, "alerts.digest_at"),
        ({"kinds": ["moved"]}, "alerts.kinds"),
        ({"colour": "red"}, "alerts.colour"),
        ({"mute": [{}]}, "alerts.mute[0]"),
        ({"thresholds": {"x": "big"}}, "alerts.thresholds.x"),
        ({"webhook": [{"url": "https://h/x", "extra": 1}]}, "alerts.webhook[0].extra"),
        ({"webhook": [{"url": "https://h/x", "name": "a b"}]}, "alerts.webhook[0].name"),
        ({"email": {"host": "h", "from": "a@b", "to": []}}, "alerts.email.to"),
        ({"email": {"host": "h", "from": "a@b", "to": ["c@d"], "security": "ssl"}},
         "alerts.email.security"),
        ({"email": {"host": "h", "from": "a@b", "to": ["c@d"], "password_env": "NOPE"}},
         "alerts.email.password_env"),
        ({"apprise": [{"url_env": "NOPE"}]}, "alerts.apprise[0].url_env"),
    ],
)  # fmt: skip
def test_bad_keys_name_the_key(alerts: dict[str, Any], key: str) -> None:
    """A bad [alerts] value is a ConfigError naming the dotted key."""
    with pytest.raises(ConfigError) as info:
        settings(alerts)
    assert info.value.key == key


def test_bad_secret_is_rejected_without_showing_it() -> None:
    """A secret that is not whsec_<base64> is refused, and the message does not contain it."""
    for bad in ("plain-secret-value", "whsec_!!!not-base64!!!"):
        with pytest.raises(ConfigError) as info:
            settings({"webhook": [{"url": "https://h/x", "secret_env": "S"}]}, {"S": bad})
        assert bad not in str(info.value) and info.value.key == "alerts.webhook[0].secret_env"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example.com/services/T0/B0/xyzab12", "https://hooks.example.com/…/ab12"),
        ("https://user:pw@h.example:8443/p?token=abcdef", "https://h.example:8443/…/cdef"),
        ("https://h.example", "https://h.example/"),
        ("https://h.example/", "https://h.example/"),
        ("http://[::1]:8080/x", "http://[::1]:8080/…/x"),
        ("http://h:99999/x", "<invalid url>"),
    ],
)
def test_mask_url(url: str, shown: str) -> None:
    """Only scheme, host, port and the last 4 characters of path+query are shown."""
    assert mask_url(url) == shown


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=8, max_size=40))
def test_mask_url_never_shows_a_token(token: str) -> None:
    """Whatever the token, only the host and at most 4 characters of path+query survive."""
    for url in (f"https://h.example/hook/{token}", f"https://h.example/h?token={token}"):
        shown = mask_url(url)
        assert shown.startswith("https://h.example/…/") and len(shown.split("/…/")[1]) <= 4
    assert mask_url(f"https://{token}:{token}@h.example/") == "https://h.example/"


# -- policy ------------------------------------------------------------------------------------


def _should(record: dict[str, Any], policy: AlertPolicy) -> tuple[bool, str]:
    """The policy on a finding given as its JSON record."""
    return should_alert(AlertFacts.of_record(record), policy)


def test_default_policy() -> None:
    """New and changed alert with a metric; without one they do not; conflicts and revisions do."""
    policy = AlertPolicy()
    finding = synthetic_finding(1, now=T0)
    assert _should(finding, policy) == (True, "alert")
    assert _should({**finding, "metric": None}, policy)[0] is False
    assert _should({**finding, "kind": "new", "metric": None}, policy)[0] is False
    assert _should({**finding, "kind": "revised", "metric": None}, policy)[0] is True
    assert _should({**finding, "kind": "conflict"}, policy)[0] is True
    assert _should({**finding, "kind": "consistent"}, policy)[0] is False


def test_thresholds_and_mutes() -> None:
    """A change below its metric's threshold, or a muted finding, does not alert."""
    finding = {**synthetic_finding(1, now=T0), "relative_change": -0.04}
    assert _should(finding, AlertPolicy(min_change=0.05))[0] is False
    assert _should(finding, AlertPolicy(min_change=0.03))[0] is True
    per_metric = AlertPolicy(min_change=0.5, thresholds={str(finding["metric"]): 0.01})
    assert _should(finding, per_metric)[0] is True
    assert _should({**finding, "relative_change": None}, AlertPolicy(min_change=0.9))[0]
    muted = AlertPolicy(mutes=(Mute(subject=str(finding["subject"]).upper(), kind="changed"),))
    assert _should(finding, muted) == (False, "muted")
    assert _should({**finding, "kind": "new"}, muted)[0] is True


@given(
    kind=st.sampled_from(["new", "changed", "conflict", "revised"]),
    change=st.one_of(st.none(), st.floats(-10, 10)),
    subject=st.sampled_from(["Alibaba", "Tencent", "Baidu"]),
)
def test_a_mute_always_wins(kind: str, change: float | None, subject: str) -> None:
    """Whatever the finding, a mute on its subject stops it."""
    finding = {**synthetic_finding(1, kind=kind, now=T0), "subject": subject,
               "relative_change": change}  # fmt: skip
    assert _should(finding, AlertPolicy(mutes=(Mute(subject=subject.lower()),)))[0] is False


def test_decide_picks_targets_by_kind() -> None:
    """Each target receives only the kinds it lists."""
    s = settings({"webhook": [{"url": "https://a/x", "name": "a", "kinds": ["new"]},
                              {"url": "https://b/x", "name": "b"}]})  # fmt: skip
    assert decide(AlertFacts.of_record(synthetic_finding(1, now=T0)), s).targets == ("b",)
    assert decide(AlertFacts.of_record(synthetic_finding(1, kind="new", now=T0)), s).targets == (
        "a",
        "b",
    )


# -- payload and signature ----------------------------------------------------------------------


def test_signature_matches_the_spec_vector() -> None:
    """sign() reproduces the Standard Webhooks reference test vector."""
    signature = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                     1614265330, b'{"test": 2432232314}')  # fmt: skip
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@given(body=st.binary(max_size=200), ts=st.integers(0, 2**33), msg=st.text("abc_123", min_size=1))
def test_signature_verifies_independently(body: bytes, ts: int, msg: str) -> None:
    """Headers carry a signature a receiver can check with plain hmac from the spec."""
    message = Message(id=msg, type="figure.new", timestamp=T0, findings=())
    now = datetime.fromtimestamp(ts, UTC)
    headers = webhook_headers(message, body, secret=SECRET, now=now)
    key = base64.b64decode(SECRET[len("whsec_") :])
    mac = hmac.new(key, f"{msg}.{ts}.".encode() + body, hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(mac).decode()
    assert headers["webhook-timestamp"] == str(ts) and headers["webhook-id"] == msg


def test_payload_is_stable_across_attempts() -> None:
    """The body depends on the alert only, not on when it is sent."""
    finding = synthetic_finding(7, now=T0)
    message = Message(id="msg_x", type="figure.changed", timestamp=T0, findings=(finding,))
    doc = payload(message)
    assert doc == {"type": "figure.changed", "timestamp": "2026-11-03T14:00:00Z", "data": finding}
    assert body_bytes(doc) == body_bytes(payload(message))


def test_headline_says_what_moved() -> None:
    """The one-line summary names subject, metric, old -> new, change, source and time."""
    line = headline(synthetic_finding(1, now=T0, metric_index=0))
    assert line == (
        "Alibaba: AI infrastructure commitment: 381 billion yuan -> 481 billion yuan (+26.2%), "
        "Example Wire, 13:55 UTC, 3 Nov"
    )
    assert headline(synthetic_finding(1, kind="new", now=T0)).startswith("New: ")


def test_email_digest_groups_by_metric_and_escapes() -> None:
    """A digest email has one section per metric; HTML from a sentence is escaped."""
    findings = [synthetic_finding(i, now=T0) for i in range(1, 7)]
    findings[0]["figure"]["sentence"] = "<script>alert(1)</script> revenue rose"
    groups = group_by_metric(findings)
    assert [len(g) for _, g in groups] == [2, 2, 2]
    message = Message(id="dig_1", type="figure.digest", timestamp=T0, findings=tuple(findings))
    mail = render_email(message, sender="a@example.org", to=["b@example.org"])
    assert mail["Subject"].startswith("[ingest] 6 figure alerts: ")
    html = mail.get_body(("html",))
    assert html is not None
    content = html.get_content()
    assert content.count("<h2>") == 3 and "<script>" not in content and "&lt;script&gt;" in content


# -- timing ------------------------------------------------------------------------------------


@given(attempts=st.integers(1, 200), seed=st.integers(0, 1000))
def test_backoff_bounds(attempts: int, seed: int) -> None:
    """The delay is within [(1-jitter)*d, d] for d = min(base*2^(n-1), max)."""
    retry = RetryPolicy()
    d = min(retry.base_delay * 2 ** min(attempts - 1, 40), retry.max_delay)
    delay = backoff_delay(attempts, retry, Random(seed))
    assert (1 - retry.jitter) * d <= delay <= d


@given(
    attempts=st.integers(1, 50),
    elapsed=st.floats(0, 10 * 86400),
    retry_after=st.one_of(st.none(), st.floats(0, 86400)),
)
def test_outcome_never_retries_past_horizon_unless_asked(
    attempts: int, elapsed: float, retry_after: float | None
) -> None:
    """A failure is dead at/after the horizon, else retried no later than the horizon (unless
    Retry-After asks for more) and never earlier than Retry-After."""
    retry = RetryPolicy()
    now = T0 + timedelta(seconds=elapsed)
    out = outcome_after(ok=False, gone=False, retry_after=retry_after, attempts=attempts,
                        horizon_from=T0, now=now, retry=retry, rng=Random(0))  # fmt: skip
    deadline = T0 + timedelta(seconds=retry.horizon)
    if now >= deadline:
        assert out.status == "dead"
        return
    assert out.status == "pending" and out.next_attempt is not None
    assert out.next_attempt > now or (retry_after == 0 and out.next_attempt >= now)
    if retry_after is None:
        assert out.next_attempt <= deadline
    else:
        assert out.next_attempt >= now + timedelta(seconds=retry_after)


def test_success_and_gone() -> None:
    """2xx is sent; 410 is disabled whatever the attempts."""
    kw: dict[str, Any] = {"retry_after": None, "attempts": 3, "horizon_from": T0, "now": T0,
                          "retry": RetryPolicy(), "rng": Random(0)}  # fmt: skip
    assert outcome_after(ok=True, gone=False, **kw).status == "sent"
    assert outcome_after(ok=False, gone=True, **kw).status == "disabled"


def test_digest_slots() -> None:
    """Slots are epoch-aligned for digest_every, and the next HH:MM UTC for digest_at."""
    every = AlertSettings(mode="digest", digest_every=900)
    assert next_digest_time(T0.replace(minute=3), every) == T0.replace(minute=15)
    assert next_digest_time(T0.replace(minute=15), every) == T0.replace(minute=30)
    daily = AlertSettings(mode="digest", digest_at=time(8, 0))
    assert next_digest_time(T0, daily) == T0.replace(hour=8) + timedelta(days=1)
    assert next_digest_time(T0.replace(hour=7), daily) == T0.replace(hour=8)


def test_webhook_with_missing_secret_refuses_to_send() -> None:
    """A target whose secret variable was not set (config loaded for reading) never sends
    unsigned: the attempt fails saying which variable is missing."""
    import asyncio
    from datetime import UTC, datetime

    from ingest.alerts.payload import Message
    from ingest.alerts.senders import WebhookSender
    from ingest.alerts.settings import WebhookSettings

    target = WebhookSettings(
        name="hook", url="http://127.0.0.1:9/never", secret_missing="HOOK_SECRET"
    )
    sender = WebhookSender(target)
    from ingest.alerts.synthetic import synthetic_finding

    finding = synthetic_finding(1, now=datetime.now(UTC))
    message = Message(
        id="msg_1", type="figure.new", timestamp=datetime.now(UTC), findings=(finding,)
    )

    async def go() -> Any:
        try:
            return await sender.send(message, now=datetime.now(UTC))
        finally:
            await sender.aclose()

    result = asyncio.run(go())
    assert not result.ok and "HOOK_SECRET is not set" in (result.error or "")


@given(
    kind=st.sampled_from(list(FindingKind)),
    subject=st.one_of(st.none(), st.sampled_from(["Alibaba", "Alibaba Cloud"])),
    change=st.one_of(st.none(), st.floats(-5, 5)),
)
def test_facts_of_a_finding_and_of_its_record_agree(
    kind: FindingKind, subject: str | None, change: float | None
) -> None:
    """The policy reads the same facts from a Finding as from its JSON record."""
    finding = Finding(
        kind=kind, subject=subject, metric="cloud_revenue", period=None, figure=None,
        previous=(), article_url="https://wire.example/a", created_at=T0, relative_change=change,
    )  # fmt: skip
    assert AlertFacts.of(finding) == AlertFacts.of_record(finding_to_dict(finding))
