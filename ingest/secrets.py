"""Keeping secrets out of what ingest prints: masked URLs and a redacting logging filter.

Secrets reach the process in two ways: values the config loader resolved from ``*_env``
variables (webhook signing secrets, SMTP login, Apprise URLs), and tokens written into URLs
(``https://user:pass@host``, ``?access_token=...``, the last path segment of a Slack or Discord
webhook). :func:`mask_url` hides the second kind wherever a URL is shown; a :class:`Redactor`
built from the config hides both kinds in any text, and :class:`RedactingFilter` applies it to
every log record (message, arguments, traceback and ``extra`` fields) before a handler formats it.

Everything here is pure except :func:`install_log_redaction`, which attaches the filter.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from ingest.config import Config

__all__ = [
    "MASK",
    "RedactingFilter",
    "Redactor",
    "install_log_redaction",
    "mask_url",
    "redactor_for",
    "remember_secrets",
    "secret_values",
    "url_credentials",
    "userinfo_secrets",
]

MASK = "***"

# Query parameter names whose values are credentials (OAuth, AWS/GCP signed URLs, API keys).
_SECRET_PARAM = re.compile(
    r"(token|secret|passw|pwd|passwd|key|sig|signature|auth|credential|session|sid|code|"
    r"hmac|hash|ticket|jwt|bearer|x-amz-|x-goog-)",
    re.IGNORECASE,
)
_TOKENISH = re.compile(r"[A-Za-z0-9_\-]{16,}")
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,15}://[^\s'\"<>()\[\]{}|\\^`]+")
# Secrets shorter than this are not redacted by value: replacing every "abc" in a log would
# destroy the log and hide nothing worth hiding (config validation rejects such secrets anyway).
MIN_SECRET_LENGTH = 6


def _looks_like_token(segment: str) -> bool:
    """A path segment that is a credential rather than a name (``B0123/xoxb...``, not a slug)."""
    if not _TOKENISH.fullmatch(segment):
        return False
    words = [w for w in re.split(r"[-_]", segment) if w]
    # "alibaba-cloud-revenue-2024-q3": mostly dictionary-like words, an article slug.
    if len(words) >= 3 and sum(w.isalpha() for w in words) * 3 >= len(words) * 2:
        return False
    digits = sum(c.isdigit() for c in segment)
    letters = sum(c.isalpha() for c in segment)
    return digits >= 2 and letters >= 2


def mask_url(url: str, *, paths: bool = True) -> str:
    """``url`` with its credentials replaced by ``***``; everything else left readable. Total.

    User info, the values of credential-like query parameters and (with ``paths``) token-like
    path segments are masked; the fragment is dropped. A URL that does not parse is masked
    whole. Free text is masked with ``paths=False``: there a token-like segment is far more
    often an article id than a credential, and known webhook URLs are redacted by value.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
    except ValueError:
        return MASK
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{MASK}@" if "@" in parts.netloc else "") + host + (f":{port}" if port else "")
    path = parts.path
    if paths:
        path = "/".join(MASK if _looks_like_token(seg) else seg for seg in path.split("/"))
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = "&".join(
            f"{quote_plus(name)}={MASK}"
            if _SECRET_PARAM.search(name) or (paths and _looks_like_token(value))
            else f"{quote_plus(name)}={quote_plus(value)}"
            for name, value in pairs
        )
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def url_credentials(url: str) -> tuple[str, ...]:
    """The parts of ``url`` that :func:`mask_url` hides (and the whole URL if there are any)."""
    try:
        parts = urlsplit(url)
        found = [p for p in (parts.username, parts.password) if p]
    except ValueError:
        return (url,)
    found += [seg for seg in parts.path.split("/") if _looks_like_token(seg)]
    found += [
        value
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if value and (_SECRET_PARAM.search(name) or _looks_like_token(value))
    ]
    return (url, *found) if found else ()


def _mask_match(match: re.Match[str]) -> str:
    text = match.group(0)
    # Trailing punctuation belongs to the sentence, not to the URL.
    stripped = text.rstrip(".,;:!?")
    masked = mask_url(stripped, paths=False)
    return masked + text[len(stripped) :] if masked != stripped else text


