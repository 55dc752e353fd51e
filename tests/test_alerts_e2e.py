"""Issue 5 end to end: real polls of loopback outlets, findings, the outbox, and what a real
webhook receiver and a real SMTP server (aiosmtpd) on 127.0.0.1 get. Signatures are checked by
the receiver with its own implementation of the Standard Webhooks spec (tests/alerts_support.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message as MailMessage
from html import escape
from pathlib import Path
from typing import Any

import pytest
from alerts_support import SECRET, T0, FakeClock, Received, Receiver
from findings_articles import CHANGE, FIRST, REPEATS, REVISED_AFTER, REVISED_BEFORE

from ingest.alerts import DeliveryReport
from ingest.daemon import close_services, deliver_alerts, run_pass
from ingest.pipeline import revisit_due
from ingest.store import Store
from ingest_demo.loopback import CannedResponse, LoopbackServer
from ingest_demo.site import DemoArticle, render_page

HOOK_ENV = "E2E_HOOK_SECRET"
OUTLETS = [
    "Harbour Ledger", "Pacific Wire Review", "Lantern Markets", "Meridian Tech Daily",
    "Copper Coast Post", "Northgate Business", "Riverbend Journal", "Summit Standard",
]  # fmt: skip


_TEMPLATES = (
    "In fiscal {year} the unit's revenue came to {value} billion yuan.",
    "Revenue for fiscal {year} reached {value} billion yuan, the filing shows.",
    "The division booked {value} billion yuan of sales in fiscal {year}.",
    "Cloud revenue in fiscal {year} was {value} billion yuan, up on the year before.",
    "For fiscal {year}, reported revenue stood at {value} billion yuan.",
)


def history_article(slug: str, first_year: int, count: int, style: int = 0) -> DemoArticle:
    """An invented "results history" page: ``count`` cloud revenue figures, one per fiscal
    year, so ``count`` distinct claims (the period is part of the claim key), each one new.
    ``style`` picks the wording, so pages of different styles are not near-duplicates."""
    template = _TEMPLATES[style % len(_TEMPLATES)]
    lines = [
        template.format(year=first_year + i, value=f"{10 + style + (i * 7 % 97) / 10:.1f}")
        for i in range(count)
    ]
    chunks = [" ".join(lines[i : i + 10]) for i in range(0, count, 10)]
    return DemoArticle(
        slug=slug,
        title=f"Alibaba Cloud revenue history from fiscal {first_year}",
        summary="A year-by-year record of Alibaba Cloud revenue as AI demand grew.",
        published="Mon, 02 Nov 2026 09:00:00 GMT",
        paragraphs=(
            "Alibaba Cloud revenue has been reported year by year since the unit began selling "
            "computing to AI developers and enterprises, according to the group's filings.",
            *(f"Alibaba Cloud revenue, year by year: {chunk}" for chunk in chunks),
        ),
    )


def _feed(base: str, site: str, article: DemoArticle) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{site}</title><link>{base}/{site}/</link><description>news</description>"
        f"<item><title>{escape(article.title)}</title><link>{base}/{site}/{article.slug}</link>"
        f'<guid isPermaLink="false">{site}-{article.slug}</guid>'
        f"<pubDate>{article.published}</pubDate><description>{escape(article.summary)}"
        "</description></item></channel></rss>"
    ).encode()


def publish_page(server: LoopbackServer, site: str, article: DemoArticle) -> None:
    server.route(
        f"/{site}/{article.slug}",
        CannedResponse(body=render_page(site, article, []), content_type="text/html"),
    )


def publish(server: LoopbackServer, site: str, article: DemoArticle) -> str:
    server.route(
        f"/{site}/feed.xml",
        CannedResponse(body=_feed(server.base_url, site, article), content_type="text/xml"),
    )
    publish_page(server, site, article)
    return server.url(f"/{site}/feed.xml")


class Smtp:
    """aiosmtpd on 127.0.0.1, collecting what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Message as MessageHandler

        self.inbox: list[MailMessage] = []
        inbox, lock = self.inbox, threading.Lock()
        self.lock = lock

        class Handler(MessageHandler):
            def handle_message(self, message: MailMessage) -> None:
                with lock:
                    inbox.append(message_from_bytes(message.as_bytes()))

        with socket.socket() as probe:  # aiosmtpd's Controller cannot take port 0 itself
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def received(self) -> list[MailMessage]:
        with self.lock:
            return list(self.inbox)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.down()


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    server = Smtp()
    yield server
    server.controller.stop()


