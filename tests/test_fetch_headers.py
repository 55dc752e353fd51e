"""Response headers that say when to ask again (ingest/fetch/headers.py): HTTP dates,
Cache-Control max-age, Expires, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.fetch.headers import (
    DELTA_SECONDS_CAP,
    parse_cache_control_max_age,
    parse_expires,
    parse_http_date,
    parse_retry_after,
)

NOW = datetime(2025, 4, 2, 12, 0, tzinfo=UTC)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=300", 300),
        ("public, max-age=60, must-revalidate", 60),
        ("Max-Age=60", 60),
        ('max-age="120"', 120),
        ("s-maxage=900", None),
        ("s-maxage=900, max-age=30", 30),
        ("max-age=30, max-age=90", 30),
        ("max-age=-1", None),
        ("max-age=abc", None),
        ("max-age", None),
        ("no-cache", None),
        ("", None),
        (None, None),
        ("max-age=99999999999999999999", DELTA_SECONDS_CAP),
    ],
)
def test_cache_control_max_age(value: str | None, expected: int | None) -> None:
    """max-age per RFC 9111 §5.2.2.1: case-insensitive, first wins, junk ignored, capped."""
    assert parse_cache_control_max_age(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  # obsolete RFC 850
        "Sun Nov  6 08:49:37 1994",  # asctime, no zone: GMT by definition
    ],
)
def test_all_three_http_date_forms(value: str) -> None:
    """RFC 9110 §5.6.7's three date forms parse to the same aware UTC instant."""
    assert parse_http_date(value) == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


@given(instants)
def test_http_date_round_trip(when: datetime) -> None:
    """A formatted IMF-fixdate parses back to the same second."""
    text = format_datetime(when, usegmt=True)
    assert parse_http_date(text) == when.replace(microsecond=0)


@given(st.text(max_size=40))
def test_http_date_never_raises(text: str) -> None:
    """Garbage gives None or an aware datetime, never an exception."""
    parsed = parse_http_date(text)
    assert parsed is None or parsed.tzinfo is not None


def test_expires_uses_the_servers_date_for_lifetime() -> None:
    """Expires 1 h after the server's Date means 1 h from our now, whatever its clock says."""
    expires = parse_expires(
        "Tue, 01 Apr 2025 11:00:00 GMT", date="Tue, 01 Apr 2025 10:00:00 GMT", now=NOW
    )
    assert expires == NOW + timedelta(hours=1)


def test_expires_without_date_is_taken_as_is() -> None:
    """Without a Date header, Expires is used on our clock."""
    expires = parse_expires("Wed, 02 Apr 2025 15:00:00 GMT", date=None, now=NOW)
    assert expires == datetime(2025, 4, 2, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", ["0", "-1", "never", "", None])
def test_invalid_expires_is_absent(value: str | None) -> None:
    """RFC 9111 §5.3: an invalid Expires means already expired, i.e. no postponement."""
    assert parse_expires(value, date="Tue, 01 Apr 2025 10:00:00 GMT", now=NOW) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Wed, 02 Apr 2025 12:10:00 GMT", 600.0),
        ("Wed, 02 Apr 2025 11:00:00 GMT", 0.0),  # in the past: retry now
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("99999999999999999999999", float(DELTA_SECONDS_CAP)),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    """Retry-After per RFC 9110 §10.2.3: delay-seconds or an HTTP-date, junk ignored."""
    assert parse_retry_after(value, NOW) == expected
