"""``backup``: an online copy of the database."""

from __future__ import annotations

from pathlib import Path

import click

from ingest.cli.common import app, common_options, handle_errors
from ingest.cli.group import main


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists (only by a good copy).")
@common_options
@handle_errors
def backup(file: Path, force: bool) -> None:
    """Copy the database to FILE while the daemon keeps running.

    SQLite: the online backup API, checked with PRAGMA integrity_check. PostgreSQL ([store]
    url or $INGEST_DATABASE_URL): pg_dump --format=custom, checked with pg_restore --list (both
    tools on PATH). Either way the copy is a consistent snapshot written under a temporary name
    first, so FILE only ever holds a complete, verified backup. Exit code 3 when the copy could
    not be made or did not verify.

    \b
    Example:
        ingest backup /var/backups/ingest-$(date +%F).db
        ingest --db data/ingest.db backup copy.db --force
        INGEST_DATABASE_URL=postgresql://ingest@db/ingest ingest backup ingest.dump
    """
    from ingest.errors import BackupError
    from ingest.store.backup import backup_database
    from ingest.store.select import database_url

    ctx = app()
    if database_url(ctx.config.store.url) is not None:
        store = ctx.store  # PostgreSQL: opened without syncing the config's sources
    else:
        from ingest.store import Store

        db = ctx.db
        if not db.is_file():
            raise BackupError(f"no database at {db}")
        # Store(), not ctx.store: a backup must not sync the config's sources into the database.
        store = Store(db)
        ctx.cleanups.append(store.close)
    result = backup_database(store, file, overwrite=force)
    if result.format == "pg_dump":
        click.echo(
            f"backed up {result.source} to {result.target}: {result.bytes:,} bytes, pg_dump "
            f"custom format, {result.tables} tables, checked with pg_restore --list, "
            f"{result.seconds:.2f} s (restore: pg_restore --dbname=URL {result.target})"
        )
        return
    click.echo(
        f"backed up {result.source} to {result.target}: {result.bytes:,} bytes, "
        f"{result.pages:,} pages, integrity {result.integrity}, {result.seconds:.2f} s"
    )