def alerts_table(receiver: Receiver, smtp: Smtp, **extra: Any) -> dict[str, Any]:
    return {
        "webhook": [{"url": receiver.url(), "secret_env": HOOK_ENV, "name": "hook"}],
        "email": {"host": "127.0.0.1", "port": smtp.port, "security": "none",
                  "from": "ingest@example.org", "to": ["analyst@example.org"]},
        **extra,
    }  # fmt: skip


class World:
    """Outlets published one at a time; each step is a real poll pass then one delivery pass,
    with fresh services each time (as a cron ``ingest poll`` would have)."""

    def __init__(
        self,
        server: LoopbackServer,
        make_services: Any,
        alerts: dict[str, Any],
        clock: FakeClock,
        **tables: Any,
    ) -> None:
        self.server, self.make_services, self.alerts, self.clock = (
            server, make_services, alerts, clock
        )  # fmt: skip
        self.tables = tables
        self.sources: list[dict[str, Any]] = []
        self.db = Path()

    def add(self, article: DemoArticle) -> str:
        site = f"o{len(self.sources)}"
        self.sources.append({"name": OUTLETS[len(self.sources)], "url": publish(
            self.server, site, article)})  # fmt: skip
        return site

    def step(self, *, poll: bool = True, revisit: bool = False) -> DeliveryReport:
        services = self.make_services(
            list(self.sources), {HOOK_ENV: SECRET}, self.clock, alerts=self.alerts, **self.tables
        )

        async def go() -> DeliveryReport:
            try:
                if poll:
                    await run_pass(services, only_due=False)
                if revisit:
                    await revisit_due(services, limit=100)
                return await deliver_alerts(services)
            finally:
                await close_services(services)

        report: DeliveryReport = asyncio.run(go())
        self.db = services.config.store.path
        services.store.close()
        return report


class Seen:
    """What has arrived since the last look."""

    def __init__(self, receiver: Receiver, smtp: Smtp) -> None:
        self.receiver, self.smtp = receiver, smtp
        self.hooks = 0
        self.mails = 0

    def new(self) -> tuple[list[Received], list[MailMessage]]:
        hooks, mails = self.receiver.received[self.hooks :], self.smtp.received[self.mails :]
        self.hooks += len(hooks)
        self.mails += len(mails)
        for hook in hooks:
            assert hook.signature_ok is True, "every webhook verifies with the receiver's code"
        return hooks, mails


def _text(mail: MailMessage) -> str:
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("no text/plain part")


def test_new_repeats_change_revision_by_webhook_and_email(
    loopback: LoopbackServer, make_services: Any, receiver: Receiver, smtp: Smtp
) -> None:
    """New -> one webhook + one mail; repeats -> nothing; change and in-place revision alert."""
    clock = FakeClock()
    world = World(loopback, make_services, alerts_table(receiver, smtp), clock)
    seen = Seen(receiver, smtp)

    world.add(FIRST)
    assert world.step().sent == 2
    (hook,), (mail,) = seen.new()
    doc = hook.json
    assert doc["type"] == "figure.new"
    assert doc["data"]["metric"] == "ai_investment_commitment"
    assert doc["data"]["figure"]["text"] == "380 billion yuan"
    assert doc["data"]["figure"]["source"] == "Harbour Ledger"
    assert hook.headers["webhook-id"].startswith("msg_")
    assert mail["Message-ID"] == f"<{hook.headers['webhook-id']}@ingest.alerts>"
    assert "380 billion yuan" in mail["Subject"]

    for article in REPEATS:  # other currencies and words: RMB380bn, $53 billion, US$53.4 billion
        world.add(article)
    clock.advance(60)
    assert world.step().sent == 0
    assert seen.new() == ([], []), "repeats of a known figure alert nobody"

    site = world.add(CHANGE)
    clock.advance(60)
    assert world.step().sent == 2
    (hook,), (mail,) = seen.new()
    doc = hook.json
    assert doc["type"] == "figure.changed"
    figure, previous = doc["data"]["figure"], doc["data"]["previous"]
    assert figure["text"] == "480 billion yuan" and figure["source"] == "Northgate Business"
    assert "480 billion yuan" in figure["sentence"]
    assert figure["article_url"] == loopback.url(f"/{site}/{CHANGE.slug}")
    assert [p["text"] for p in previous] == ["380 billion yuan"]
    assert previous[0]["source"] == "Harbour Ledger"
    assert previous[0]["article_url"].endswith(FIRST.slug)
    assert "380 billion yuan -> 480 billion yuan" in _text(mail)

    site = world.add(REVISED_BEFORE)
    clock.advance(60)
    assert world.step().sent == 2
    (hook,), _mails = seen.new()
    assert hook.json["type"] == "figure.new" and hook.json["data"]["metric"] == "cloud_revenue"

    # The outlet corrects its page in place; the feed says nothing. A revisit finds the edit.
    publish_page(loopback, site, REVISED_AFTER)
    clock.advance(7 * 3600)  # past [schedule] revisit_every (6 h)
    assert world.step(poll=False, revisit=True).sent == 2
    (hook,), (mail,) = seen.new()
    doc = hook.json
    assert doc["type"] == "figure.revised" and doc["data"]["change"] == "changed"
    assert doc["data"]["figure"]["text"] == "38.9 billion yuan"
    assert [p["text"] for p in doc["data"]["previous"]] == ["39.8 billion yuan"]
    assert "39.8 billion yuan -> 38.9 billion yuan" in _text(mail)

    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 4, "one message per finding, each its own id"


