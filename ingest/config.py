"""Load and validate ``ingest.toml``.

The loader is the only code that reads the environment: secrets are named in the file
(``secret_env = "INGEST_WEBHOOK_SECRET"``) and resolved here, never written in the file.
Every problem is reported as a :class:`ConfigError` naming the file and the dotted key.
"""

from __future__ import annotations

import functools
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from ingest.errors import ConfigError, ConfigErrors
from ingest.fetch.settings import HttpSettings
from ingest.urls import database_url_problem

T = TypeVar("T")
G = TypeVar("G", bound=Callable[..., Any])

ENV_CONFIG = "INGEST_CONFIG"
ENV_DB = "INGEST_DB"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")
_DURATION_UNITS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_NAME = re.compile(r"^[\w .:/@&()'+-]{1,100}$")
# No duration in the config means more than a year: a longer one is a typo ("99999999999999d")
# that would overflow the date arithmetic of every check.
MAX_DURATION = 366 * 86400.0


@dataclass(frozen=True, slots=True)
class SourceConfig:
    name: str
    url: str
    interval: float | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class StoreConfig:
    path: Path = Path("data/ingest.db")
    raw_html_retention_days: int = 90
    # postgresql://... selects the PostgreSQL store (docs/postgres.md); None: SQLite at `path`.
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    tick_seconds: float = 30.0
    default_interval: float = 1800.0
    min_interval: float = 300.0
    max_interval: float = 86400.0
    max_entries_per_poll: int = 200
    max_parallel_sources: int = 8
    adaptive: bool = True
    # Stored pages are fetched again every `revisit_every` while younger than `revisit_within`,
    # so in-place corrections are seen even when the feed does not change. 0 turns it off.
    revisit_within: float = 172800.0
    revisit_every: float = 21600.0
    # One check of one source (feed and pages) stops after this long; the entries it did not
    # reach wait for the next check. The source lease is derived from it (see daemon.py).
    check_budget: float = 600.0
    # SIGTERM/SIGINT: checks and deliveries in flight get this long to finish, then are cut.
    stop_grace: float = 20.0


@dataclass(frozen=True, slots=True)
class TopicConfig:
    include: tuple[str, ...] | None = None  # None: the built-in default terms
    exclude: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class ExtractConfig:
    # Below this share of the feed's own text, the page extraction is taken to have failed.
    min_page_to_feed_ratio: float = 0.6
    min_text_chars: int = 200


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    url: str
    secret_env: str | None = None
    secret: str | None = field(default=None, repr=False)
    mode: str = "standard"  # "standard" (Standard Webhooks JSON) or "slack" (text)


@dataclass(frozen=True, slots=True)
class AlertsConfig:
    """``[alerts]``: the webhook targets, and the rest for :mod:`ingest.alerts.settings`.

    ``env`` holds the values of the variables the table names in ``*_env`` keys (SMTP login,
    Apprise URLs), resolved here because only the loader reads the environment.
    """

    webhooks: tuple[WebhookTarget, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)  # the rest, read by the alerts stage
    # False for commands that only read the database: a secret variable that is not set is
    # then left unset instead of refusing the config (nothing is sent without it).
    strict: bool = True
    env: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class Config:
    file: str
    store: StoreConfig
    http: HttpSettings
    schedule: ScheduleConfig
    topic: TopicConfig
    extract: ExtractConfig
    sources: tuple[SourceConfig, ...]
    alerts: AlertsConfig
    sections: Mapping[str, Mapping[str, Any]]  # other stages' tables ([dedup], [figures], ...)


def default_config_path() -> Path:
    """``$INGEST_CONFIG``, else ``./config/ingest.toml``, else the copy bundled with the code."""
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    local = Path("config/ingest.toml")
    if local.is_file():
        return local
    return Path(__file__).resolve().parent.parent / "config" / "ingest.toml"


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def parse_duration(
    value: object,
    *,
    file: str,
    key: str,
    minimum: float = 0.0,
    maximum: float = MAX_DURATION,
) -> float:
    """Seconds from ``900``, ``"15m"``, ``"2h"`` or ``"1d"``; positive, finite, in range."""
    if isinstance(value, bool):
        raise ConfigError("expected a duration such as 900, '15m' or '2h'", file=file, key=key)
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2)]
    else:
        raise ConfigError(
            f"expected a duration such as 900, '15m' or '2h', got {value!r}", file=file, key=key
        )
    if not (math.isfinite(seconds) and seconds > 0 and minimum <= seconds <= maximum):
        raise ConfigError(
            f"must be a finite duration at least {_span(minimum) if minimum else 'above 0s'} "
            f"and at most {_span(maximum)}, got {value!r}",
            file=file,
            key=key,
        )
    return seconds


