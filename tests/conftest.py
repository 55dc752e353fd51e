"""Shared fixtures: the loopback HTTP server, a daemon wired to a real SQLite file, and a
throwaway PostgreSQL database (tests/postgres_db.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from loopback import loopback  # noqa: F401  (the fixture)
from postgres_db import postgres_url  # noqa: F401  (the fixture: a database per test)

from ingest.config import Config, parse_config
from ingest.daemon import build_services, open_store
from ingest.models import utcnow
from ingest.pipeline import Services


def make_config(
    tmp_path: Path,
    sources: list[dict[str, Any]],
    environ: Mapping[str, str] | None = None,
    **tables: Any,
) -> Config:
    """A config for tests: loopback allowed, no per-host spacing, short timeouts.

    ``environ`` stands in for the process environment (``secret_env`` variables and the like).
    """
    data: dict[str, Any] = {
        "store": {"path": str(tmp_path / "ingest.db")},
        "http": {
            "allow_networks": ["127.0.0.1/32"],
            "per_host_min_delay": 0,
            "total_timeout": 5,
            "read_timeout": 2,
            "connect_timeout": 2,
            "max_body_bytes": 2_000_000,
            "max_decoded_bytes": 4_000_000,
        },
        "sources": sources,
    }
    for name, table in tables.items():
        data[name] = {**data.get(name, {}), **table}
    return parse_config(data, file="test.toml", environ=dict(environ or {}))


@pytest.fixture
def make_services(tmp_path: Path) -> Iterator[Any]:
    """Build Services for a list of sources; closes what it built."""
    built: list[Services] = []

    def factory(
        sources: list[dict[str, Any]],
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
        **tables: Any,
    ) -> Services:
        config = make_config(tmp_path, sources, environ, **tables)
        store = open_store(config, config.store.path)
        services = build_services(config, store, clock=clock or utcnow)
        built.append(services)
        return services

    yield factory
    for services in built:
        services.store.close()
