"""``run``, ``poll``, ``status``, ``check-config``."""

from __future__ import annotations

import sys

import click

from ingest.cli.common import EXIT_ERROR, app, common_options, handle_errors, redact
from ingest.cli.group import main


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

    ctx = app(sends=True)
    services = build_services(ctx.config, ctx.synced_store)
    asyncio.run(Daemon(services).run())


@main.command()
@click.option(
    "--due", is_flag=True, help="Only the sources and stored pages whose next check is due."
)
@common_options
@handle_errors
def poll(due: bool) -> None:
    """Check every enabled source once (or only the due ones), then exit.

    Does what one daemon tick does: the feeds, then stored pages fetched again to catch
    in-place corrections (``[schedule] revisit_every`` / ``revisit_within``: every page still in
    the window, or with ``--due`` only those not checked for ``revisit_every``), then one
    delivery attempt for every due alert.

    Exit code 0 when every check succeeded, 1 when any source failed (each failure is listed).

    \b
    Example:
        ingest poll            # all enabled sources, now
        ingest poll --due      # what a daemon tick would do (for cron)
    """
    import asyncio

    from ingest.alerts import DeliveryReport
    from ingest.daemon import batch_size, build_services, close_services, deliver_alerts, run_pass
    from ingest.dedup import Decision
    from ingest.models import CheckOutcome
    from ingest.pipeline import revisit_due

    ctx = app(sends=True)
    services = build_services(ctx.config, ctx.synced_store)

    async def go() -> tuple[list[CheckOutcome], list[Decision], DeliveryReport]:
        try:
            started = services.clock()
            results = await run_pass(services, only_due=due)
            # Revisits until none is left (each revisited page is marked checked): a cron
            # poll must not fall behind the way one batch per run would.
            revised: list[Decision] = []
            limit = batch_size(services)
            while True:
                batch = await revisit_due(services, limit=limit, only_due=due, before=started)
                revised += batch
                if len(batch) < limit:
                    break
            # One attempt for every due alert, so a one-shot run delivers what it found;
            # what fails stays queued with its retry schedule.
            return results, revised, await deliver_alerts(services)
        finally:
            await close_services(services)

    results, revised, report = asyncio.run(go())
    names = {s.id: s.name for s in ctx.store.list_sources()}
    failed = 0
    for r in results:
        name = names.get(r.source_id, str(r.source_id))
        if r.outcome in ("error", "disabled"):
            failed += 1
            click.echo(f"{name}: {r.outcome}: {redact(r.error or '')}", err=True)
        else:
            click.echo(
                f"{name}: {r.outcome}, {r.new_articles} new articles, {r.rejected} off-topic"
            )
    click.echo(f"checked {len(results)} sources, {failed} failed")
    changed = sum(d.kind.value == "revision" for d in revised)
    if revised:
        click.echo(f"revisited {len(revised)} stored pages, {changed} new revisions")
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
    from ingest.alerts.settings import parse_alert_settings, unknown_metrics
    from ingest.daemon import figure_settings_for, topic_filter_for
    from ingest.errors import ConfigError, ConfigErrors

    ctx = app(sends=True)  # validates like a start: missing secrets are errors
    # Every problem of the file (the loader reads every table, each stage's too), then those
    # only found with other files: the topic terms, the catalogue and the metrics it names.
    errors: list[ConfigError] = []
    cfg = ctx.config_with_errors(errors)
    try:
        topic_filter_for(cfg)
    except ConfigError as exc:
        errors.extend(exc.errors if isinstance(exc, ConfigErrors) else (exc,))
    # The [alerts] problems are in `errors` already (the loader checks the table); this is
    # only for the summary below.
    alerts = parse_alert_settings(cfg.alerts, file=cfg.file, errors=[])
    try:
        figures = figure_settings_for(cfg)
        known = {m.key for m in figures.metrics}
        errors.extend(unknown_metrics(cfg.alerts.raw, known, file=cfg.file))
    except ConfigError as exc:
        errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else ConfigErrors(errors)
    click.echo(f"{cfg.file}: OK")
    click.echo(f"  database: {ctx.db}")
    click.echo(f"  sources: {len(cfg.sources)} ({sum(s.enabled for s in cfg.sources)} enabled)")
    click.echo(f"  catalogue: {len(figures.metrics)} metrics")
    click.echo(f"  webhook targets: {len(alerts.webhooks)}")
    for hook in alerts.webhooks:
        click.echo(f"    {hook.display}")
    if alerts.email is not None:
        email = alerts.email
        login = "with login" if email.username else "no login"
        click.echo(f"  email target: {email.display} ({email.security}, {login})")
        for addr in email.to:
            click.echo(f"    to {addr}")
    if alerts.apprise:
        click.echo(f"  apprise targets: {len(alerts.apprise)}")
        for target in alerts.apprise:
            click.echo(f"    {target.display}")


@main.command()
@common_options
@handle_errors
def status() -> None:
    """One screen: sources by state, last and next polls, articles, findings and alerts of the
    last 24 h.

    \b
    Example:
        ingest status
    """
    from ingest.cli.commands_cluster import cluster_status_lines
    from ingest.models import utcnow
    from ingest.ops.status import format_status, gather_status

    for line in format_status(gather_status(app().existing_store, utcnow())):
        click.echo(line)
    # Cluster mode (a PostgreSQL store or [cluster] url): workers, queue, stalled jobs.
    for line in cluster_status_lines():
        click.echo(line)
