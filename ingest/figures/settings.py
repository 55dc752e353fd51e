"""Settings of the figures stage, read from the ``[figures]`` config table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CatalogueFiles:
    """The ``[figures]`` table: a config's own catalogue and FX table, instead of the bundled
    ones. Relative paths are taken from the config file's directory (see docs/figures.md)."""

    metrics_file: str = ""
    fx_file: str = ""