def test_receiver_down_then_up_gets_everything(
    loopback: LoopbackServer, make_services: Any, receiver: Receiver, smtp: Smtp
) -> None:
    """Alerts raised while the receiver is down stay queued and all arrive once it is back."""
    clock = FakeClock()
    world = World(loopback, make_services, alerts_table(receiver, smtp), clock)
    receiver.down()
    world.add(FIRST)
    world.add(REVISED_BEFORE)
    report = world.step()
    assert report.failed >= 1 and report.sent == 2, "the mails go; the webhook fails"
    clock.advance(3600)
    assert world.step(poll=False).failed >= 1, "still down an hour later"
    receiver.up()
    clock.advance(6 * 3600)  # past the longest backoff (retry_max)
    assert world.step(poll=False).sent == 2
    arrived = {r.json["data"]["id"]: r.headers["webhook-id"] for r in receiver.received}
    store = Store(world.db)
    try:
        alerts = store.list_alerts()
    finally:
        store.close()
    assert arrived == {a.id: a.uid for a in alerts}, "each alert arrived, under its stored id"
    assert len(receiver.received) == 2
    assert {d.status for a in alerts for d in a.deliveries} == {"sent"}


def test_digest_mode_sends_a_500_alert_burst_as_one_message(
    loopback: LoopbackServer, make_services: Any, receiver: Receiver, smtp: Smtp
) -> None:
    """500 new figures from one poll: nothing before the digest slot, then one signed digest."""
    clock = FakeClock(T0.replace(minute=3))
    alerts = alerts_table(receiver, smtp, mode="digest", digest_every="15m")
    # One source at a time: storing a page of 100 figures holds the event loop for a while
    # (CPU-bound), and a concurrent page fetch could time out and fall back to the feed text.
    world = World(loopback, make_services, alerts, clock, schedule={"max_parallel_sources": 1})
    for n in range(5):
        world.add(history_article(f"revenue-history-{n}", 1500 + 100 * n, 100, style=n))
    assert world.step().sent == 0
    assert receiver.received == [] and smtp.received == []
    clock.now = T0.replace(minute=15)
    assert world.step(poll=False).sent == 1000  # 500 alerts x 2 targets
    (hook,) = receiver.received
    assert hook.signature_ok is True
    assert hook.json["type"] == "figure.digest" and hook.json["data"]["count"] == 500
    assert hook.headers["webhook-id"].startswith("dig_")
    members = hook.json["data"]["alerts"]
    assert len({m["id"] for m in members}) == 500
    assert {m["kind"] for m in members} == {"new"}
    (mail,) = smtp.received
    assert mail["Subject"].startswith("[ingest] 500 figure alerts")
    clock.advance(3600)
    assert world.step(poll=False).sent == 0
    assert len(receiver.received) == 1 and len(smtp.received) == 1


