"""The PostgreSQL store: every interface of :mod:`ingest.store.interfaces`, on psycopg 3.

``PostgresStore(url)`` opens a connection pool on ``postgresql://user@host:port/db``, applies
its own migrations (``postgres/migrations.py``) and answers as the SQLite store does; the
contract suite (``tests/test_store_contract.py``) runs against both. Query methods are grouped
by table family as on the SQLite side; records and row conversions are shared with it. Needs
the ``postgres`` extra (``pip install 'ingest[postgres]'``). See docs/postgres.md.
"""

from __future__ import annotations

from ingest.store.interfaces import StoreBackend
from ingest.store.postgres.alerts import PgAlertQueries
from ingest.store.postgres.articles import PgArticleQueries
from ingest.store.postgres.errors import redact_url
from ingest.store.postgres.figures import PgFigureQueries
from ingest.store.postgres.findings import PgFindingQueries
from ingest.store.postgres.ops import PgOpsQueries
from ingest.store.postgres.sources import PgSourceQueries
from ingest.store.postgres.stories import PgStoryQueries


class PostgresStore(
    PgSourceQueries, PgArticleQueries, PgStoryQueries, PgFigureQueries, PgFindingQueries,
    PgAlertQueries, PgOpsQueries,
):  # fmt: skip
    """PostgreSQL store: every interface of :mod:`ingest.store.interfaces`."""


# mypy checks here that the PostgreSQL store satisfies the whole interface.
_POSTGRES_IS_A_BACKEND: type[StoreBackend] = PostgresStore

__all__ = ["PostgresStore", "redact_url"]
