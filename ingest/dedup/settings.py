"""Thresholds of the dedup stage, as one frozen value (wired to ``[dedup]`` in the config).

Every default is argued in ``docs/dedup.md``; change them there first, then here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ingest.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class DedupSettings:
    """Parameters of signatures, the band index and the decision.

    Changing ``shingle_size``, ``bands``, ``rows`` or ``seed`` changes every band key, so an
    existing index must be rebuilt (``neardup_meta`` records them to detect that).
    """

    # Word n-grams: 5 words is long enough that two separately written stories rarely share
    # one outside verbatim quotes, short enough that a one-word correction only touches 5.
    shingle_size: int = 5
    # MinHash LSH: bands x rows permutations. A pair becomes a candidate with probability
    # 1 - (1 - J**rows) ** bands: with 24 x 2 that is 0.96 at J=0.35 (a copy cut to half),
    # 0.999 at J=0.5, but only 0.06 at J=0.05 and 0.01 at J=0.02 (separately written stories
    # on one event measure J <= 0.04). rows=3 needs ~40 bands for the same recall at J=0.35,
    # i.e. two thirds more index rows. See docs/dedup.md.
    bands: int = 24
    rows: int = 2
    seed: int = 20240531
    # Verification on the shingle sets, never on the sketch.
    duplicate_containment: float = 0.80  # share of the smaller text found in the larger
    duplicate_min_overlap: float = 0.20  # share of the larger text the smaller one covers
    same_source_revision_jaccard: float = 0.60  # same outlet, other URL, "almost the same text"
    # Reworded copies (synonym spinning, machine-translation round trip): share of the shorter
    # text's content words aligned in order with the other (issue 12, docs/dedup.md).
    copy_alignment: float = 0.60
    # "Related story" (same event, written separately): shares at least related_min_figures
    # distinctive figures, or at least one and related_alignment of its content words in order;
    # never when both publication dates are known and further apart than related_max_days.
    related_alignment: float = 0.30
    related_min_figures: int = 3
    related_max_days: int = 14
    figure_key_limit: int = 16  # figures per article in the story index (the first ones)
    collapse_ratio: float = 0.50  # new text shorter than this share of the prior: a collapse
    candidate_limit: int = 20  # candidates verified per incoming article
    per_key_cap: int = 200  # ids read per band key, so one hot key cannot stall a lookup
    min_index_shingles: int = 8  # shorter texts (stubs) stay out of the index

    @property
    def num_perm(self) -> int:
        """Number of MinHash permutations the signature holds."""
        return self.bands * self.rows


_FRACTIONS = (
    "duplicate_containment",
    "duplicate_min_overlap",
    "same_source_revision_jaccard",
    "collapse_ratio",
    "copy_alignment",
    "related_alignment",
)


def settings_from_mapping(table: Mapping[str, object], *, file: str | None = None) -> DedupSettings:
    """Build settings from the ``[dedup]`` config table, refusing unknown keys and bad values.

    Raises :class:`ConfigError` naming the key (``dedup.<name>``) and what is wrong.
    """
    known = {f.name: f for f in fields(DedupSettings)}
    values: dict[str, Any] = {}
    for name, value in table.items():
        key = f"dedup.{name}"
        if name not in known:
            raise ConfigError(f"unknown key; known: {', '.join(sorted(known))}", file=file, key=key)
        if name in _FRACTIONS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"must be a number, got {value!r}", file=file, key=key)
            if not 0.0 < float(value) <= 1.0:
                raise ConfigError(f"must be in (0, 1], got {value}", file=file, key=key)
            values[name] = float(value)
        else:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"must be an integer, got {value!r}", file=file, key=key)
            if value < (0 if name == "seed" else 1):
                raise ConfigError(f"must be positive, got {value}", file=file, key=key)
            values[name] = value
    return DedupSettings(**values)
