"""Configuration errors as an operator reads them: all at once, each once, naming the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.config import load_config, parse_config
from ingest.errors import ConfigError, ConfigErrors


def check_config(path: Path, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["check-config", "--config", str(path)], env={"INGEST_DB": "", **env}
    )
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ingest.toml"
    path.write_text(text, encoding="utf-8")
    return path


BROKEN = """
[store]
raw_html_retention_days = "ninety"
pth = "x.db"

[http]
max_redirects = -1

[schedule]
tick = "soon"
min_interval = "2d"
max_interval = "1d"

[[sources]]
name = "ok"
url = "https://example.com/feed"

[[sources]]
name = "bad"
url = "ftp://example.com/feed"
colour = "red"

[alerts]
mode = "sometimes"
kinds = ["new", "old"]

[dedup]
duplicate_containment = "high"

[figures]
metric_file = "x.toml"

[typo_table]
x = 1
"""


def test_check_config_reports_every_error_of_a_file(tmp_path: Path) -> None:
    """One run lists every problem, each with file and key, and says how many."""
    code, _, err = check_config(write(tmp_path, BROKEN))
    assert code == 2
    lines = [x for x in err.splitlines() if x.startswith("ingest: configuration error: ")]
    keys = [x.split(": ")[3] for x in lines]
    assert keys == [
        "store.raw_html_retention_days",
        "store.pth",
        "http.max_redirects",
        "schedule.tick",
        "schedule.min_interval",
        "sources[1].url",
        "sources[1].colour",
        "alerts.mode",
        "alerts.kinds",
        "typo_table",
        "dedup.duplicate_containment",
        "figures.metric_file",
    ]
    assert all(f"{tmp_path / 'ingest.toml'}: " in x for x in lines)
    assert err.splitlines()[-1] == f"ingest: {len(lines)} configuration errors"


def test_each_message_names_its_key_once(tmp_path: Path) -> None:
    """No message repeats its key ("http.max_redirects: http.max_redirects: ...")."""
    path = write(tmp_path, "[http]\nmax_redirects = -1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (
        str(info.value) == f"{path}: http.max_redirects: must be at least 0 and at most 100, got -1"
    )
    code, _, err = check_config(path)
    assert code == 2
    assert err.count("http.max_redirects") == 1


def test_a_single_error_is_raised_as_itself(tmp_path: Path) -> None:
    """With one problem the loader raises that ConfigError (with its key), not a list."""
    with pytest.raises(ConfigError) as info:
        parse_config(tomllib.loads("[schedule]\ntick = 'soon'\n"), file="f.toml", environ={})
    assert not isinstance(info.value, ConfigErrors)
    assert info.value.key == "schedule.tick"


def test_the_loader_collects_errors_for_every_command(tmp_path: Path) -> None:
    """parse_config raises ConfigErrors holding each problem, in the file's order."""
    data = tomllib.loads("[store]\npth = 1\n[topic]\nenabled = 'yes'\n")
    with pytest.raises(ConfigErrors) as info:
        parse_config(data, file="f.toml", environ={})
    assert [e.key for e in info.value.errors] == ["store.pth", "topic.enabled"]


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('[alerts]\nmetrics = ["cloud_revenue", "cloud_revnue"]\n', "alerts.metrics[1]"),
        ("[alerts.thresholds]\ncloud_revnue = 0.1\n", "alerts.thresholds.cloud_revnue"),
        ('[[alerts.mute]]\nmetric = "cloud_revnue"\n', "alerts.mute[0].metric"),
    ],
    ids=["metrics", "thresholds", "mute"],
)
def test_unknown_alert_metric_is_an_error(tmp_path: Path, table: str, key: str) -> None:
    """A metric key the catalogue lacks, in [alerts] metrics, thresholds or a mute, fails
    check-config (and poll, as the daemon's start) naming the key and the known ones."""
    path = write(tmp_path, f'[store]\npath = "{tmp_path / "x.db"}"\n' + table)
    code, _, err = check_config(path)
    assert code == 2
    assert f"{key}: unknown metric 'cloud_revnue'; did you mean 'cloud_revenue'?" in err
    assert "(known: " in err and "ai_investment_commitment" in err
    result = CliRunner().invoke(main, ["poll", "--config", str(path)], env={"INGEST_DB": ""})
    assert result.exit_code == 2 and key in result.stderr


def test_known_alert_metrics_pass(tmp_path: Path) -> None:
    """Catalogue keys pass; a mute's metric matches case-insensitively as the policy does."""
    path = write(
        tmp_path,
        '[alerts]\nmetrics = ["cloud_revenue"]\n[alerts.thresholds]\ncloud_revenue = 0.05\n'
        '[[alerts.mute]]\nmetric = "Cloud_Revenue"\n',
    )
    code, out, err = check_config(path)
    assert code == 0, err
    assert f"{path}: OK" in out


def test_check_config_mentions_the_email_target(tmp_path: Path) -> None:
    """A configured [alerts.email] is listed (server, security, login or not, recipients),
    never its password."""
    path = write(
        tmp_path,
        '[alerts.email]\nhost = "smtp.example.com"\nfrom = "ingest@example.com"\n'
        'to = ["ops@example.com", "cto@example.com"]\nusername_env = "SMTP_USER"\n'
        'password_env = "SMTP_PASS"\n',
    )
    code, out, err = check_config(path, SMTP_USER="bot", SMTP_PASS="hunter2-very-secret")
    assert code == 0, err
    assert "email target: email smtp://smtp.example.com:587 -> 2 recipient(s)" in out
    assert "(starttls, with login)" in out
    assert "to ops@example.com" in out and "to cto@example.com" in out
    assert "hunter2-very-secret" not in out + err


def test_check_config_without_email_says_nothing_of_it(tmp_path: Path) -> None:
    """No email table, no email line."""
    code, out, _ = check_config(write(tmp_path, ""))
    assert code == 0
    assert "email" not in out
