"""FindingSettings: defaults, validation, and the [findings] config table."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.config import parse_config
from ingest.errors import ConfigError
from ingest.findings import FindingSettings, finding_settings


def config(tmp_path: Path, table: dict[str, object] | None) -> object:
    data: dict[str, object] = {"store": {"path": str(tmp_path / "x.db")}, "sources": []}
    if table is not None:
        data["findings"] = table
    return parse_config(data, file="t.toml", environ={})


def test_defaults_without_table(tmp_path: Path) -> None:
    """No [findings] table gives the documented defaults."""
    settings = finding_settings(config(tmp_path, None))  # type: ignore[arg-type]
    assert settings == FindingSettings()
    assert (settings.min_margin, settings.conflict_window_hours) == (0.25, 48.0)


def test_table_overrides(tmp_path: Path) -> None:
    """Keys in [findings] override the defaults."""
    settings = finding_settings(
        config(tmp_path, {"min_margin": 0.5, "conflict_window_hours": 24})  # type: ignore[arg-type]
    )
    assert (settings.min_margin, settings.conflict_window_hours) == (0.5, 24)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"min_margn": 0.5}, "findings.min_margn"),
        ({"approx_margin": "ten"}, "findings.approx_margin"),
        ({"fx_tolerance": 1.5}, "findings.fx_tolerance"),
        ({"conflict_window_hours": -1}, "findings.conflict_window_hours"),
        ({"max_previous": 0}, "findings.max_previous"),
    ],
)
def test_bad_values_are_config_errors(tmp_path: Path, table: dict[str, object], key: str) -> None:
    """Unknown keys and out-of-range values are ConfigErrors naming the key."""
    with pytest.raises(ConfigError) as info:
        finding_settings(config(tmp_path, table))  # type: ignore[arg-type]
    assert info.value.key == key
