"""``ingest alerts``: list, --json, --failed, retry, deliver, test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from alerts_support import SECRET, T0, Receiver, open_alert_store
from click.testing import CliRunner

from ingest.alerts import alert_settings
from ingest.alerts.enqueue import Alerter
from ingest.alerts.synthetic import enqueue_synthetic
from ingest.cli import main


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.down()


def write_config(tmp_path: Path, url: str, *extra_hooks: str) -> Path:
    config = tmp_path / "ingest.toml"
    hooks = "".join(f'\n[[alerts.webhook]]\nurl = "{u}"\nmode = "slack"\n' for u in extra_hooks)
    config.write_text(
        f"""
[store]
path = "{tmp_path / "ingest.db"}"

[alerts]
horizon = "1h"

[[alerts.webhook]]
name = "ops"
url = "{url}"
secret_env = "HOOK_SECRET"
{hooks}""",
        encoding="utf-8",
    )
    return config


def run(config: Path, *args: str) -> tuple[int, str, str]:
    env = {"INGEST_CONFIG": str(config), "HOOK_SECRET": SECRET}
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def seed(config: Path, count: int) -> None:
    store = open_alert_store(config.parent / "ingest.db")
    env = {"HOOK_SECRET": SECRET}
    from ingest.config import load_config

    store_alerts = Alerter(store, alert_settings(load_config(config, environ=env)))
    enqueue_synthetic(store_alerts, count, now=T0)
    store.close()


def test_every_alerts_command_has_an_example() -> None:
    """alerts and each of its subcommands show an Example and --config/--db in --help."""
    group = main.commands["alerts"]
    assert isinstance(group, click.Group)
    for name in ["", *group.commands]:
        result = CliRunner().invoke(main, ["alerts", *([name] if name else []), "--help"])
        assert result.exit_code == 0 and "Example" in result.output, name
        assert "--config" in result.output and "--db" in result.output


def test_list_json_deliver_and_failed_retry(tmp_path: Path, receiver: Receiver) -> None:
    """--json has the finding plus deliveries; a dead delivery shows in --failed; retry and
    deliver send it with its original webhook-id."""
    config = write_config(tmp_path, receiver.url("/hook/abcdef123456"))
    seed(config, 2)
    code, out, _ = run(config, "alerts", "--json")
    assert code == 0
    rows: list[dict[str, Any]] = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == [2, 1]
    assert {"kind", "metric", "figure", "previous", "alert_uid", "deliveries"} <= set(rows[0])
    assert rows[0]["deliveries"] == [
        {"target": "ops", "status": "pending", "attempts": 0, "last_error": None,
         "last_status": None, "next_attempt": "2026-11-03T14:00:00+00:00", "sent_at": None,
         "digest_id": None}
    ]  # fmt: skip

    receiver.down()  # T0 is long past: the horizon (1h) is over, so one failure makes it dead
    code, out, _ = run(config, "alerts", "deliver")
    assert code == 1 and "ops: 0 sent, 1 failed, 1 dead" in out
    code, out, _ = run(config, "alerts", "--failed")
    assert code == 0 and "ops:dead(1)" in out and "ConnectError" in out
    assert "abcdef123456" not in out and "/…/3456" not in out  # masked, and only in errors

    receiver.up()
    code, out, _ = run(config, "alerts", "retry", "1")
    assert code == 0 and "re-queued for ops" in out
    code, out, _ = run(config, "alerts", "deliver")
    assert code == 0, out
    code, out, _ = run(config, "alerts", "--failed", "--json")
    assert code == 0 and out == ""
    # Alert 2 was never tried (the first failure ended the target's turn), so it went too.
    uid = {r["id"]: r["alert_uid"] for r in rows}
    assert {r.json["data"]["id"]: r.headers["webhook-id"] for r in receiver.received} == uid
    code, _, err = run(config, "alerts", "retry", "77")
    assert code == 1 and "no alert 77" in err


def test_alerts_test_reports_each_target(tmp_path: Path, receiver: Receiver) -> None:
    """`alerts test` sends to every target, prints masked URLs and exits 1 when one failed."""
    token = "T000/B000/secretsecretsecret"
    config = write_config(tmp_path, receiver.url(), f"http://127.0.0.1:9/services/{token}")
    code, out, _ = run(config, "alerts", "test")
    assert code == 1
    assert "ok      ops http://127.0.0.1:" in out
    assert "FAILED  webhook-" in out and "http://127.0.0.1:9/…/cret" in out
    assert "secretsecret" not in out and SECRET not in out
    assert "1 of 2 targets OK" in out
    (got,) = receiver.received
    assert got.json["type"] == "ingest.test" and got.signature_ok is True
