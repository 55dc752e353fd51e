"""The store implementations the contract suite (tests/test_store_contract.py) runs against.

Each entry opens a fresh, empty store of one backend and closes it (and drops whatever it
created) afterwards. A backend that cannot run here (no server) skips with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from ingest.store import Store
from ingest.store.interfaces import StoreBackend


@contextmanager
def sqlite_backend(tmp_path: Path) -> Iterator[StoreBackend]:
    store = Store(tmp_path / "contract.db")
    try:
        yield store
    finally:
        store.close()


BACKENDS: dict[str, Callable[[Path], AbstractContextManager[StoreBackend]]] = {
    "sqlite": sqlite_backend,
}
