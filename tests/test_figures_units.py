"""Currency table lookups."""

from __future__ import annotations

import pytest

from ingest.figures.units import ISO_CODES, currency_code


@pytest.mark.parametrize(
    ("raw", "code", "mult"),
    [
        ("$", "USD", 1.0),
        ("US$", "USD", 1.0),
        ("u.s $", "USD", 1.0),
        ("HK$", "HKD", 1.0),
        ("hk $", "HKD", 1.0),
        ("C$", "CAD", 1.0),
        ("RMB", "CNY", 1.0),
        ("yuan", "CNY", 1.0),
        ("renminbi", "CNY", 1.0),
        ("元", "CNY", 1.0),
        ("Australian dollars", "AUD", 1.0),
        ("euros", "EUR", 1.0),
        ("ARS", "ARS", 1.0),
        ("cents", "USD", 0.01),
        ("pence", "GBP", 0.01),
        ("MUSD", "USD", 1e6),
    ],
)
def test_currency_code(raw: str, code: str, mult: float) -> None:
    """Symbols, names, codes and sub-units map to ISO 4217 and a multiplier."""
    assert currency_code(raw) == (code, mult)


def test_unknown_currency_is_none() -> None:
    """A word that is not a currency maps to None."""
    assert currency_code("widgets") is None


def test_table_is_iso_shaped() -> None:
    """Every code in the table is three upper-case letters and the main ones are present."""
    assert all(len(c) == 3 and c.isupper() for c in ISO_CODES)
    assert {"USD", "CNY", "HKD", "EUR", "GBP", "JPY", "KRW", "ARS"} <= ISO_CODES
