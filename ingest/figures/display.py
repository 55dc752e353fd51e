"""Figures as people write them: ``480 billion``, ``39.8 billion``, ``12,500``, ``0.00709``.

For tables meant to be read (``ingest figures``); JSON output keeps the plain numbers.
"""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = ["format_value"]

_SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
_SIGNIFICANT = 6  # more than any stated figure carries, fewer than float noise (0.30000000000004)


def _plain(x: float, *, grouping: bool) -> str:
    text = format(Decimal(f"{x:.{_SIGNIFICANT}g}"), ",f" if grouping else "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_value(value: float) -> str:
    """``4.8e11`` -> ``"480 billion"``; below a million, digits with thousands separators."""
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    for scale, word in _SCALES:
        # 999,999,999,999 rounds to 1000 billion at 6 digits: still "billion", and still right.
        if size >= scale:
            return f"{_plain(value / scale, grouping=True)} {word}"
    return _plain(value, grouping=True)
