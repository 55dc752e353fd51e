"""``worker``: one member of a cluster of workers sharing a PostgreSQL job queue."""

from __future__ import annotations

import click

from ingest.cli.common import app, common_options, handle_errors
from ingest.cli.group import main
from ingest.store.select import ENV_DATABASE_URL


def _missing_extra() -> click.ClickException:
    return click.ClickException(
        "ingest worker needs the cluster extra: pip install 'ingest[cluster]'"
    )


@main.command()
@click.option(
    "--database-url",
    default=None,
    metavar="URL",
    help="The queue's PostgreSQL database (default: [cluster] url, else the store's: "
    f"${ENV_DATABASE_URL}, then [store] url).",
)
@common_options
@handle_errors
def worker(database_url: str | None) -> None:
    """Run one cluster worker: jobs from the PostgreSQL queue until SIGTERM or SIGINT.

    Start as many as you like, on one host or several, against the same database: each source
    is checked by one of them per interval, each alert target is served by one at a time, and
    the jobs of a worker that dies run again elsewhere. See docs/cluster.md.

    \b
    Example:
        INGEST_DATABASE_URL=postgresql://ingest@db/ingest ingest worker
    """
    import asyncio

    try:
        from ingest.cluster.settings import cluster_settings, queue_url
        from ingest.cluster.worker import run_worker
    except ImportError as exc:  # procrastinate / psycopg not installed
        raise _missing_extra() from exc

    ctx = app(sends=True)
    settings = cluster_settings(ctx.config)
    url = queue_url(ctx.config, database_url)
    asyncio.run(run_worker(ctx.config, ctx.synced_store, url, settings))


def cluster_status_lines() -> list[str]:
    """The cluster block of ``ingest status``: empty unless the store or ``[cluster] url`` is
    PostgreSQL, so SQLite users see no change."""
    from ingest.store.select import database_url

    config = app().config
    if not config.cluster.url and not database_url(config.store.url):
        return []
    try:
        from ingest.cluster.metrics import format_cluster
        from ingest.cluster.settings import cluster_settings, queue_url
        from ingest.store.cluster import queue_snapshot
    except ImportError as exc:
        raise _missing_extra() from exc
    settings = cluster_settings(config)
    url = queue_url(config, None)
    return format_cluster(queue_snapshot(url, stalled_after=settings.stalled_timeout))
