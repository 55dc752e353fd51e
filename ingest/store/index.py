"""The near-duplicate band index, as store methods (the SQL is in :mod:`neardup`)."""

from __future__ import annotations

from collections.abc import Sequence

from ingest.dedup.settings import DedupSettings
from ingest.store import neardup
from ingest.store.base import StoreBase


class IndexQueries(StoreBase):
    def neardup_check(self, settings: DedupSettings) -> None:
        """Refuse to run with settings whose band keys differ from the stored index's."""
        with self._atomic():
            neardup.check_index_params(self.conn, settings)

    def neardup_candidates(
        self, keys: Sequence[int], *, limit: int, per_key_cap: int = 200
    ) -> list[int]:
        return neardup.candidates(self.conn, keys, limit, per_key_cap=per_key_cap)

    def neardup_add(self, article_id: int, keys: Sequence[int]) -> None:
        """Index an article under its keys. A revised article keeps its older keys too, so
        copies of an earlier version still find it."""
        neardup.add_to_index(self.conn, article_id, keys)
