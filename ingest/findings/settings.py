"""Settings of the findings stage, read from the ``[findings]`` config table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.settings_schema import Integer, Number, setting

if TYPE_CHECKING:  # for the accessor's annotation only: ingest.config imports this module
    from ingest.config import Config

_MARGIN = Number(minimum=0.0, maximum=1.0, open_max=True)


@dataclass(frozen=True, slots=True)
class FindingSettings:
    """How loosely figures are read and what counts as "the same time".

    Every default is argued in docs/findings.md; the short reasons are beside each field.
    """

    # "about 380 billion" is read as 380 +-10%: newsroom "about" rarely means more than that.
    approx_margin: float = setting(0.10, _MARGIN)
    # "more than 380 billion" reaches up to 380 x 1.25: a writer with 550 billion would say so.
    min_margin: float = setting(0.25, _MARGIN)
    # "up to / less than 380 billion" reaches down to 380 x (1 - 0.25).
    max_margin: float = setting(0.25, _MARGIN)
    # A figure in another currency, or compared with one, is a conversion at some outlet's rate:
    # month-start reference rates drift by about 1-3 % from the rate an outlet used.
    fx_tolerance: float = setting(0.03, _MARGIN)
    # Sources that disagree within this many hours of each other disagree "at the same time":
    # the finding is a conflict and the current value is not flipped.
    conflict_window_hours: float = setting(48.0, Number(minimum=0.0))
    # How many previous values a `changed` finding carries.
    max_previous: int = setting(5, Integer(minimum=1, maximum=None))
    # `changed` and `conflict` need both figures read as the claim with at least this confidence
    # (docs/findings.md: subject, period and role cues); below it a figure is stored and linked
    # but raises nothing. 0.75 lets a subject named earlier in the sentence (0.85) through and
    # stops a periodic figure with no period (x 0.6) and a subject guessed from the article
    # against a company named beside the figure (0.7).
    min_confidence: float = setting(0.75, Number(minimum=0.0, maximum=1.0))


def finding_settings(config: Config) -> FindingSettings:
    """The ``[findings]`` table as :class:`FindingSettings` (read and checked by the loader)."""
    return config.findings
