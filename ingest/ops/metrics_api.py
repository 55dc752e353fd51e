"""The interface the pipeline feeds its counters through, and its free no-op.

The pipeline calls :class:`Metrics` methods at the points where things happen (a poll ends, an
article is stored, ...). This base class does nothing and imports nothing, so ``ingest poll``
and the tests run without ``prometheus_client``; :class:`ingest.ops.prometheus.PrometheusMetrics`
implements it, and :func:`ingest.ops.metrics.metrics_for` picks one of the two.
"""

from __future__ import annotations


class Metrics:
    """What the pipeline reports. Every method is cheap and never raises.

    Label values are short fixed words (an outcome, a decision kind), never URLs or source
    names, so the number of series stays bounded however many sources there are.
    """

    def poll_finished(self, outcome: str, duration_s: float) -> None:
        """A source check ended: ``ok | not_modified | unchanged | error | disabled``."""

    def fetch_finished(self, kind: str, duration_s: float) -> None:
        """One HTTP fetch ended (success or not): ``kind`` is ``feed`` or ``article``."""

    def article_stored(self, decision: str) -> None:
        """save_article decided: ``new | duplicate | revision | unchanged``."""

    def entry_rejected(self, reason: str) -> None:
        """An entry was not stored: ``topic`` (off-topic), ``empty`` or ``failed``."""

    def figures_extracted(self, count: int) -> None:
        """``count`` figures were stored with an article revision."""

    def finding_recorded(self, kind: str) -> None:
        """A finding was stored: ``new | changed | conflict | revised`` (and ``consistent``)."""

    def alert_delivery(self, status: str) -> None:
        """One delivery attempt ended: ``delivered | retry | dead`` (or ``disabled``)."""


NULL_METRICS = Metrics()
