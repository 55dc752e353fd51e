"""The outbox end to end against real receivers on 127.0.0.1: signatures checked independently,
retries, 410, Retry-After, redirects, horizon, restarts, digests, SMTP."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message as MailMessage
from pathlib import Path
from random import Random
from typing import Any

import pytest
from alerts_support import SECRET, T0, AlertStore, FakeClock, Receiver, open_alert_store

from ingest.alerts import AlertSettings, alert_settings, build_senders, close_senders, deliver_due
from ingest.alerts.enqueue import Alerter
from ingest.alerts.outbox import DeliveryReport
from ingest.alerts.synthetic import enqueue_synthetic, synthetic_finding
from ingest.config import parse_config


def settings_for(alerts: dict[str, Any], environ: dict[str, str] | None = None) -> AlertSettings:
    config = parse_config(
        {"alerts": alerts}, file="t.toml", environ=environ or {"HOOK_SECRET": SECRET}
    )
    return alert_settings(config)


def webhook_settings(url: str, **alerts: Any) -> AlertSettings:
    return settings_for(
        {"webhook": [{"url": url, "secret_env": "HOOK_SECRET", "name": "hook"}], **alerts}
    )


def deliver(store: AlertStore, settings: AlertSettings, now: Any) -> DeliveryReport:
    async def go() -> DeliveryReport:
        senders = build_senders(settings)
        try:
            return await deliver_due(store, senders, settings, now, rng=Random(1))
        finally:
            await close_senders(senders)

    return asyncio.run(go())


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.down()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AlertStore]:
    s = open_alert_store(tmp_path / "ingest.db")
    yield s
    s.close()


def test_alert_arrives_signed_with_payload(store: AlertStore, receiver: Receiver) -> None:
    """A due alert is POSTed once, signed (verified independently), with type/timestamp/data."""
    settings = webhook_settings(receiver.url())
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 1, now=T0)
    report = deliver(store, settings, T0)
    assert report.sent == 1 and report.failed == 0
    (got,) = receiver.received
    assert got.signature_ok is True
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    assert got.headers["content-type"] == "application/json"
    doc = got.json
    assert doc["type"] == "figure.changed" and doc["timestamp"] == "2026-11-03T14:00:00Z"
    assert doc["data"]["id"] == 1 and doc["data"]["metric_label"]
    assert deliver(store, settings, T0).sent == 0  # sent once, not again
    assert len(receiver.received) == 1


def test_500_is_retried_with_the_same_id(store: AlertStore, receiver: Receiver) -> None:
    """A 500 leaves the alert pending with backoff; the retry carries the same webhook-id."""
    clock = FakeClock()
    settings = webhook_settings(receiver.url())
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 1, now=clock.now)
    receiver.reply((500, {}))
    assert deliver(store, settings, clock.now).failed == 1
    (record,) = store.list_alerts()
    (delivery,) = record.deliveries
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error == "HTTP 500 Internal Server Error"
    assert delivery.next_attempt is not None and delivery.next_attempt > clock.now
    assert deliver(store, settings, clock.now).sent == 0  # not due yet
    clock.now = delivery.next_attempt
    assert deliver(store, settings, clock.now).sent == 1
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body and second.signature_ok is True


def test_410_disables_the_target(store: AlertStore, receiver: Receiver) -> None:
    """410 Gone disables the target: its other alerts are marked disabled, nothing more is sent."""
    settings = webhook_settings(receiver.url())
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 3, now=T0)
    receiver.reply((410, {}))
    report = deliver(store, settings, T0)
    assert report.targets[0].disabled
    assert len(receiver.received) == 1
    assert store.disabled_targets().keys() == {"hook"}
    statuses = {d.status for a in store.list_alerts() for d in a.deliveries}
    assert statuses == {"disabled"}
    enqueue_synthetic(store_alerts, 1, now=T0, first_id=10)
    assert deliver(store, settings, T0.replace(hour=20)).sent == 0
    assert len(receiver.received) == 1
    assert len(store.list_alerts(failed=True)) == 4


def test_retry_after_is_honoured(store: AlertStore, receiver: Receiver) -> None:
    """429 with Retry-After: 600 is not retried before 600 s, even though backoff is 30 s."""
    clock = FakeClock()
    settings = webhook_settings(receiver.url())
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 1, now=clock.now)
    receiver.reply((429, {"Retry-After": "600"}))
    deliver(store, settings, clock.now)
    (delivery,) = store.list_alerts()[0].deliveries
    assert delivery.next_attempt == clock.now.replace(minute=10)
    clock.advance(599)
    assert deliver(store, settings, clock.now).sent == 0
    clock.advance(1)
    assert deliver(store, settings, clock.now).sent == 1


def test_retry_after_holds_the_whole_target(store: AlertStore, receiver: Receiver) -> None:
    """Retry-After speaks for the target: the alerts queued behind the refused one wait too."""
    clock = FakeClock()
    settings = webhook_settings(receiver.url())
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 3, now=clock.now)
    receiver.reply((503, {"Retry-After": "600"}))
    deliver(store, settings, clock.now)
    assert len(receiver.received) == 1, "the other two were not tried after the 503"
    clock.advance(60)
    assert deliver(store, settings, clock.now).sent == 0
    assert len(receiver.received) == 1, "nothing is sent before Retry-After has passed"
    clock.advance(540)
    assert deliver(store, settings, clock.now).sent == 3


def test_redirect_is_not_followed(store: AlertStore, receiver: Receiver) -> None:
    """A 301 is a failure with the masked Location in the error; the new place gets nothing."""
    settings = webhook_settings(receiver.url("/old"))
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 1, now=T0)
    receiver.reply((301, {"Location": receiver.url("/new/secret-token-xyz")}))
    assert deliver(store, settings, T0).failed == 1
    assert [r.path for r in receiver.received] == ["/old"]
    (delivery,) = store.list_alerts()[0].deliveries
    assert delivery.status == "pending" and delivery.last_status == 301
    assert delivery.last_error is not None and "secret-token" not in delivery.last_error
    assert "not followed" in delivery.last_error


def test_receiver_down_then_up_gets_everything(store: AlertStore, receiver: Receiver) -> None:
    """While the receiver is down alerts wait (one attempt per pass); once up, all arrive once."""
    clock = FakeClock()
    settings = webhook_settings(receiver.url())
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 5, now=clock.now)
    receiver.down()
    for _ in range(4):
        report = deliver(store, settings, clock.now)
        assert report.sent == 0 and report.failed == 1  # the first failure ends the turn
        clock.advance(3600)
    receiver.up()
    assert deliver(store, settings, clock.now).sent == 5
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 5 == len(set(ids))
    assert all(r.signature_ok for r in receiver.received)
    assert sorted(r.json["data"]["id"] for r in receiver.received) == [1, 2, 3, 4, 5]


def test_horizon_makes_dead_then_retry_requeues(store: AlertStore, receiver: Receiver) -> None:
    """Past the horizon a failing delivery is dead; retry_alert re-queues it under the same id."""
    clock = FakeClock()
    settings = webhook_settings(receiver.url(), horizon="1h")
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 1, now=clock.now)
    receiver.down()
    attempts = 0
    while store.list_alerts()[0].deliveries[0].status == "pending":
        deliver(store, settings, clock.now)
        attempts += 1
        nxt = store.list_alerts()[0].deliveries[0].next_attempt
        if nxt is not None:
            assert nxt <= T0.replace(hour=15)  # the last retry sits at the horizon
            clock.now = nxt
        assert attempts < 50
    (alert,) = store.list_alerts(failed=True)
    assert alert.deliveries[0].status == "dead" and alert.deliveries[0].attempts == attempts
    assert clock.now == T0.replace(hour=15)
    receiver.up()
    assert store.retry_alert(alert.id, now=clock.now) == ["hook"]
    assert store.retry_alert(999, now=clock.now) is None
    assert deliver(store, settings, clock.now).sent == 1
    assert receiver.received[0].headers["webhook-id"] == alert.uid
    assert store.list_alerts(failed=True) == []


def test_restart_keeps_queue_and_ids(tmp_path: Path, receiver: Receiver) -> None:
    """A new Store on the same file delivers what was queued, under the ids drawn at enqueue,
    and does not send again what was already sent."""
    settings = webhook_settings(receiver.url())
    first = open_alert_store(tmp_path / "db.sqlite")
    first_alerts = Alerter(first, settings)
    enqueue_synthetic(first_alerts, 3, now=T0)
    uids = {a.id: a.uid for a in first.list_alerts()}
    deliver(first, settings, T0)
    enqueue_synthetic(first_alerts, 2, now=T0, first_id=4)
    uids.update({a.id: a.uid for a in first.list_alerts()})
    first.close()  # "crash" with two alerts queued

    second = open_alert_store(tmp_path / "db.sqlite")
    second_alerts = Alerter(second, settings)
    enqueue_synthetic(second_alerts, 5, now=T0)  # the findings stage replaying: idempotent
    deliver(second, settings, T0)
    second.close()
    got = {r.json["data"]["id"]: r.headers["webhook-id"] for r in receiver.received}
    assert len(receiver.received) == 5
    assert got == uids


def test_claimed_by_a_dead_process_is_sent_again_same_id(
    store: AlertStore, receiver: Receiver
) -> None:
    """A delivery leased by a process that died is freed and sent, with its original id."""
    settings = webhook_settings(receiver.url())
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 1, now=T0)
    dead_owner = f"{socket.gethostname()}:999999"
    claimed = store.claim_due("hook", now=T0, owner=dead_owner, lease=timedelta(hours=1), limit=9)
    assert len(claimed) == 1
    assert deliver(store, settings, T0).sent == 1
    assert receiver.received[0].headers["webhook-id"] == claimed[0].uid


def test_digest_burst_goes_out_as_one_message(store: AlertStore, receiver: Receiver) -> None:
    """500 alerts in digest mode: nothing before the slot, then one signed message with all 500."""
    clock = FakeClock(T0.replace(minute=3))
    settings = webhook_settings(receiver.url(), mode="digest", digest_every="15m")
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 500, now=clock.now)
    assert deliver(store, settings, clock.now).sent == 0
    clock.now = T0.replace(minute=15)
    report = deliver(store, settings, clock.now)
    assert report.sent == 500
    (got,) = receiver.received
    assert got.signature_ok is True
    assert got.json["type"] == "figure.digest" and got.json["data"]["count"] == 500
    assert got.headers["webhook-id"].startswith("dig_")
    assert deliver(store, settings, clock.advance(3600)).sent == 0
    assert {d.status for a in store.list_alerts(limit=1000) for d in a.deliveries} == {"sent"}


def test_failed_digest_is_retried_unchanged(store: AlertStore, receiver: Receiver) -> None:
    """A digest that failed keeps its members and id; later alerts wait for the next digest."""
    clock = FakeClock(T0)
    settings = webhook_settings(receiver.url(), mode="digest", digest_every="15m")
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 3, now=clock.now)
    receiver.reply((503, {}))
    deliver(store, settings, clock.advance(900))
    enqueue_synthetic(store_alerts, 2, now=clock.now, first_id=10)
    deliver(store, settings, clock.advance(1800))
    first, second, third = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body and second.json["data"]["count"] == 3
    assert third.json["data"]["count"] == 2


def test_slack_mode_sends_text(store: AlertStore, receiver: Receiver) -> None:
    """Slack mode posts {"text": ...} naming the metric and the old -> new values."""
    settings = settings_for({"webhook": [{"url": receiver.url(), "mode": "slack"}]})
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 1, now=T0)
    deliver(store, settings, T0)
    (got,) = receiver.received
    assert set(got.json) == {"text"}
    assert "381 billion yuan -&gt; 481 billion yuan" in got.json["text"]  # Slack escapes >
    assert "webhook-signature" not in got.headers


def test_no_secret_in_logs_or_errors(
    store: AlertStore, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """Errors and logs show the masked URL, never the token in it or the signing secret."""
    token = "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
    settings = webhook_settings(receiver.url(f"/services/{token}"))
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 1, now=T0)
    receiver.down()
    with caplog.at_level(logging.DEBUG):
        deliver(store, settings, T0)
    text = caplog.text + repr(settings) + str(store.list_alerts()[0].deliveries)
    assert "XXXXXXXX" not in text and SECRET not in text and SECRET[6:] not in text
    assert "failed" in caplog.text


def test_email_arrives_multipart(store: AlertStore) -> None:
    """A real SMTP server on 127.0.0.1 receives a multipart text+HTML mail with the table."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    inbox: list[MailMessage] = []

    class Handler(MessageHandler):  # type: ignore[misc]
        def handle_message(self, message: MailMessage) -> None:
            inbox.append(message)

    with socket.socket() as probe:  # aiosmtpd's Controller cannot take port 0 itself
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = settings_for(
            {"email": {"host": "127.0.0.1", "port": port, "security": "none",
                       "from": "ingest@example.org", "to": ["analyst@example.org"]}}
        )  # fmt: skip
        store_alerts = Alerter(store, settings)
        enqueue_synthetic(store_alerts, 1, now=T0)
        assert deliver(store, settings, T0).sent == 1
    finally:
        controller.stop()
    (mail,) = inbox
    assert mail["To"] == "analyst@example.org"
    assert mail["Subject"].startswith("[ingest] Alibaba Cloud: Cloud revenue")
    assert mail["Message-ID"].startswith("<msg_")
    parsed = message_from_bytes(mail.as_bytes())
    types = [p.get_content_type() for p in parsed.walk()]
    assert types == ["multipart/alternative", "text/plain", "text/html"]
    html = parsed.get_payload()[1].get_payload(decode=True).decode()
    assert "<table" in html and "381 billion yuan" in html and "481 billion yuan" in html
    assert "Example Daily" in html and "<q>" in html
    text = parsed.get_payload()[0].get_payload(decode=True).decode()
    assert "381 billion yuan -> 481 billion yuan" in text


