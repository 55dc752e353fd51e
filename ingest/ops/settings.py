"""``[server]`` settings: where the ops endpoint listens (nowhere unless told)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ingest.config import Config, stage_settings


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """The ``[server]`` table.

    ``listen`` is ``"host:port"`` (``"[::1]:9464"`` for IPv6); empty keeps the endpoint off,
    which is the default: an open port is something an operator should ask for.
    ``max_poll_age`` (seconds) makes ``/healthz`` fail when no source has been polled
    successfully for that long; 0 reports the age without judging it, because a site being
    down is not something restarting the daemon fixes.
    """

    listen: str = ""
    max_poll_age: float = 0.0

    def __post_init__(self) -> None:
        if self.listen:
            parse_listen(self.listen)
        if self.max_poll_age < 0:
            raise ValueError("max_poll_age must not be negative")

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


def server_settings(config: Config) -> ServerSettings:
    """The validated ``[server]`` table; a bad value is a ConfigError naming ``server``."""
    return stage_settings(config, "server", ServerSettings)
