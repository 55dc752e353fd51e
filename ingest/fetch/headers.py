"""Response headers that say when to ask again: HTTP dates, Cache-Control ``max-age``,
``Expires`` and ``Retry-After``. Pure functions; the fetch layer reads them on each response and
the schedule (:func:`ingest.schedule.policy.next_check`) and alert retries use what they say.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = [
    "DELTA_SECONDS_CAP",
    "parse_cache_control_max_age",
    "parse_expires",
    "parse_http_date",
    "parse_retry_after",
]

# RFC 9111 §1.2.2: a delta-seconds too large to represent is replaced by 2^31.
DELTA_SECONDS_CAP = 2**31

_DIGITS = re.compile(r"[0-9]+")


def parse_http_date(value: str | None) -> datetime | None:
    """Parse an HTTP-date (RFC 9110 §5.6.7, all three legacy forms) to aware UTC, or ``None``."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        # RFC 9110 §5.6.7: HTTP dates are always GMT; asctime form carries no zone.
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_cache_control_max_age(value: str | None) -> int | None:
    """Return the ``max-age`` of a Cache-Control value in seconds, or ``None``.

    RFC 9111 §5.2: directive names are case-insensitive, arguments may be quoted, and with
    several ``max-age`` directives the first is used (§4.2.1). ``s-maxage`` is for shared caches
    and does not apply to us. A malformed value is treated as absent.
    """
    if not value:
        return None
    for directive in value.split(","):
        name, sep, arg = directive.partition("=")
        if name.strip().lower() != "max-age" or not sep:
            continue
        arg = arg.strip().strip('"')
        if not _DIGITS.fullmatch(arg):
            return None
        return min(int(arg), DELTA_SECONDS_CAP)
    return None


def parse_expires(value: str | None, *, date: str | None, now: datetime) -> datetime | None:
    """Return when the response expires, on *our* clock, or ``None`` when absent or invalid.

    RFC 9111 §4.2.1 computes the freshness lifetime as ``Expires - Date`` (both server clock), so
    a server whose clock is off by an hour does not shift our schedule by an hour; we add that
    lifetime to ``now``. Without a usable Date the Expires value is taken as is. An invalid
    Expires ("0", "-1") means already expired (§5.3), which for scheduling is the same as absent.
    """
    expires = parse_http_date(value)
    if expires is None:
        return None
    server_now = parse_http_date(date)
    if server_now is None:
        return expires
    return now + (expires - server_now)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Return Retry-After as seconds from ``now``, or ``None`` when absent or malformed.

    RFC 9110 §10.2.3: either delay-seconds or an HTTP-date. A date in the past means "now" (0).
    """
    if not value:
        return None
    text = value.strip()
    if _DIGITS.fullmatch(text):
        return float(min(int(text), DELTA_SECONDS_CAP))
    when = parse_http_date(text)
    if when is None:
        return None
    seconds = (when - now).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None
