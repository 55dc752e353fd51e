"""Structured logs: one format for the stdlib ``logging`` calls and for structlog loggers.

The code logs with the standard library (``log.warning("...", extra={"source": ..., "url":
...})``); structlog's :class:`~structlog.stdlib.ProcessorFormatter` turns each record, and each
structlog event, into one event dict run through the same processors, so both come out alike:
human-readable lines on a terminal, JSON lines otherwise (a container, a pipe to a collector).
The keys are the same everywhere (:data:`KEYS`); ``stage`` defaults to the module that logged
(``ingest.pipeline`` -> ``pipeline``) so every line says where it came from.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, Literal, TextIO

# Re-exported: the [log] settings were defined here before ingest.ops.settings held them.
from ingest.ops.settings import LogSettings as LogSettings
from ingest.ops.settings import log_settings as log_settings

# The keys every line may carry, always under these names (see docs/operations.md).
KEYS = ("source", "url", "article_id", "stage", "duration_ms")
Format = Literal["auto", "json", "console"]

LIFECYCLE_LOGGER = "ingest.daemon.lifecycle"
# Libraries that log every request or job at INFO: useful when debugging (-vv), noise otherwise.
_CHATTY = ("httpx", "httpcore", "apscheduler", "trafilatura", "htmldate", "courlan")


def add_stage(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """``stage`` from the logger's name when the call did not give one."""
    if "stage" not in event:
        name = str(event.get("logger") or "")
        parts = name.split(".")
        if parts[0] == "ingest" and len(parts) > 1:
            event["stage"] = parts[1]
        elif name:
            event["stage"] = parts[0]
    return event


def add_exc_text(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A traceback already formatted into the record (``exc_text``) becomes ``exception``.

    The secrets redaction filter (``ingest.secrets.RedactingFilter``) formats and redacts the
    traceback, then clears ``exc_info``; without this the redacted traceback would be dropped.
    """
    record = event.get("_record")
    if record is not None and "exception" not in event and "exc_info" not in event:
        text = getattr(record, "exc_text", None)
        if not record.exc_info and text:
            event["exception"] = text
    return event


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the call, not at set-up.

    Test runners and click's CliRunner swap ``sys.stderr`` for a while; a handler holding the
    old object would write into a closed buffer after they swap it back.
    """

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def setup_logging(verbose: int = 0, *, fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Configure the root logger and structlog. Safe to call again (replaces its own handler).

    ``verbose``: 0 warnings, 1 info, 2 debug (and the chatty libraries' info lines).
    ``stream``: where lines go (default: the current ``sys.stderr``).
    """
    import structlog

    level = logging.WARNING - 10 * min(verbose, 2)
    target = stream if stream is not None else sys.stderr
    as_json = fmt == "json" or (fmt == "auto" and not _isatty(target))
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        add_exc_text,
        add_stage,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False, default=str)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=_isatty(target))
    )
    tail: list[Any] = [structlog.processors.format_exc_info] if as_json else []
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail, renderer],
    )
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    )
    handler.setFormatter(formatter)
    handler.set_name("ingest")

    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "ingest"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose >= 2 else logging.WARNING)
    # The daemon's start and stop lines are shown at every verbosity (see ingest.daemon).
    logging.getLogger(LIFECYCLE_LOGGER).setLevel(logging.INFO)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *[
                p
                for p in shared
                if p not in (add_exc_text,) and not isinstance(p, structlog.stdlib.ExtraAdder)
            ],
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def _isatty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
