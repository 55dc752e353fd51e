"""Feeds: bytes to entries (parse), bounded first (cut); OPML subscription lists."""
