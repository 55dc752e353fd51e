"""``run``, ``poll``, ``status``, ``check-config``."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from ingest.cli import main
from ingest.cli.common import EXIT_ERROR, app, common_options, handle_errors, print_table


@main.command()
@common_options
@handle_errors
def run() -> None:
    """Run the daemon: poll due sources on every tick until SIGTERM or SIGINT.

    The schedule lives in the database, so a restart resumes where it stopped. SIGTERM and
    SIGINT finish the work in hand and exit 0.

    \b
    Example:
        ingest --config config/ingest.toml run
        INGEST_DB=/var/lib/ingest/ingest.db ingest run
    """
    import asyncio

    from ingest.daemon import Daemon, build_services

    ctx = app()
    services = build_services(ctx.config, ctx.store)
    asyncio.run(Daemon(services).run())


@main.command()
@click.option("--due", is_flag=True, help="Only the sources whose next check is due.")
@common_options
@handle_errors
def poll(due: bool) -> None:
    """Check every enabled source once (or only the due ones), then exit.

    Exit code 0 when every check succeeded, 1 when any source failed (each failure is listed).

    \b
    Example:
        ingest poll            # all enabled sources, now
        ingest poll --due      # what a daemon tick would do (for cron)
    """
    import asyncio

    from ingest.alerts import DeliveryReport
    from ingest.daemon import build_services, close_services, deliver_alerts, run_pass
    from ingest.models import CheckOutcome

    ctx = app()
    services = build_services(ctx.config, ctx.store)

    async def go() -> tuple[list[CheckOutcome], DeliveryReport]:
        try:
            results = await run_pass(services, only_due=due)
            # One attempt for every due alert, so a one-shot run delivers what it found;
            # what fails stays queued with its retry schedule.
            return results, await deliver_alerts(services)
        finally:
            await close_services(services)

    results, report = asyncio.run(go())
    names = {s.id: s.name for s in ctx.store.list_sources()}
    failed = 0
    for r in results:
        name = names.get(r.source_id, str(r.source_id))
        if r.outcome in ("error", "disabled"):
            failed += 1
            click.echo(f"{name}: {r.outcome}: {r.error}", err=True)
        else:
            click.echo(
                f"{name}: {r.outcome}, {r.new_articles} new articles, {r.rejected} off-topic"
            )
    click.echo(f"checked {len(results)} sources, {failed} failed")
    if report.targets:
        click.echo(f"alerts: {report.sent} sent, {report.failed} failed, {report.dead} dead")
    if failed:
        sys.exit(EXIT_ERROR)


@main.command("check-config")
@common_options
@handle_errors
def check_config() -> None:
    """Validate the configuration without starting anything; exit 2 with file and key if wrong.

    \b
    Example:
        ingest check-config --config /etc/ingest/ingest.toml
    """
    ctx = app()
    cfg = ctx.config
    from ingest.daemon import dedup_settings_for, topic_filter_for

    dedup_settings_for(cfg)
    topic_filter_for(cfg)
    click.echo(f"{cfg.file}: OK")
    click.echo(f"  database: {ctx.db}")
    click.echo(f"  sources: {len(cfg.sources)} ({sum(s.enabled for s in cfg.sources)} enabled)")
    click.echo(f"  webhook targets: {len(cfg.alerts.webhooks)}")


@main.command()
@common_options
@handle_errors
def status() -> None:
    """One screen: sources by state, last and next polls, articles today.

    \b
    Example:
        ingest status
    """
    from ingest.models import utcnow

    ctx = app()
    store = ctx.store
    sources = store.list_sources()
    now = utcnow()
    by_state: dict[str, int] = {}
    for s in sources:
        by_state[s.status.value] = by_state.get(s.status.value, 0) + 1
    last = max((s.last_checked for s in sources if s.last_checked), default=None)
    upcoming = min((s.next_check for s in sources if s.next_check and s.enabled), default=None)
    articles, stories = store.count_articles_since(now - timedelta(days=1))
    click.echo(f"database   {store.path}")
    states = ", ".join(f"{n} {k}" for k, n in sorted(by_state.items())) or "none"
    click.echo(f"sources    {len(sources)}: {states}")
    click.echo(f"last poll  {last.isoformat(timespec='seconds') if last else 'never'}")
    click.echo(f"next poll  {upcoming.isoformat(timespec='seconds') if upcoming else 'now'}")
    click.echo(f"last 24 h  {articles} articles ({stories} new stories)")
    failing = [s for s in sources if s.status.value in ("failing", "disabled")]
    if failing:
        click.echo("")
        print_table(
            ["failing source", "failures", "error"],
            [[s.name, str(s.failures), (s.last_error or "")[:80]] for s in failing],
        )