def test_smtp_down_is_retried(store: AlertStore) -> None:
    """No SMTP server listening: the delivery fails, stays pending, and names host:port only."""
    settings = settings_for(
        {"email": {"host": "127.0.0.1", "port": 9, "security": "none", "from": "a@b.c",
                   "to": ["d@e.f"]}}
    )  # fmt: skip
    store_alerts = Alerter(store, settings)
    enqueue_synthetic(store_alerts, 1, now=T0)
    assert deliver(store, settings, T0).failed == 1
    (delivery,) = store.list_alerts()[0].deliveries
    assert delivery.status == "pending" and "127.0.0.1:9" in (delivery.last_error or "")


def test_policy_applies_at_enqueue(store: AlertStore, receiver: Receiver) -> None:
    """A muted or below-threshold finding writes no outbox row; others go to matching targets."""
    settings = settings_for(
        {
            "webhook": [{"url": receiver.url(), "kinds": ["new"], "name": "new-only"}],
            "thresholds": {"cloud_revenue": 0.5},
            "mute": [{"subject": "alibaba"}],
        }
    )
    store_alerts = Alerter(store, settings)
    assert store_alerts.enqueue_record(synthetic_finding(1, now=T0, metric_index=0), now=T0) is None
    assert store_alerts.enqueue_record(synthetic_finding(2, now=T0, metric_index=1), now=T0) is None
    assert store_alerts.enqueue_record(synthetic_finding(3, now=T0, metric_index=2), now=T0) == 3
    (alert,) = store.list_alerts()
    assert alert.deliveries == ()  # "changed" is not for the new-only target
    assert store_alerts.enqueue_record(
        synthetic_finding(4, kind="new", now=T0, metric_index=2), now=T0
    )
    assert [d.target for d in store.list_alerts()[0].deliveries] == ["new-only"]


def test_enqueue_rolls_back_with_the_finding(store: AlertStore) -> None:
    """An enqueued alert joins the caller's unit of work: a rollback leaves no alert behind."""
    store_alerts = Alerter(store, AlertSettings())

    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.unit():
        assert store_alerts.enqueue_record(synthetic_finding(1, now=T0), now=T0) == 1
        raise Boom
    assert store.list_alerts() == []