DAEMON_CONFIG = """
[store]
path = "{db}"

[http]
allow_networks = ["127.0.0.1/32"]
per_host_min_delay = 0

[schedule]
tick = 1

[[sources]]
name = "Harbour Ledger"
url = "{feed}"

[alerts]
batch = 10

[[alerts.webhook]]
name = "hook"
url = "{hook}"
secret_env = "{env}"
"""


def _wait(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.slow
def test_daemon_sigkilled_during_delivery_then_restarted(
    loopback: LoopbackServer, receiver: Receiver, tmp_path: Path
) -> None:
    """`ingest run` killed mid-delivery and restarted: every alert arrives, under one id each."""
    feed = publish(loopback, "ledger", history_article("revenue-history", 1900, 40))
    db = tmp_path / "ingest.db"
    config = tmp_path / "ingest.toml"
    config.write_text(
        DAEMON_CONFIG.format(db=db.as_posix(), feed=feed, hook=receiver.url(), env=HOOK_ENV),
        encoding="utf-8",
    )
    env = {**os.environ, HOOK_ENV: SECRET, "PYTHONPATH": str(Path(__file__).parent.parent)}
    cmd = [sys.executable, "-m", "ingest", "run", "--config", str(config)]
    log = (tmp_path / "daemon.log").open("wb")
    receiver.state.on_request = lambda _got: time.sleep(0.05)  # slow: the kill lands mid-send
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: len(receiver.received) >= 10, "the first deliveries")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        before = len(receiver.received)
        assert 10 <= before < 40, "the kill should land mid-delivery"
        receiver.state.on_request = None
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        _wait(lambda: len({r.json["data"]["id"] for r in receiver.received}) == 40,
              "every alert after the restart")  # fmt: skip
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    store = Store(db)
    try:
        uids = {a.id: a.uid for a in store.list_alerts(limit=100)}
        statuses = {d.status for a in store.list_alerts(limit=100) for d in a.deliveries}
    finally:
        store.close()
    got: dict[int, set[str]] = {}
    for r in receiver.received:
        assert r.signature_ok is True
        got.setdefault(r.json["data"]["id"], set()).add(r.headers["webhook-id"])
    assert len(uids) == 40 and set(got) == set(uids), "nothing lost"
    assert all(ids == {uids[i]} for i, ids in got.items()), "a repeat only under the same id"
    assert len(receiver.received) <= 40 + 10, "at most the killed pass's batch is sent twice"
    assert statuses == {"sent"}


# A later report that restates the change ("480 billion yuan, up from the 380 billion yuan")
# after the claim already moved to 480: read once as a change back to 380 (fixed in 87de799).
# Invented for this test.
RESTATED = DemoArticle(
    slug="alibaba-ai-plan-suppliers",
    title="Suppliers gear up after Alibaba enlarges its AI plan",
    summary="Server makers expect more orders.",
    published="Wed, 21 Oct 2026 10:00:00 GMT",
    paragraphs=(
        "Alibaba will now invest 480 billion yuan in cloud and AI infrastructure over the next "
        "three years, up from the 380 billion yuan it planned in September, and server makers "
        "in Shenzhen say the orders are already coming in.",
        "Executives at two cooling-equipment suppliers said they had added night shifts to keep "
        "up, and that lead times for transformers had stretched to more than a year.",
        "Analysts expect the extra capacity to go mostly to inference for enterprise customers.",
    ),
)


def test_restating_a_change_raises_no_alert(
    loopback: LoopbackServer, make_services: Any, receiver: Receiver, smtp: Smtp
) -> None:
    """After 380 -> 480, a report of '480 billion yuan from 380 billion yuan' alerts nobody."""
    clock = FakeClock()
    world = World(loopback, make_services, alerts_table(receiver, smtp), clock)
    seen = Seen(receiver, smtp)
    world.add(FIRST)
    world.step()
    world.add(CHANGE)
    clock.advance(60)
    world.step()
    kinds = sorted(r.json["type"] for r in seen.new()[0])
    assert kinds == ["figure.changed", "figure.new"]
    world.add(RESTATED)
    clock.advance(60)
    world.step()
    hooks, mails = seen.new()
    assert [(r.json["type"], r.json["data"]["figure"]["text"]) for r in hooks] == []
    assert mails == []
