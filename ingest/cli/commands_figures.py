"""Commands about figures (filled in by the figures stage)."""
