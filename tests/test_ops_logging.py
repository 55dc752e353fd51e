"""Structured logging: stdlib and structlog calls come out with the same keys, JSON or console."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from conftest import make_config

from ingest.errors import ConfigError
from ingest.ops.logging import KEYS, LogSettings, add_stage, log_settings, setup_logging


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Leave the root logger and structlog as the test found them."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
        for f in [f for f in h.filters if type(f).__name__ == "RedactingFilter"]:
            h.removeFilter(f)
    root.setLevel(level)
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_stdlib_extra_keys_in_json() -> None:
    """A stdlib call with extra={...} becomes one JSON line carrying every standard key."""
    out = io.StringIO()
    setup_logging(1, fmt="json", stream=out)
    logging.getLogger("ingest.pipeline").warning(
        "source check failed: %s", "timeout",
        extra={"source": "Reuters", "url": "https://example.com/feed", "article_id": 7,
               "duration_ms": 1234},
    )  # fmt: skip
    (line,) = lines(out)
    for key in KEYS:
        assert key in line, key
    assert line["event"] == "source check failed: timeout"
    assert line["stage"] == "pipeline"
    assert line["source"] == "Reuters"
    assert line["article_id"] == 7
    assert line["level"] == "warning"
    assert line["logger"] == "ingest.pipeline"
    assert line["timestamp"].endswith("Z")


def test_structlog_logger_same_shape() -> None:
    """A structlog logger's event has the same keys and format as a stdlib one."""
    out = io.StringIO()
    setup_logging(1, fmt="json", stream=out)
    structlog.get_logger("ingest.figures").info(
        "figures stored", article_id=3, duration_ms=12, source="Caixin", url="https://e.x/a"
    )
    (line,) = lines(out)
    assert {*KEYS, "event", "level", "timestamp", "logger"} <= set(line)
    assert line["stage"] == "figures"


def test_explicit_stage_wins() -> None:
    """A stage given by the caller is kept; non-ingest loggers get their package as stage."""
    out = io.StringIO()
    setup_logging(1, fmt="json", stream=out)
    logging.getLogger("ingest.daemon").info("x", extra={"stage": "fetch"})
    logging.getLogger("apscheduler.scheduler").warning("y")
    first, second = lines(out)
    assert first["stage"] == "fetch"
    assert second["stage"] == "apscheduler"


def test_level_filtering_by_verbosity() -> None:
    """Verbosity 0 keeps warnings only; chatty libraries stay quiet below -vv."""
    out = io.StringIO()
    setup_logging(0, fmt="json", stream=out)
    logging.getLogger("ingest.daemon").info("hidden")
    logging.getLogger("ingest.daemon").warning("shown")
    assert [line["event"] for line in lines(out)] == ["shown"]
    setup_logging(1, fmt="json", stream=out)
    logging.getLogger("httpx").info("HTTP Request: GET ...")
    assert [line["event"] for line in lines(out)] == ["shown"]


def test_exception_rendered_in_json() -> None:
    """log.exception output carries the traceback as a string field."""
    out = io.StringIO()
    setup_logging(0, fmt="json", stream=out)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("ingest.x").exception("failed")
    (line,) = lines(out)
    assert "ValueError: boom" in line["exception"]


def test_console_format_is_not_json() -> None:
    """Console format is one human-readable line with the message and key=value pairs."""
    out = io.StringIO()
    setup_logging(0, fmt="console", stream=out)
    logging.getLogger("ingest.pipeline").warning("feed moved", extra={"source": "S1"})
    text = out.getvalue()
    assert "feed moved" in text
    assert "source=S1" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])


def test_auto_format_is_json_when_not_a_tty() -> None:
    """Auto picks JSON for a stream that is not a terminal."""
    out = io.StringIO()
    setup_logging(0, stream=out)
    logging.getLogger("ingest.a").warning("w")
    assert lines(out)[0]["event"] == "w"


def test_setup_twice_keeps_one_handler() -> None:
    """Calling setup again replaces its own handler instead of doubling every line."""
    out = io.StringIO()
    setup_logging(0, fmt="json", stream=out)
    setup_logging(0, fmt="json", stream=out)
    logging.getLogger("ingest.a").warning("once")
    assert len(lines(out)) == 1


def test_add_stage_processor() -> None:
    """add_stage derives the stage from ingest.<stage>.* logger names."""
    assert add_stage(None, "info", {"logger": "ingest.fetch.client"})["stage"] == "fetch"
    assert add_stage(None, "info", {"logger": "ingest"}).get("stage") == "ingest"
    assert "stage" not in add_stage(None, "info", {})


def test_log_settings_from_config(tmp_path: Any) -> None:
    """[log] format is validated: json/console/auto accepted, anything else a ConfigError."""
    assert log_settings(make_config(tmp_path, [], log={"format": "json"})) == LogSettings("json")
    with pytest.raises(ConfigError, match="log"):
        log_settings(make_config(tmp_path, [], log={"format": "xml"}))


def test_secret_redaction_filter_keeps_the_traceback() -> None:
    """With the secrets filter on our handler, secrets are masked and the traceback kept."""
    from ingest.secrets import Redactor, install_log_redaction

    out = io.StringIO()
    setup_logging(0, fmt="json", stream=out)
    install_log_redaction(Redactor.from_values(["hunter2-secret"]))
    try:
        raise RuntimeError("login failed with hunter2-secret")
    except RuntimeError:
        logging.getLogger("ingest.alerts").exception(
            "smtp %s", "hunter2-secret", extra={"url": "https://u:hunter2-secret@mail.test/"}
        )
    assert "hunter2-secret" not in out.getvalue()
    (line,) = lines(out)
    assert "RuntimeError: login failed with ***" in line["exception"]
    assert line["stage"] == "alerts" and "url" in line
