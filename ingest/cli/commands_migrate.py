"""``migrate-store``: copy the SQLite corpus into a PostgreSQL store, once, daemon stopped."""

from __future__ import annotations

import click

from ingest.cli.common import app, common_options, handle_errors, print_table
from ingest.cli.group import main
from ingest.store.select import ENV_DATABASE_URL

# A progress line every this many rows of one table (a multiple of every batch size, see
# ingest/store/transfer.py) and one when each table is done.
PROGRESS_EVERY = 50_000


def _progress(table: str, done: int, total: int) -> None:
    if done == total or done % PROGRESS_EVERY == 0:
        click.echo(f"  {table:<18} {done:>12,} / {total:,}", err=True)


@main.command("migrate-store")
@click.option(
    "--to",
    "target",
    metavar="URL",
    default=None,
    help=f"The PostgreSQL database to fill (default: ${ENV_DATABASE_URL}, then [store] url).",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Delete everything the PostgreSQL store holds first (same transaction as the copy).",
)
@common_options
@handle_errors
def migrate_store(target: str | None, replace: bool) -> None:
    """Copy the SQLite database (--db, $INGEST_DB, [store] path) into a PostgreSQL store.

    Stop the daemon first: the file is refused while another process has it open. Every
    table is copied with its ids, in one transaction: a failure leaves PostgreSQL as it was,
    and running the command again is safe. A target that already holds data is refused
    unless --replace. The rows of every table are counted on both sides at the end and
    printed. Then point the config at PostgreSQL ([store] url or $INGEST_DATABASE_URL) and
    start the daemon or the workers. See docs/operations.md.

    \b
    Example:
        ingest migrate-store --to postgresql://ingest@db.internal:5432/ingest
        ingest --db /var/lib/ingest/ingest.db migrate-store --to "$INGEST_DATABASE_URL"
    """
    from ingest.store.select import database_url
    from ingest.urls import database_url_problem

    ctx = app()
    url = target or database_url(ctx.config.store.url)
    if not url:
        raise click.UsageError(
            f"name the PostgreSQL database: --to postgresql://user@host/db "
            f"(or set ${ENV_DATABASE_URL} or [store] url)"
        )
    problem = database_url_problem(url)
    if problem:
        raise click.BadParameter(problem, param_hint="--to")
    try:
        from ingest.store.postgres.errors import redact_url
        from ingest.store.postgres.transfer import copy_into_postgres
    except ImportError as exc:
        raise click.ClickException(
            "migrate-store needs psycopg: pip install 'ingest[postgres]'"
        ) from exc
    from ingest.store.transfer import open_sqlite_source

    db = ctx.db
    source = open_sqlite_source(db)
    ctx.cleanups.append(source.close)
    if source.upgraded:
        click.echo(f"brought {db} up to this version's schema: {', '.join(source.upgraded)}")
    click.echo(f"copying {db} into {redact_url(url)}", err=True)
    report = copy_into_postgres(source, url, replace=replace, progress=_progress)
    print_table(
        ["table", "sqlite", "postgresql"],
        [[c.table, f"{c.sqlite:,}", f"{c.postgres:,}"] for c in report.counts],
    )
    click.echo(
        f"copied {report.total:,} rows from {db} into {report.target}"
        + (" (its previous contents deleted)" if report.replaced else "")
        + f"; every table's count matches; {report.leases_cleared} leases of stopped "
        "processes cleared"
    )
    click.echo(
        f"next: set [store] url (or ${ENV_DATABASE_URL}) to this database and start "
        f"`ingest run` or `ingest worker`; keep {db} as the backup of the switch"
    )
