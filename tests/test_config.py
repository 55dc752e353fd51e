"""The config loader: the bundled file is valid; wrong files are refused with file and key."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from ingest.config import load_config, parse_config, parse_duration
from ingest.dedup import DedupSettings
from ingest.errors import ConfigError, ConfigErrors

BUNDLED = Path(__file__).resolve().parents[1] / "config" / "ingest.toml"


def test_bundled_config_is_valid() -> None:
    """The shipped config loads and lists real public feeds over HTTPS."""
    config = load_config(BUNDLED)
    assert len(config.sources) >= 5
    assert all(s.url.startswith("https://") for s in config.sources)
    assert config.store.path == Path("data/ingest.db")
    assert isinstance(config.dedup, DedupSettings)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(900, 900.0), ("15m", 900.0), ("2h", 7200.0), ("1d", 86400.0), ("30s", 30.0)],
)
def test_durations(text: object, seconds: float) -> None:
    """Durations are seconds or a number with a unit."""
    assert parse_duration(text, file="f", key="k") == seconds


@pytest.mark.parametrize("bad", ["soon", -5, 0, True, "5 weeks"])
def test_bad_duration_names_key(bad: object) -> None:
    """A bad duration names the file and key."""
    with pytest.raises(ConfigError, match=r"^f: schedule\.tick: "):
        parse_duration(bad, file="f", key="schedule.tick")


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        ({"store": {"pth": "x"}}, "store.pth", "unknown key"),
        ({"store": {"path": 5}}, "store.path", "expected a string"),
        ({"sources": [{"url": "https://a/"}]}, "sources[0].name", "is required"),
        ({"sources": [{"name": "a", "url": "ftp://a/"}]}, "sources[0].url", "http"),
        (
            {"sources": [{"name": "a", "url": "https://a/"}, {"name": "a", "url": "https://b/"}]},
            "sources[1].name",
            "duplicate",
        ),
        (
            {"sources": [{"name": "a", "url": "https://a/", "interval": "often"}]},
            "sources[0].interval",
            "duration",
        ),
        ({"http": {"allow_networks": ["10.0.0.0/33"]}}, "http.allow_networks", "CIDR"),
        ({"http": {"max_redirects": -1}}, "http.max_redirects", "at least"),
        (
            {"schedule": {"min_interval": "2d", "max_interval": "1d"}},
            "schedule.min_interval",
            "exceed",
        ),
        (
            {"alerts": {"webhook": [{"url": "https://h/", "secret_env": "NOPE_NOT_SET"}]}},
            "alerts.webhook[0].secret_env",
            "NOPE_NOT_SET",
        ),
        ({"bogus": {}}, "bogus", "unknown key"),
    ],
)
def test_wrong_config_is_refused_with_key(data: dict[str, object], key: str, message: str) -> None:
    """Each kind of mistake is reported with the file, the dotted key and what is wrong."""
    with pytest.raises(ConfigError) as info:
        parse_config(data, file="conf.toml", environ={})
    assert info.value.file == "conf.toml"
    assert info.value.key == key
    assert message in str(info.value)
    assert str(info.value).startswith(f"conf.toml: {key}: ")


def test_secret_comes_from_environment_not_file() -> None:
    """A webhook secret is read from the named environment variable."""
    config = parse_config(
        {"alerts": {"webhook": [{"url": "https://h/x", "secret_env": "HOOK_SECRET"}]}},
        file="c.toml",
        environ={"HOOK_SECRET": "whsec_abc"},
    )
    (hook,) = config.alerts.webhooks
    assert hook.secret == "whsec_abc" and hook.secret_env == "HOOK_SECRET"
    assert "whsec_abc" not in repr(config)


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    """Unparseable TOML and a missing file are ConfigErrors naming the file."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[store\npath = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "missing.toml")


def test_stage_tables_are_read_by_the_loader() -> None:
    """[dedup] keys must be DedupSettings fields of the right type, checked at load."""
    config = parse_config({"dedup": {"collapse_ratio": 0.4}}, file="c.toml", environ={})
    assert config.dedup.collapse_ratio == 0.4
    with pytest.raises(ConfigError, match=r"^c\.toml: dedup\.colapse_ratio: unknown key"):
        parse_config({"dedup": {"colapse_ratio": 0.4}}, file="c.toml", environ={})
    with pytest.raises(ConfigError, match=r"dedup\.collapse_ratio: expected a number, got 'high'"):
        parse_config({"dedup": {"collapse_ratio": "high"}}, file="c.toml", environ={})


def test_every_error_of_a_stage_table_is_reported() -> None:
    """A [dedup] table with three problems gives three errors, each with file and key
    (it used to stop at the first)."""
    table = {"bands": 0, "duplicate_containment": 1.5, "colapse_ratio": 0.4}
    with pytest.raises(ConfigErrors) as info:
        parse_config({"dedup": table}, file="c.toml", environ={})
    assert [str(e) for e in info.value.errors] == [
        "c.toml: dedup.bands: must be positive, got 0",
        "c.toml: dedup.duplicate_containment: must be in (0, 1], got 1.5",
        "c.toml: dedup.colapse_ratio: unknown key (known: "
        + ", ".join(sorted(f.name for f in fields(DedupSettings)))
        + ")",
    ]
