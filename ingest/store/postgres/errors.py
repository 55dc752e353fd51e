"""psycopg errors as :class:`StoreError` messages, and the database URL as it may be shown.

A message names the server (``postgresql://user:***@host/db``) and never carries the password
of the URL, whether psycopg echoed it or not.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import psycopg
from psycopg import errors as pg_errors

from ingest.urls import split_userinfo

_QUERY_PASSWORD = re.compile(r"(?i)([?&]password=)[^&#]*")


def redact_url(url: str) -> str:
    """``url`` with its password (in ``user:password@`` or ``?password=``) replaced by ``***``."""
    bare, userinfo = split_userinfo(url)
    if userinfo is not None:
        user, colon, _ = userinfo.partition(":")
        scheme, _, rest = bare.partition("://")
        bare = f"{scheme}://{user}{':***' if colon else ''}@{rest}"
    return _QUERY_PASSWORD.sub(r"\1***", bare)


def url_secrets(url: str) -> tuple[str, ...]:
    """The password(s) a URL carries, as written and percent-decoded, to scrub from messages."""
    found: list[str] = []
    userinfo = split_userinfo(url)[1]
    if userinfo and ":" in userinfo:
        found.append(userinfo.partition(":")[2])
    found += [m.group(0).partition("=")[2] for m in _QUERY_PASSWORD.finditer(url)]
    out = {s for s in found if s} | {unquote(s) for s in found if s}
    return tuple(sorted(out, key=len, reverse=True))


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def describe(exc: BaseException, where: str, secrets: tuple[str, ...] = ()) -> str:
    """One line for an operator: what went wrong, on which server, what to do about it."""
    detail = scrub(" ".join(str(exc).split()) or type(exc).__name__, secrets)
    if isinstance(exc, pg_errors.SerializationFailure | pg_errors.DeadlockDetected):
        return f"PostgreSQL: a concurrent transaction got in the way ({where}); retrying is safe"
    if isinstance(exc, pg_errors.DiskFull):
        return f"PostgreSQL: disk full on the server ({where}); nothing was half-written"
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
        return f"PostgreSQL: the database is read-only ({where})"
    if isinstance(exc, psycopg.OperationalError):
        return f"PostgreSQL: cannot use the server at {where}: {detail}"
    return f"PostgreSQL: {detail} ({where})"
