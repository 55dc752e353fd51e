"""``alerts``: the outbox (list, failed, retry, deliver) and ``alerts test``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from ingest.cli.common import (
    EXIT_ERROR,
    app,
    common_options,
    handle_errors,
    print_jsonl,
    print_table,
)
from ingest.cli.group import main
from ingest.models import to_iso

if TYPE_CHECKING:
    from ingest.alerts.settings import AlertSettings
    from ingest.store.alerts import AlertRecord
    from ingest.store.interfaces import OutboxStore


def _store_and_settings(
    *, sends: bool = False, existing: bool = False
) -> tuple[OutboxStore, AlertSettings]:
    from ingest.alerts.settings import alert_settings

    ctx = app(sends=sends)
    settings = alert_settings(ctx.config)
    # Listing and retrying need a database that is there; none is created for them.
    store = ctx.existing_store if existing else ctx.store
    return store, settings


def alert_to_dict(record: AlertRecord) -> dict[str, Any]:
    """The ``--json`` record: the finding plus ``alert_uid``, ``alerted_at`` and ``deliveries``."""
    out = dict(record.finding)
    out.update(
        alert_uid=record.uid,
        alerted_at=to_iso(record.created_at),
        deliveries=[
            {
                "target": d.target,
                "status": d.status,
                "attempts": d.attempts,
                "last_error": d.last_error,
                "last_status": d.last_status,
                "next_attempt": to_iso(d.next_attempt),
                "sent_at": to_iso(d.sent_at),
                "digest_id": d.digest_id,
            }
            for d in record.deliveries
        ],
    )
    return out


def _summary(record: AlertRecord) -> str:
    parts = []
    for d in record.deliveries:
        part = f"{d.target}:{d.status}"
        if d.attempts > 1 or d.status != "sent":
            part += f"({d.attempts})"
        parts.append(part)
    return " ".join(parts) or "(no target)"


@main.group(invoke_without_command=True)
@click.option("--failed", is_flag=True, help="Only alerts with a dead or disabled delivery.")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one alert per line.")
@common_options
@handle_errors
@click.pass_context
def alerts(ctx: click.Context, failed: bool, limit: int, as_json: bool) -> None:
    """List alerts, newest first, with the state of each delivery.

    An alert's ID is its finding's id. JSON fields: the finding record (id, kind, subject,
    metric, metric_label, period, figure, previous, article_url, created_at, ...) plus
    alert_uid (the webhook-id), alerted_at and deliveries (target, status, attempts,
    last_error, last_status, next_attempt, sent_at, digest_id). Delivery status is pending,
    sent, dead (gave up after the horizon) or disabled (the target answered 410 Gone).

    \b
    Example:
        ingest alerts
        ingest alerts --failed --json
        ingest alerts retry 42
    """
    if ctx.invoked_subcommand is not None:
        return
    store, _ = _store_and_settings(existing=True)
    records = store.list_alerts(failed=failed, limit=limit)
    if as_json:
        print_jsonl(alert_to_dict(r) for r in records)
        return
    from ingest.alerts.payload import headline

    print_table(
        ["id", "kind", "created", "deliveries", "what"],
        [
            [str(r.id), r.kind, to_iso(r.created_at) or "", _summary(r), headline(r.finding)[:80]]
            for r in records
        ],
    )
    if failed:
        for r in records:
            for d in r.deliveries:
                if d.status in ("dead", "disabled"):
                    click.echo(f"  {r.id} -> {d.target}: {d.last_error or d.status}")


@alerts.command()
@click.argument("alert_id", type=int)
@common_options
@handle_errors
def retry(alert_id: int) -> None:
    """Re-queue the dead or disabled deliveries of an alert (same webhook-id), due now.

    A target disabled by 410 Gone is enabled again. The next `ingest poll` or daemon tick
    sends it; `ingest alerts deliver` sends it at once.

    \b
    Example:
        ingest alerts retry 42 && ingest alerts deliver
    """
    from ingest.models import utcnow

    store, _ = _store_and_settings(existing=True)
    targets = store.retry_alert(alert_id, now=utcnow())
    if targets is None:
        click.echo(f"ingest: no alert {alert_id}", err=True)
        sys.exit(EXIT_ERROR)
    if not targets:
        click.echo(f"alert {alert_id}: nothing dead or disabled to retry")
        return
    click.echo(f"alert {alert_id}: re-queued for {', '.join(targets)}")


@alerts.command()
@common_options
@handle_errors
def deliver() -> None:
    """Make one delivery attempt for every alert that is due (what `poll` does at its end).

    Exit code 1 when any attempt failed.

    \b
    Example:
        ingest alerts deliver
    """
    import asyncio

    from ingest.alerts import build_senders, close_senders, deliver_due
    from ingest.alerts.outbox import DeliveryReport
    from ingest.models import utcnow

    store, settings = _store_and_settings(sends=True)

    async def go() -> DeliveryReport:
        senders = build_senders(settings)
        try:
            return await deliver_due(store, senders, settings, utcnow())
        finally:
            await close_senders(senders)

    report = asyncio.run(go())
    for t in report.targets:
        line = f"{t.target}: {t.sent} sent, {t.failed} failed, {t.dead} dead"
        if t.disabled:
            line += " (target disabled: 410 Gone)"
        if t.last_error:
            line += f"; last error: {t.last_error}"
        click.echo(line)
    if report.failed:
        sys.exit(EXIT_ERROR)


@alerts.command("test")
@common_options
@handle_errors
def test_targets() -> None:
    """Send a test alert to every configured target and report each result.

    Nothing is queued: the test is sent once, now. Exit code 1 when any target failed or none
    is configured.

    \b
    Example:
        ingest alerts test
    """
    import asyncio
    import uuid

    from ingest.alerts import Message, SendResult, build_senders, close_senders
    from ingest.alerts.payload import TEST_TYPE
    from ingest.alerts.settings import alert_settings
    from ingest.models import utcnow

    settings = alert_settings(app(sends=True).config)
    senders = build_senders(settings)
    if not senders:
        click.echo("no alert targets configured ([[alerts.webhook]], [alerts.email])", err=True)
        sys.exit(EXIT_ERROR)
    now = utcnow()
    message = Message(id=f"msg_{uuid.uuid4().hex}", type=TEST_TYPE, timestamp=now, findings=())

    async def go() -> list[SendResult]:
        try:
            return list(await asyncio.gather(*(s.send(message, now=now) for s in senders.values())))
        finally:
            await close_senders(senders)

    results = asyncio.run(go())
    failed = 0
    for sender, result in zip(senders.values(), results, strict=True):
        ms = f"{result.elapsed * 1000:.0f} ms"
        if result.ok:
            status = f"{result.status}, " if result.status else ""
            click.echo(f"ok      {sender.display} ({status}{ms})")
        else:
            failed += 1
            click.echo(f"FAILED  {sender.display}: {result.error}")
    click.echo(f"{len(results) - failed} of {len(results)} targets OK")
    if failed:
        sys.exit(EXIT_ERROR)
