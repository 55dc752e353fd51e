"""Dedup settings from the [dedup] config table (ingest.dedup.settings)."""

from __future__ import annotations

import pytest

from ingest.dedup import DedupSettings, settings_from_mapping
from ingest.errors import ConfigError, ConfigErrors


def test_empty_table_gives_defaults() -> None:
    """An absent or empty [dedup] table means the documented defaults."""
    assert settings_from_mapping({}) == DedupSettings()
    assert DedupSettings().num_perm == 48


def test_values_are_taken() -> None:
    """Given keys override defaults; integers are accepted for fractions."""
    s = settings_from_mapping({"duplicate_containment": 0.85, "collapse_ratio": 1, "bands": 30})
    assert (s.duplicate_containment, s.collapse_ratio, s.bands) == (0.85, 1.0, 30)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"duplicate_containmnet": 0.8}, "dedup.duplicate_containmnet: unknown key"),
        ({"duplicate_containment": 1.5}, "dedup.duplicate_containment: must be in (0, 1]"),
        ({"duplicate_containment": "high"}, "dedup.duplicate_containment: expected a number"),
        ({"bands": 0}, "dedup.bands: must be positive"),
        ({"rows": 2.5}, "dedup.rows: expected a whole number"),
        ({"rows": True}, "dedup.rows: expected a whole number"),
    ],
)
def test_bad_values_are_refused_with_the_key(table: dict[str, object], message: str) -> None:
    """A wrong [dedup] value is refused naming the file, the key and the problem."""
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("]", r"\]")) as err:
        settings_from_mapping(table, file="ingest.toml")
    assert str(err.value).startswith("ingest.toml: dedup.")


def test_every_problem_is_reported() -> None:
    """Several wrong keys give one ConfigErrors listing each, with file and key."""
    with pytest.raises(ConfigErrors) as err:
        settings_from_mapping({"bands": 0, "rows": "two", "seed": -1}, file="ingest.toml")
    assert [e.key for e in err.value.errors] == ["dedup.bands", "dedup.rows", "dedup.seed"]
    assert all(str(e).startswith("ingest.toml: dedup.") for e in err.value.errors)
