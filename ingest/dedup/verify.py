"""Verification of a candidate on the text itself: exact shingle-set overlap, never the sketch.

Jaccard alone cannot tell a truncated copy (small Jaccard, but all of it is in the original)
from a distinct story (small Jaccard, little of it anywhere else); containment in both
directions can, so all three numbers are reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingest.dedup.sketch import U64


@dataclass(frozen=True, slots=True)
class Overlap:
    """Shingle-set overlap of an incoming text ``a`` with an earlier text ``b``.

    ``containment`` is the larger of the two one-way containments (how much of the smaller text
    the larger one holds); ``coverage`` the smaller (how much of the larger the smaller covers).
    """

    jaccard: float
    a_in_b: float
    b_in_a: float
    a_size: int
    b_size: int

    @property
    def containment(self) -> float:
        """Share of the smaller text's shingles found in the other text."""
        return max(self.a_in_b, self.b_in_a)

    @property
    def coverage(self) -> float:
        """Share of the larger text's shingles found in the other text."""
        return min(self.a_in_b, self.b_in_a)


def overlap(a: U64, b: U64) -> Overlap:
    """Overlap of two sorted unique shingle-hash arrays (as :func:`sketch.shingles` returns)."""
    if a.size == 0 or b.size == 0:
        return Overlap(jaccard=0.0, a_in_b=0.0, b_in_a=0.0, a_size=int(a.size), b_size=int(b.size))
    common = int(np.intersect1d(a, b, assume_unique=True).size)
    union = int(a.size) + int(b.size) - common
    return Overlap(
        jaccard=common / union,
        a_in_b=common / int(a.size),
        b_in_a=common / int(b.size),
        a_size=int(a.size),
        b_size=int(b.size),
    )
