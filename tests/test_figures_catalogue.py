"""Loading metrics.toml and fx.toml, and the errors for bad files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingest.errors import ConfigError
from ingest.figures import DEFAULT_CONFIG_DIR, load_figure_settings

REQUIRED_METRICS = {
    "ai_investment_commitment", "quarterly_capex", "revenue", "revenue_growth", "cloud_revenue",
    "cloud_revenue_growth", "ai_product_revenue_growth", "net_income", "free_cash_flow",
    "market_share", "share_price_move", "market_value", "model_parameters",
    "open_source_model_count", "derivative_models", "downloads", "users",
    "regions_and_data_centres", "energy_consumption_growth",
}  # fmt: skip


def write(tmp_path: Path, metrics: str, fx: str | None = None) -> Path:
    (tmp_path / "metrics.toml").write_text(metrics, encoding="utf-8")
    fx_text = fx if fx is not None else (DEFAULT_CONFIG_DIR / "fx.toml").read_text("utf-8")
    (tmp_path / "fx.toml").write_text(fx_text, encoding="utf-8")
    return tmp_path


def test_bundled_config_covers_the_issue() -> None:
    """The bundled catalogue has every metric and entity the issue lists."""
    settings = load_figure_settings()
    assert {m.key for m in settings.metrics} >= REQUIRED_METRICS
    names = {e.name for e in settings.entities}
    assert {"Alibaba", "Alibaba Cloud", "Qwen", "T-Head", "Quark", "Ant Group", "Tencent",
            "Baidu", "ByteDance", "DeepSeek", "OpenAI", "Nvidia", "Microsoft", "Meta",
            "Google"} <= names  # fmt: skip


def test_fx_picks_table_by_date() -> None:
    """The newest table valid on the date is used; no date means the newest table."""
    settings = load_figure_settings()
    assert settings.usd_rate("CNY", date(2024, 3, 1)) == 0.1408
    assert settings.usd_rate("CNY", None) == 0.1396
    assert settings.usd_rate("CNY", date(2020, 1, 1)) == 0.1408
    assert settings.usd_rate("USD", None) == 1.0
    # Issue 16 gave every recognised currency a rate (FIM was the example of a missing one).
    assert settings.usd_rate("XYZ", None) is None


def test_missing_file_names_it(tmp_path: Path) -> None:
    """A missing metrics.toml raises ConfigError naming the file."""
    with pytest.raises(ConfigError) as info:
        load_figure_settings(tmp_path)
    assert info.value.file == str(tmp_path / "metrics.toml")


@pytest.mark.parametrize(
    ("metrics", "key"),
    [
        ('[[metric]]\nkey = "Bad Key"\nunits = ["money"]\ngroups = [["x"]]\n', "metric[0].key"),
        ('[[metric]]\nkey = "k"\nunits = ["euros"]\ngroups = [["x"]]\n', "metric[0].units"),
        ('[[metric]]\nkey = "k"\nunits = ["%"]\ngroups = []\n', "metric[0].groups"),
        ('[[metric]]\nkey = "k"\nunits = ["%"]\ngroups = [["(unclosed"]]\n', "metric[0].groups[0]"),
        ('[[entity]]\naliases = ["x"]\n', "entity[0]"),
    ],
)
def test_bad_metrics_file_names_key(tmp_path: Path, metrics: str, key: str) -> None:
    """A bad entry raises ConfigError carrying the file and the key."""
    write(tmp_path, metrics)
    with pytest.raises(ConfigError) as info:
        load_figure_settings(tmp_path)
    assert info.value.key == key
    assert info.value.file == str(tmp_path / "metrics.toml")


def test_bad_toml_and_bad_rate(tmp_path: Path) -> None:
    """Invalid TOML and a non-positive rate are reported with their file (and key)."""
    write(tmp_path, "[[metric]\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_figure_settings(tmp_path)
    write(tmp_path, "", "[[rates]]\nvalid_from = 2025-01-01\nCNY = -1\n")
    with pytest.raises(ConfigError) as info:
        load_figure_settings(tmp_path)
    assert info.value.key == "rates[0].CNY"
