"""The optional Apprise sender (``pip install ingest[apprise]``), against a local JSON receiver."""

from __future__ import annotations

import asyncio

import pytest
from alerts_support import T0, Receiver

from ingest.alerts.payload import Message
from ingest.alerts.senders import AppriseSender
from ingest.alerts.settings import AppriseSettings
from ingest.alerts.synthetic import synthetic_finding

pytest.importorskip("apprise", reason="apprise is an optional extra: pip install ingest[apprise]")


def test_apprise_json_target_receives_the_alert() -> None:
    """An Apprise json:// URL gets the alert's subject and text; a refused post is a failure."""
    receiver = Receiver(secret=None)
    try:
        url = f"json://127.0.0.1:{receiver.port}/notify"
        sender = AppriseSender(AppriseSettings(name="apprise-test", url=url))
        message = Message(id="msg_a", type="figure.changed", timestamp=T0,
                          findings=(synthetic_finding(1, now=T0),))  # fmt: skip
        result = asyncio.run(sender.send(message, now=T0))
        assert result.ok, result.error
        (got,) = receiver.received
        assert "381 billion yuan -> 481 billion yuan" in got.json["message"]
        assert got.json["title"].startswith("[ingest] Alibaba Cloud: Cloud revenue")
        receiver.reply((500, {}))
        failed = asyncio.run(sender.send(message, now=T0))
        assert not failed.ok and failed.error == "apprise reported a failed notification"
        assert sender.display == "apprise-test apprise://…"
    finally:
        receiver.down()
