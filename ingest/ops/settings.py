"""``[server]`` and ``[log]`` settings: where the ops endpoint listens (nowhere unless told),
and how log lines look."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.settings_schema import Number, Text, one_of, setting

if TYPE_CHECKING:  # for the accessors' annotations only: ingest.config imports this module
    from ingest.config import Config


def _listen_problem(value: str) -> str | None:
    if not value:
        return None
    try:
        parse_listen(value)
    except ValueError as exc:
        return str(exc).removeprefix("listen: ")
    return None


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """The ``[server]`` table.

    ``listen`` is ``"host:port"`` (``"[::1]:9464"`` for IPv6); empty keeps the endpoint off,
    which is the default: an open port is something an operator should ask for.
    ``max_poll_age`` (seconds) makes ``/healthz`` fail when no source has been polled
    successfully for that long; 0 reports the age without judging it, because a site being
    down is not something restarting the daemon fixes.
    """

    listen: str = setting("", Text(check=_listen_problem))
    max_poll_age: float = setting(0.0, Number(minimum=0.0))

    @property
    def enabled(self) -> bool:
        return bool(self.listen)

    @property
    def address(self) -> tuple[str, int]:
        return parse_listen(self.listen)


def parse_listen(value: str) -> tuple[str, int]:
    """``"127.0.0.1:9464"`` -> ``("127.0.0.1", 9464)``; ``"[::1]:0"`` -> ``("::1", 0)``.

    Port 0 asks the OS for a free port (tests use it). Raises ValueError with the reason.
    """
    host, sep, port_text = value.strip().rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise ValueError(f"listen: expected 'host:port', got {value!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise ValueError(f"listen: bad IPv6 address in {value!r}") from exc
    elif ":" in host:
        raise ValueError(f"listen: write an IPv6 address in brackets, got {value!r}")
    port = int(port_text)
    if port > 65535:
        raise ValueError(f"listen: port out of range in {value!r}")
    return host, port


@dataclass(frozen=True, slots=True)
class LogSettings:
    """The ``[log]`` table: ``format = "auto" | "json" | "console"`` (auto: console on a TTY)."""

    format: str = setting("auto", Text(check=one_of("auto", "json", "console")))


def server_settings(config: Config) -> ServerSettings:
    """The ``[server]`` table (read and checked by the loader)."""
    return config.server


def log_settings(config: Config) -> LogSettings:
    """The ``[log]`` table (read and checked by the loader)."""
    return config.log
