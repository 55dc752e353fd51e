"""Findings stage: what each figure means for what the corpus already knows.

Public API: :class:`FindingSettings`, :func:`finding_settings`, :class:`Finding`,
:class:`FindingKind`, :func:`finding_to_dict`, :func:`record_findings` (the glue called by
``corpus.save_article``) and the pure parts in :mod:`~ingest.findings.claims` and
:mod:`~ingest.findings.compare`.
"""

from __future__ import annotations

from ingest.findings.model import FigureRef, Finding, FindingKind, finding_to_dict
from ingest.findings.settings import FindingSettings, finding_settings

__all__ = [
    "FigureRef",
    "Finding",
    "FindingKind",
    "FindingSettings",
    "finding_settings",
    "finding_to_dict",
]
