"""Settings of the findings stage, read from the ``[findings]`` config table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.config import Config


@dataclass(frozen=True, slots=True)
class FindingSettings:
    """How loosely figures are read and what counts as "the same time".

    Every default is argued in docs/findings.md; the short reasons are beside each field.
    """

    # "about 380 billion" is read as 380 +-10%: newsroom "about" rarely means more than that.
    approx_margin: float = 0.10
    # "more than 380 billion" reaches up to 380 x 1.25: a writer with 550 billion would say so.
    min_margin: float = 0.25
    # "up to / less than 380 billion" reaches down to 380 x (1 - 0.25).
    max_margin: float = 0.25
    # A figure in another currency, or compared with one, is a conversion at some outlet's rate:
    # month-start reference rates drift by about 1-3 % from the rate an outlet used.
    fx_tolerance: float = 0.03
    # Sources that disagree within this many hours of each other disagree "at the same time":
    # the finding is a conflict and the current value is not flipped.
    conflict_window_hours: float = 48.0
    # How many previous values a `changed` finding carries.
    max_previous: int = 5
    # `changed` and `conflict` need both figures read as the claim with at least this confidence
    # (docs/findings.md: subject, period and role cues); below it a figure is stored and linked
    # but raises nothing. 0.75 lets a subject named earlier in the sentence (0.85) through and
    # stops a periodic figure with no period (x 0.6) and a subject guessed from the article
    # against a company named beside the figure (0.7).
    min_confidence: float = 0.75

    def __post_init__(self) -> None:
        for name in ("approx_margin", "min_margin", "max_margin", "fx_tolerance"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")
        if self.conflict_window_hours < 0:
            raise ValueError("conflict_window_hours must be >= 0")
        if not 0 <= self.min_confidence <= 1:
            raise ValueError(f"min_confidence must be in [0, 1], got {self.min_confidence!r}")
        if self.max_previous < 1:
            raise ValueError("max_previous must be >= 1")


def finding_settings(config: Config) -> FindingSettings:
    """The ``[findings]`` table as :class:`FindingSettings` (ConfigError on bad keys/values)."""
    # Imported here: the store imports this package, and must not pull in the config loader.
    from ingest.config import stage_settings

    return stage_settings(config, "findings", FindingSettings)
