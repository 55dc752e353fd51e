"""Figures stage: every numeric claim in an article as a structured :class:`Figure` record.

Public API: :class:`Figure`, :func:`figure_to_dict`, :class:`FigureSettings`,
:func:`load_figure_settings` and :func:`extract_figures`.
"""

from __future__ import annotations

from ingest.figures.catalogue import (
    BUNDLED,
    DEFAULT_CONFIG_DIR,
    CatalogueFiles,
    load_figure_settings,
)
from ingest.figures.display import format_value
from ingest.figures.extractor import extract_figures
from ingest.figures.model import Entity, Figure, FigureSettings, FxRates, Metric, figure_to_dict

__all__ = [
    "BUNDLED",
    "DEFAULT_CONFIG_DIR",
    "CatalogueFiles",
    "Entity",
    "Figure",
    "FigureSettings",
    "FxRates",
    "Metric",
    "extract_figures",
    "figure_to_dict",
    "format_value",
    "load_figure_settings",
]