@dataclass(frozen=True, slots=True)
class Redactor:
    """Replaces known secret values with ``***`` and masks credentials in any URL in a text."""

    values: tuple[str, ...] = ()
    """Secret values and their URL-encoded forms, longest first (so a value containing
    another is replaced whole)."""

    @classmethod
    def from_values(cls, values: Iterable[str | None]) -> Redactor:
        forms: set[str] = set()
        for value in values:
            if value is None or len(value) < MIN_SECRET_LENGTH:
                continue
            forms.update({value, quote(value, safe=""), quote_plus(value)})
        return cls(tuple(sorted(forms, key=lambda v: (-len(v), v))))

    def redact(self, text: str) -> str:
        """``text`` with every secret value and every URL credential masked."""
        for value in self.values:
            if value in text:
                text = text.replace(value, MASK)
        return _URL_IN_TEXT.sub(_mask_match, text)


def secret_values(config: Config) -> tuple[str, ...]:
    """Every secret the config loader resolved: webhook secrets and URLs, ``*_env`` values."""
    values: list[str] = []
    for hook in config.alerts.webhooks:
        if hook.secret:
            values.append(hook.secret)
        # A webhook URL is a bearer credential when its token sits in the path (Slack), so
        # the URL and each credential in it are secrets, also when shown apart. The whole URL
        # always is: a token need not look like one (`/services/T000/B000/XXXXSECRET`).
        values.extend(url_credentials(hook.url) or (hook.url,))
    env: object = getattr(config.alerts, "env", {})
    if isinstance(env, dict):
        values.extend(str(v) for v in env.values() if v)
    return tuple(values)


def redactor_for(config: Config) -> Redactor:
    """The redactor for one configuration's secrets."""
    return Redactor.from_values(secret_values(config))


def userinfo_secrets(userinfo: str) -> tuple[str, ...]:
    """What of a feed URL's ``user:password`` may show up in a log: the pair, the password, as
    written and percent-decoded, and the Basic-auth token built from them (RFC 7617), which a
    server that echoes the request's headers sends back and httpcore logs at -vv."""
    forms: list[str] = []
    for pair in dict.fromkeys((userinfo, unquote(userinfo))):
        user, _, password = pair.partition(":")
        forms += [pair, password, base64.b64encode(pair.encode()).decode("ascii")]
        forms += [base64.b64encode(f"{user}:{password}".encode("latin-1", "replace")).decode()]
    return tuple(f for f in dict.fromkeys(forms) if f)


_remembered_lock = threading.Lock()
_remembered: set[str] = set()
_remembered_redactor = Redactor()


def remember_secrets(values: Iterable[str]) -> None:
    """Add secrets met at run time (credentials of sources read from the database, which the
    config never named) to what every :class:`RedactingFilter` of this process hides."""
    global _remembered_redactor
    with _remembered_lock:
        new = set(values) - _remembered
        if not new:
            return
        _remembered.update(new)
        _remembered_redactor = Redactor.from_values(_remembered)


# Attributes every LogRecord has; anything else on a record came in through ``extra=``.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
}


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record in place before any handler formats it.

    Attach it to handlers, not loggers: a logger's filters do not see records propagated from
    child loggers (``ingest.pipeline`` -> root), a handler's filters see all of them.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        configured, remembered = self.redactor.redact, _remembered_redactor

        def redact(text: str) -> str:
            return configured(remembered.redact(text) if remembered.values else text)

        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            # Format the traceback now, redacted; the handler then uses exc_text as is.
            record.exc_text = redact(self._formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


def install_log_redaction(
    redactor: Redactor, logger: logging.Logger | None = None
) -> RedactingFilter:
    """Attach one :class:`RedactingFilter` to every handler of ``logger`` (default: root).

    Replaces a filter installed earlier, so calling it again with a new redactor is safe.
    """
    target = logger or logging.getLogger()
    new = RedactingFilter(redactor)
    for handler in target.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(new)
    return new
