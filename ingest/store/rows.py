"""What the row-to-record conversions read: a row by column name.

Both a ``sqlite3.Row`` and the ``dict`` rows of psycopg satisfy it, so the conversions from
rows to the store's frozen dataclasses (``sources._source``, ``articles._article``,
``figures._stored``, ``findings._value``) are shared by the SQLite and PostgreSQL stores.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class Row(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...
