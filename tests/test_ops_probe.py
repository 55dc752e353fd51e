"""The container health probe against a real ops endpoint on 127.0.0.1."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.ops.metrics import NULL_METRICS
from ingest.ops.probe import healthz_url, main, probe
from ingest.ops.server import OpsServer
from ingest.ops.settings import ServerSettings
from ingest.store import Store

T0 = datetime(2025, 3, 1, tzinfo=UTC)


@dataclass
class Daemon:
    last_tick: datetime | None
    last_success: datetime | None = None
    tick_running: bool = False


def probe_server(tmp_path: Path, daemon: Daemon) -> tuple[int, str, int]:
    """Start a server, probe it from a thread (the probe blocks), return status, body, exit."""
    store = Store(tmp_path / "p.db")

    async def go() -> tuple[int, str, int]:
        server = OpsServer(
            ServerSettings(listen="127.0.0.1:0"), store=store, metrics=NULL_METRICS,
            daemon=daemon, tick_seconds=30, clock=lambda: T0,
        )  # fmt: skip
        async with server:
            url = f"{server.url}/healthz"
            status, body = await asyncio.to_thread(probe, url)
            code = await asyncio.to_thread(main, [url])
            return status, body, code

    try:
        return asyncio.run(go())
    finally:
        store.close()


def test_probe_healthy(tmp_path: Path) -> None:
    """A healthy endpoint: 200, exit code 0."""
    status, body, code = probe_server(tmp_path, Daemon(last_tick=T0))
    assert (status, code) == (200, 0)
    assert '"status": "ok"' in body


def test_probe_unhealthy(tmp_path: Path) -> None:
    """A stopped scheduler: 503 with the JSON reason, exit code 1."""
    status, body, code = probe_server(tmp_path, Daemon(last_tick=T0 - timedelta(hours=2)))
    assert (status, code) == (503, 1)
    assert '"scheduler"' in body


def test_probe_nothing_listening() -> None:
    """No server: status 0 and a reason, never an exception."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    status, body = probe(f"http://127.0.0.1:{port}/healthz", timeout=2)
    assert status == 0 and "no answer" in body


@pytest.mark.parametrize(
    ("listen", "url"),
    [
        ("0.0.0.0:9464", "http://127.0.0.1:9464/healthz"),
        ("[::]:9464", "http://[::1]:9464/healthz"),
        ("10.0.0.5:80", "http://10.0.0.5:80/healthz"),
    ],
)
def test_healthz_url(listen: str, url: str) -> None:
    """Wildcard binds are probed through loopback."""
    assert healthz_url(listen) == url


def test_probe_refuses_config_without_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no [server] listen in the config, the probe fails and says why."""
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "x.db"}"\n', encoding="utf-8")
    monkeypatch.setenv("INGEST_CONFIG", str(config))
    assert main([]) == 1