def _collects(getter: G) -> G:
    """A getter of :class:`_Table` that, when the table collects its errors, records a bad
    value and returns the getter's default instead of raising, so one pass finds them all."""

    @functools.wraps(getter)
    def wrapper(self: _Table, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getter(self, name, *args, **kwargs)
        except ConfigError as exc:
            if self.errors is None:
                raise
            self.errors.append(exc)
            self.seen.add(name)
            if getter.__name__ == "table":
                return _Table({}, file=self.file, prefix=self.key(name), errors=self.errors)
            default = args[0] if args else kwargs.get("default")
            return "" if default is None and kwargs.get("required") else default

    return wrapper  # type: ignore[return-value]


class _Table:
    """A TOML table being read: typed getters that name the key on error, and a check
    that nothing unknown was left (a typo is an error, not a silent default).

    With ``errors`` (a list), problems are appended there and reading goes on with defaults,
    so ``ingest check-config`` can report every problem of a file at once.
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        file: str,
        prefix: str,
        errors: list[ConfigError] | None = None,
    ) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError("expected a table", file=file, key=prefix or None)
        self.data = data
        self.file = file
        self.prefix = prefix
        self.seen: set[str] = set()
        self.errors = errors

    def fail(self, message: str, name: str | None = None) -> None:
        """Report a problem with key ``name`` (the table itself when None)."""
        exc = ConfigError(message, file=self.file, key=self.key(name) if name else self.prefix)
        if self.errors is None:
            raise exc
        self.errors.append(exc)

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def _get(self, name: str, types: type | tuple[type, ...], what: str, default: Any) -> Any:
        self.seen.add(name)
        if name not in self.data:
            return default
        value = self.data[name]
        if isinstance(value, bool) and bool not in (
            types if isinstance(types, tuple) else (types,)
        ):
            raise ConfigError(f"expected {what}, got {value!r}", file=self.file, key=self.key(name))
        if not isinstance(value, types):
            raise ConfigError(f"expected {what}, got {value!r}", file=self.file, key=self.key(name))
        return value

    @_collects
    def string(self, name: str, default: str | None = None, *, required: bool = False) -> Any:
        if required and name not in self.data:
            self.seen.add(name)
            raise ConfigError("is required", file=self.file, key=self.key(name))
        value = self._get(name, str, "a string", default)
        if required and not str(value).strip():
            raise ConfigError("must not be empty", file=self.file, key=self.key(name))
        return value

    @_collects
    def number(
        self, name: str, default: float, *, minimum: float = 0.0, maximum: float = 1e9
    ) -> float:
        value = float(self._get(name, (int, float), "a number", default))
        # nan compares false with everything, so a plain `value < minimum` lets it through.
        if not (math.isfinite(value) and minimum <= value <= maximum):
            raise ConfigError(
                f"must be a finite number at least {minimum:g} and at most {maximum:g}, "
                f"got {value!r}",
                file=self.file,
                key=self.key(name),
            )
        return value

    @_collects
    def integer(self, name: str, default: int, *, minimum: int = 0, maximum: int = 10**12) -> int:
        value = int(self._get(name, int, "a whole number", default))
        if not minimum <= value <= maximum:
            raise ConfigError(
                f"must be at least {minimum} and at most {maximum}, got {value!r}",
                file=self.file,
                key=self.key(name),
            )
        return value

    @_collects
    def boolean(self, name: str, default: bool) -> bool:
        return bool(self._get(name, bool, "true or false", default))

    @_collects
    def duration(
        self,
        name: str,
        default: float | None,
        *,
        minimum: float = 0.0,
        maximum: float = MAX_DURATION,
    ) -> float | None:
        self.seen.add(name)
        if name not in self.data:
            return default
        return parse_duration(
            self.data[name], file=self.file, key=self.key(name), minimum=minimum, maximum=maximum
        )

    @_collects
    def strings(self, name: str, default: tuple[str, ...] | None = ()) -> tuple[str, ...] | None:
        value = self._get(name, list, "a list of strings", None)
        if value is None:
            return default
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise ConfigError(
                    f"expected a string, got {item!r}", file=self.file, key=f"{self.key(name)}[{i}]"
                )
        return tuple(value)

    @_collects
    def table(self, name: str) -> _Table:
        value = self._get(name, dict, "a table", {})
        return _Table(value, file=self.file, prefix=self.key(name), errors=self.errors)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        for name in unknown if self.errors is not None else unknown[:1]:
            self.fail(f"unknown key (known: {', '.join(sorted(self.seen))})", name)


def _http_url(value: str, *, file: str, key: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"expected an http:// or https:// URL, got {value!r}", file=file, key=key)
    return value


def _store(t: _Table) -> StoreConfig:
    path = t.string("path", "data/ingest.db")
    retention = t.integer("raw_html_retention_days", 90)
    url = t.string("url", None)
    if url is not None and (problem := database_url_problem(url)):
        t.fail(problem, "url")
        url = None
    t.finish()
    return StoreConfig(path=Path(path), raw_html_retention_days=retention, url=url)


def _http(t: _Table) -> HttpSettings:
    d = HttpSettings()
    try:
        cfg = HttpSettings(
            contact_url=t.string("contact_url", d.contact_url),
            connect_timeout=t.number(
                "connect_timeout", d.connect_timeout, minimum=0.1, maximum=3600
            ),
            read_timeout=t.number("read_timeout", d.read_timeout, minimum=0.1, maximum=3600),
            total_timeout=t.number("total_timeout", d.total_timeout, minimum=0.1, maximum=3600),
            max_body_bytes=t.integer("max_body_bytes", d.max_body_bytes, minimum=1024),
            max_decoded_bytes=t.integer("max_decoded_bytes", d.max_decoded_bytes, minimum=1024),
            max_redirects=t.integer("max_redirects", d.max_redirects, maximum=100),
            per_host_concurrency=t.integer(
                "per_host_concurrency", d.per_host_concurrency, minimum=1, maximum=100
            ),
            per_host_min_delay=t.number("per_host_min_delay", d.per_host_min_delay, maximum=3600),
            allow_networks=t.strings("allow_networks") or (),
        )
    except ConfigError as exc:
        # HttpSettings names the key but not the file: add the file, keep the message as is.
        raise ConfigError(exc.message, file=t.file, key=exc.key) from exc
    t.finish()
    return cfg


def _optional_duration(t: _Table, name: str, default: float) -> float:
    """A duration where 0 means "off"."""
    if t.data.get(name) == 0:
        t.seen.add(name)
        return 0.0
    return t.duration(name, default) or default


def _schedule(t: _Table) -> ScheduleConfig:
    d = ScheduleConfig()
    cfg = ScheduleConfig(
        tick_seconds=t.duration("tick", d.tick_seconds, minimum=1, maximum=3600) or d.tick_seconds,
        default_interval=t.duration("default_interval", d.default_interval) or d.default_interval,
        min_interval=t.duration("min_interval", d.min_interval) or d.min_interval,
        max_interval=t.duration("max_interval", d.max_interval) or d.max_interval,
        max_entries_per_poll=t.integer(
            "max_entries_per_poll", d.max_entries_per_poll, minimum=1, maximum=100_000
        ),
        max_parallel_sources=t.integer(
            "max_parallel_sources", d.max_parallel_sources, minimum=1, maximum=1000
        ),
        adaptive=t.boolean("adaptive", d.adaptive),
        revisit_within=_optional_duration(t, "revisit_within", d.revisit_within),
        revisit_every=_optional_duration(t, "revisit_every", d.revisit_every),
        check_budget=t.duration("check_budget", d.check_budget, minimum=10, maximum=6 * 3600)
        or d.check_budget,
        stop_grace=t.duration("stop_grace", d.stop_grace, minimum=1, maximum=3600) or d.stop_grace,
    )
    if cfg.min_interval > cfg.max_interval:
        t.fail("must not exceed max_interval", "min_interval")
    t.finish()
    return cfg


def _topic(t: _Table) -> TopicConfig:
    cfg = TopicConfig(
        include=t.strings("include", None),
        exclude=t.strings("exclude") or (),
        enabled=t.boolean("enabled", True),
    )
    t.finish()
    return cfg


def _extract(t: _Table) -> ExtractConfig:
    d = ExtractConfig()
    cfg = ExtractConfig(
        min_page_to_feed_ratio=t.number("min_page_to_feed_ratio", d.min_page_to_feed_ratio),
        min_text_chars=t.integer("min_text_chars", d.min_text_chars),
    )
    t.finish()
    return cfg


def _sources(
    raw: object, *, file: str, errors: list[ConfigError] | None = None
) -> tuple[SourceConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError("expected [[sources]] tables", file=file, key="sources")
    out: list[SourceConfig] = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        try:
            t = _Table(item, file=file, prefix=f"sources[{i}]", errors=errors)
        except ConfigError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        name = t.string("name", required=True).strip()
        if name and not _NAME.match(name):
            t.fail(f"unsupported characters in {name!r}", "name")
        if name and name in names:
            t.fail(f"duplicate source name {name!r}", "name")
        names.add(name)
        url = t.string("url", required=True).strip()
        if url:
            try:
                _http_url(url, file=file, key=t.key("url"))
            except ConfigError as exc:
                t.fail(exc.message, "url")
        out.append(
            SourceConfig(
                name=name,
                url=url,
                interval=t.duration("interval", None),
                tags=t.strings("tags") or (),
                enabled=t.boolean("enabled", True),
            )
        )
        t.finish()
    return tuple(out)


def _alerts(t: _Table, environ: Mapping[str, str], *, strict: bool = True) -> AlertsConfig:
    raw_hooks = t.data.get("webhook", [])
    t.seen.add("webhook")
    if not isinstance(raw_hooks, list):
        raise ConfigError("expected [[alerts.webhook]] tables", file=t.file, key=t.key("webhook"))
    hooks = []
    for i, item in enumerate(raw_hooks):
        h = _Table(item, file=t.file, prefix=f"alerts.webhook[{i}]", errors=t.errors)
        url = _http_url(h.string("url", required=True), file=t.file, key=h.key("url"))
        secret_env = h.string("secret_env")
        mode = h.string("mode", "standard")
        if mode not in ("standard", "slack"):
            h.fail("expected 'standard' or 'slack'", "mode")
        secret = None
        if secret_env:
            secret = environ.get(secret_env) or None
            if not secret and strict:
                h.fail(f"environment variable {secret_env} is not set", "secret_env")
        hooks.append(WebhookTarget(url=url, secret_env=secret_env, secret=secret, mode=mode))
        # Unknown keys inside a webhook table are left for the alerts stage to judge.
        h.seen.update(h.data)
        h.finish()
    # Every other `*_env` key names a variable whose value the alerts stage needs (SMTP login,
    # Apprise URLs); an unset one is reported there, with its key.
    env: dict[str, str] = {}
    tables = [t.data.get("email"), *list(t.data.get("apprise") or [])]
    for table in tables:
        if isinstance(table, Mapping):
            for key, var in table.items():
                if key.endswith("_env") and isinstance(var, str) and var in environ:
                    env[var] = environ[var]
    t.seen.update(t.data)
    alerts = AlertsConfig(webhooks=tuple(hooks), raw=dict(t.data), env=env, strict=strict)
    # Validate the rest now, so `ingest check-config` reports a bad [alerts] key at load time.
    from ingest.alerts.settings import parse_alert_settings

    parse_alert_settings(alerts, file=t.file, errors=t.errors)
    return alerts


_KNOWN_SECTIONS = {"store", "http", "schedule", "topic", "extract", "sources", "alerts"}
# Tables read by later stages; accepted here and handed on untouched.
_STAGE_SECTIONS = {"cluster", "dedup", "figures", "findings", "log", "server"}


def parse_config(
    data: Mapping[str, Any],
    *,
    file: str,
    environ: Mapping[str, str] | None = None,
    require_secrets: bool = True,
    errors: list[ConfigError] | None = None,
) -> Config:
    """Validate a parsed TOML document into a :class:`Config`.

    ``require_secrets=False`` is for commands that only read the database: a secret variable
    that is not set is left unset rather than refusing the file. Every problem is found in one
    pass: one is raised as itself, several as :class:`ConfigErrors`; with ``errors`` they are
    appended there instead and the Config is returned with defaults in their place (so
    ``check-config`` can go on to check the other stages' tables).
    """
    collected = errors
    environ = os.environ if environ is None else environ
    # Every table is read even after a problem, so the error names all of them at once.
    errors = []

    def section(read: Callable[[], T], default: T) -> T:
        try:
            return read()
        except ConfigError as exc:
            errors.append(exc)
            return default

    root = _Table(data, file=file, prefix="", errors=errors)
    store = section(lambda: _store(root.table("store")), StoreConfig())
    http = section(lambda: _http(root.table("http")), HttpSettings())
    schedule = section(lambda: _schedule(root.table("schedule")), ScheduleConfig())
    topic = section(lambda: _topic(root.table("topic")), TopicConfig())
    extract = section(lambda: _extract(root.table("extract")), ExtractConfig())
    root.seen.add("sources")
    no_sources: tuple[SourceConfig, ...] = ()
    sources = section(
        lambda: _sources(data.get("sources", []), file=file, errors=errors), no_sources
    )
    alerts = section(
        lambda: _alerts(root.table("alerts"), environ, strict=require_secrets), AlertsConfig()
    )
    sections: dict[str, Mapping[str, Any]] = {}
    for name in sorted(_STAGE_SECTIONS):
        root.seen.add(name)
        if name in data:
            if not isinstance(data[name], dict):
                root.fail("expected a table", name)
                continue
            sections[name] = data[name]
    root.finish()
    if collected is not None:
        collected.extend(errors)
    elif errors:
        raise errors[0] if len(errors) == 1 else ConfigErrors(errors)
    return Config(
        file=file,
        store=store,
        http=http,
        schedule=schedule,
        topic=topic,
        extract=extract,
        sources=sources,
        alerts=alerts,
        sections=sections,
    )


def stage_settings(config: Config, section: str, cls: type[T]) -> T:
    """Build a stage's frozen settings dataclass from its config table (``[dedup]`` ...).

    Keys are the dataclass's field names; a missing key keeps the default, an unknown key or a
    value of the wrong type is a :class:`ConfigError` naming ``section.key``.
    """
    data = dict(config.sections.get(section, {}))
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    errors: list[ConfigError] = []
    for key, value in data.items():
        if key not in known:
            errors.append(
                ConfigError(
                    f"unknown key (known: {', '.join(sorted(known))})",
                    file=config.file,
                    key=f"{section}.{key}",
                )
            )
            continue
        default = getattr(cls(), key)
        if (
            isinstance(default, bool) != isinstance(value, bool)
            or (isinstance(default, int | float) and not isinstance(value, int | float))
            or (isinstance(default, str) and not isinstance(value, str))
        ):
            errors.append(
                ConfigError(
                    f"expected a value like {default!r}, got {value!r}",
                    file=config.file,
                    key=f"{section}.{key}",
                )
            )
    if errors:
        raise errors[0] if len(errors) == 1 else ConfigErrors(errors)
    try:
        return cls(**data)
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc), file=config.file, key=section) from exc


def load_config(
    path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    require_secrets: bool = True,
    errors: list[ConfigError] | None = None,
) -> Config:
    """Read and validate a config file; raise :class:`ConfigError` saying where and what.

    ``errors``: see :func:`parse_config` (a file that cannot be read or parsed still raises).
    """
    given = path is not None or bool(os.environ.get(ENV_CONFIG))
    path = path or default_config_path()
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        if not given:
            # An installed package has no config of its own beside the code: say what to do
            # rather than name a path inside site-packages.
            raise ConfigError(
                "no configuration file: pass --config FILE or set INGEST_CONFIG "
                "(there is no ./config/ingest.toml here)"
            ) from exc
        raise ConfigError("file not found", file=file) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=file) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text", file=file) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", file=file) from exc
    return parse_config(
        data, file=file, environ=environ, require_secrets=require_secrets, errors=errors
    )


def resolve_db_path(config: Config, override: str | None) -> Path:
    """The database file: ``--db`` / ``$INGEST_DB`` beat ``[store] path``."""
    if override:
        return Path(override)
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env)
    return config.store.path
