"""Helpers for tests that run real ``ingest worker`` processes against the test PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Workers = Sequence[subprocess.Popen[bytes]]


def start_worker(config: Path, url: str, log: Path) -> subprocess.Popen[bytes]:
    """``python -m ingest worker`` on ``config``, store and queue in ``url``, output to ``log``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    env["INGEST_DATABASE_URL"] = url
    with log.open("ab") as out:  # the child has its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "ingest", "worker", "--config", str(config)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def rows(url: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on its own connection; its rows (none for a statement without)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description is not None else []


def count(url: str, sql: str) -> int:
    """A count in the store (the PostgreSQL one); 0 while its schema is not created yet."""
    import psycopg

    try:
        found = rows(url, sql)
    except psycopg.errors.UndefinedTable:
        return 0
    return int(found[0][0]) if found else 0


def wait_for(
    what: str, ready: Callable[[], bool], procs: Workers, log: Path, *, timeout: float = 90
) -> None:
    """Poll ``ready`` until true; fail (with the workers' log) on timeout or an early exit."""
    deadline = time.monotonic() + timeout
    while not ready():
        for p in procs:
            assert p.poll() is None, f"a worker exited early:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, (
            f"timed out waiting for {what}:\n{log.read_text()[-3000:]}"
        )
        time.sleep(0.05)


def stop(procs: Workers, *, timeout: float = 60) -> list[int]:
    """SIGTERM every live worker and wait; their exit codes."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    return [p.wait(timeout=timeout) for p in procs]
