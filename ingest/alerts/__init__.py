"""Alert delivery: from "a finding exists" to "the message arrived".

    settings   AlertSettings from [alerts] (policy, retries, digest, targets)
    policy     which findings alert, to which targets (pure)
    payload    webhook JSON, Standard Webhooks signature, Slack text (pure)
    email_render  multipart text + HTML mail (pure)
    timing     first attempt, backoff with jitter, horizon (pure)
    senders    webhook (httpx), SMTP (smtplib in a thread), Apprise (optional extra)
    outbox     deliver_due: one attempt for every due alert

The outbox rows themselves are written and read by ``ingest.store.alerts``.
"""

from __future__ import annotations

from ingest.alerts.outbox import DeliveryReport, TargetReport, deliver_due
from ingest.alerts.payload import Message, payload, sign
from ingest.alerts.policy import Decision, decide
from ingest.alerts.senders import Sender, SendResult, build_senders, close_senders
from ingest.alerts.settings import AlertSettings, alert_settings, mask_url, parse_alert_settings

__all__ = [
    "AlertSettings",
    "Decision",
    "DeliveryReport",
    "Message",
    "SendResult",
    "Sender",
    "TargetReport",
    "alert_settings",
    "build_senders",
    "close_senders",
    "decide",
    "deliver_due",
    "mask_url",
    "parse_alert_settings",
    "payload",
    "sign",
]
