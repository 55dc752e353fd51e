"""ingest: a source-monitoring daemon that tracks the figures news coverage states."""

__version__ = "0.1.0"
