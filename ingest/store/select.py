"""Which store a process opens: PostgreSQL when a database URL is given, else SQLite.

``$INGEST_DATABASE_URL`` beats ``[store] url``; with neither, the SQLite file at ``[store]
path`` (or ``--db``) is opened, as always. The PostgreSQL store is imported only when chosen,
so SQLite users need not install psycopg.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ingest.errors import ConfigError, StoreError
from ingest.store import Store
from ingest.store.interfaces import StoreBackend
from ingest.urls import database_url_problem

ENV_DATABASE_URL = "INGEST_DATABASE_URL"


def database_url(configured: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The PostgreSQL URL to use, or None for SQLite; an unusable variable is a config error."""
    env = (os.environ if environ is None else environ).get(ENV_DATABASE_URL)
    if env:
        problem = database_url_problem(env)
        if problem:
            raise ConfigError(problem, file="environment", key=ENV_DATABASE_URL)
        return env
    return configured or None


def open_backend(url: str | None, path: Path) -> StoreBackend:
    """The PostgreSQL store at ``url``, or the SQLite store at ``path`` when ``url`` is None."""
    if url is None:
        return Store(path)
    try:
        from ingest.store.postgres import PostgresStore
    except ImportError as exc:
        raise StoreError(
            "the PostgreSQL store needs psycopg: pip install 'ingest[postgres]'"
            f" ({exc.name or exc} is missing)"
        ) from exc
    return PostgresStore(url)
