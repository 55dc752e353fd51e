"""The outbox survives SIGKILL during delivery: restarted, it delivers everything, same ids."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alerts_support import SECRET, T0, Receiver, open_alert_store

from ingest.alerts.enqueue import Alerter
from ingest.alerts.settings import AlertSettings, WebhookSettings
from ingest.alerts.synthetic import enqueue_synthetic

TESTS = Path(__file__).resolve().parent

# A delivery process: one deliver_due pass after another until nothing is pending.
WORKER = """
import asyncio, sys
from datetime import UTC, datetime
sys.path.insert(0, {tests!r})
from alerts_support import open_alert_store
from ingest.alerts import build_senders, close_senders, deliver_due
from ingest.alerts.settings import AlertSettings, WebhookSettings

settings = AlertSettings(webhooks=(WebhookSettings(name="hook", url={url!r}, secret={secret!r}),),
                         batch=5)
store = open_alert_store({db!r})

async def main():
    senders = build_senders(settings)
    while store.alert_counts().get("pending"):
        await deliver_due(store, senders, settings, datetime.now(UTC))
    await close_senders(senders)

asyncio.run(main())
"""


@pytest.mark.slow
def test_sigkill_during_delivery_then_restart(tmp_path: Path) -> None:
    """Killed mid-send, a restarted sender delivers every alert; repeats carry the same id."""
    db = tmp_path / "ingest.db"
    receiver = Receiver()
    try:
        url = receiver.url()
        store = open_alert_store(db)
        store_alerts = Alerter(
            store, AlertSettings(webhooks=(WebhookSettings(name="hook", url=url, secret=SECRET),))
        )
        enqueue_synthetic(store_alerts, 40, now=T0)
        uids = {a.id: a.uid for a in store.list_alerts(limit=100)}
        store.close()
        receiver.state.on_request = lambda _got: time.sleep(0.05)  # slow receiver: kill mid-send
        script = WORKER.format(tests=str(TESTS), url=url, secret=SECRET, db=str(db))
        env = {**os.environ, "PYTHONPATH": str(TESTS.parent)}
        proc = subprocess.Popen([sys.executable, "-c", script], env=env)
        deadline = time.monotonic() + 60
        while len(receiver.received) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        before = len(receiver.received)
        assert 10 <= before < 40, "the kill should land mid-delivery"
        receiver.state.on_request = None
        done = subprocess.run([sys.executable, "-c", script], env=env, timeout=120, check=False)
        assert done.returncode == 0
    finally:
        receiver.down()
    got: dict[int, set[str]] = {}
    for r in receiver.received:
        assert r.signature_ok is True
        got.setdefault(r.json["data"]["id"], set()).add(r.headers["webhook-id"])
    assert set(got) == set(uids)  # nothing lost
    assert all(ids == {uids[i]} for i, ids in got.items())  # repeats only under the same id
    assert len(receiver.received) <= 40 + 5  # at most the killed pass's claimed batch repeats
