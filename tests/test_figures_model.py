"""Figure record helpers."""

from __future__ import annotations

import dataclasses

import pytest

from ingest.figures import Figure, figure_to_dict
from ingest.figures.model import unit_kind


def test_figure_is_frozen() -> None:
    """Figures are immutable values."""
    fig = Figure(text="5%", start=0, end=2, sentence="5%", value=5.0, unit="%")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fig.value = 6.0  # type: ignore[misc]
    assert figure_to_dict(fig)["qualifier"] == "exact"


@pytest.mark.parametrize(
    ("unit", "kind"), [("%", "%"), ("pp", "pp"), ("x", "x"), ("count", "count"), ("CNY", "money")]
)
def test_unit_kind(unit: str, kind: str) -> None:
    """Any ISO code is money; the other units are their own kind."""
    assert unit_kind(unit) == kind
