"""Thresholds of the dedup stage, as one frozen value (wired to ``[dedup]`` in the config).

Every default is argued in ``docs/dedup.md``; change them there first, then here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ingest.errors import ConfigError
from ingest.settings_schema import Integer, Number, parse_settings, setting

# A share of a text: above 0 (0 would match everything), at most all of it.
_SHARE = Number(minimum=0.0, maximum=1.0, open_min=True)
_COUNT = Integer(minimum=1, maximum=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class DedupSettings:
    """Parameters of signatures, the band index and the decision.

    Changing ``shingle_size``, ``bands``, ``rows`` or ``seed`` changes every band key, so an
    existing index must be rebuilt (``neardup_meta`` records them to detect that).
    """

    # Word n-grams: 5 words is long enough that two separately written stories rarely share
    # one outside verbatim quotes, short enough that a one-word correction only touches 5.
    shingle_size: int = setting(5, _COUNT)
    # MinHash LSH: bands x rows permutations. A pair becomes a candidate with probability
    # 1 - (1 - J**rows) ** bands: with 24 x 2 that is 0.96 at J=0.35 (a copy cut to half),
    # 0.999 at J=0.5, but only 0.06 at J=0.05 and 0.01 at J=0.02 (separately written stories
    # on one event measure J <= 0.04). rows=3 needs ~40 bands for the same recall at J=0.35,
    # i.e. two thirds more index rows. See docs/dedup.md.
    bands: int = setting(24, _COUNT)
    rows: int = setting(2, _COUNT)
    seed: int = setting(20240531, Integer(minimum=0, maximum=None))
    # Verification on the shingle sets, never on the sketch.
    duplicate_containment: float = setting(
        0.80, _SHARE
    )  # share of the smaller text found in the larger
    duplicate_min_overlap: float = setting(
        0.20, _SHARE
    )  # share of the larger text the smaller one covers
    same_source_revision_jaccard: float = setting(
        0.60, _SHARE
    )  # same outlet, other URL, "almost the same text"
    # Reworded copies (synonym spinning, machine-translation round trip): share of the shorter
    # text's content words aligned in order with the other (issue 12, docs/dedup.md).
    copy_alignment: float = setting(0.60, _SHARE)
    # "Related story" (same event, written separately): shares at least related_min_figures
    # distinctive figures, or at least one and related_alignment of its content words in order;
    # never when both publication dates are known and further apart than related_max_days.
    related_alignment: float = setting(0.30, _SHARE)
    related_min_figures: int = setting(3, _COUNT)
    related_max_days: int = setting(14, _COUNT)
    figure_key_limit: int = setting(
        16, _COUNT
    )  # figures per article in the story index (the first ones)
    collapse_ratio: float = setting(
        0.50, _SHARE
    )  # new text shorter than this share of the prior: a collapse
    candidate_limit: int = setting(20, _COUNT)  # candidates verified per incoming article
    per_key_cap: int = setting(
        200, _COUNT
    )  # ids read per band key, so one hot key cannot stall a lookup
    min_index_shingles: int = setting(8, _COUNT)  # shorter texts (stubs) stay out of the index

    @property
    def num_perm(self) -> int:
        """Number of MinHash permutations the signature holds."""
        return self.bands * self.rows


def settings_from_mapping(
    table: Mapping[str, object],
    *,
    file: str | None = None,
    errors: list[ConfigError] | None = None,
) -> DedupSettings:
    """Build settings from the ``[dedup]`` config table, refusing unknown keys and bad values.

    Every problem is a :class:`ConfigError` naming the key (``dedup.<name>``) and what is
    wrong; all of them are found (several are raised as ConfigErrors, or appended to
    ``errors`` when given).
    """
    return parse_settings(table, DedupSettings, file=file, section="dedup", errors=errors)
