"""Load and validate ``ingest.toml``.

The loader is the only code that reads the environment: secrets are named in the file
(``secret_env = "INGEST_WEBHOOK_SECRET"``) and resolved here, never written in the file.
Every problem is reported as a :class:`ConfigError` naming the file and the dotted key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ingest.alerts.settings import AlertsConfig, WebhookTarget, read_alerts
from ingest.cluster.settings import ClusterSettings
from ingest.dedup.settings import DedupSettings
from ingest.errors import ConfigError, ConfigErrors
from ingest.extract.article import ExtractConfig
from ingest.fetch.settings import HttpSettings
from ingest.figures.settings import CatalogueFiles
from ingest.findings.settings import FindingSettings
from ingest.ops.settings import LogSettings, ServerSettings
from ingest.schedule.policy import ScheduleConfig
from ingest.settings_schema import (
    MAX_DURATION,
    Duration,
    Table,
    Text,
    http_url_problem,
    parse_duration,
    read_settings,
    setting,
    spec_metadata,
)
from ingest.topic.filter import TopicConfig
from ingest.urls import database_url_problem

__all__ = [
    "ENV_CONFIG",
    "ENV_DB",
    "MAX_DURATION",
    "AlertsConfig",
    "Config",
    "ExtractConfig",
    "ScheduleConfig",
    "SourceConfig",
    "StoreConfig",
    "TopicConfig",
    "WebhookTarget",
    "default_config_path",
    "load_config",
    "parse_config",
    "parse_duration",
    "resolve_db_path",
]

T = TypeVar("T")

ENV_CONFIG = "INGEST_CONFIG"
ENV_DB = "INGEST_DB"
DEFAULT_DB = Path("data/ingest.db")

_NAME = re.compile(r"^[\w .:/@&()'+-]{1,100}$")


def _name_problem(name: str) -> str | None:
    return None if _NAME.match(name) else f"unsupported characters in {name!r}"


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One ``[[sources]]`` table: a feed to watch."""

    name: str = field(metadata=spec_metadata(Text(required=True, check=_name_problem)))
    url: str = field(metadata=spec_metadata(Text(required=True, check=http_url_problem)))
    interval: float | None = setting(None, Duration())
    tags: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """The ``[store]`` table: where the database is, and how long raw pages are kept."""

    path: Path = field(default=DEFAULT_DB, metadata=spec_metadata(Text()))
    raw_html_retention_days: int = 90
    # postgresql://... selects the PostgreSQL store (docs/postgres.md); None: SQLite at `path`.
    url: str | None = field(default=None, metadata=spec_metadata(Text(check=database_url_problem)))

    def __post_init__(self) -> None:
        # Read as a string from the file; a Path in the program.
        object.__setattr__(self, "path", Path(self.path))


@dataclass(frozen=True, slots=True)
class Config:
    """A loaded config file: one frozen value per table, each read by its stage's settings."""

    file: str
    store: StoreConfig
    http: HttpSettings
    schedule: ScheduleConfig
    topic: TopicConfig
    extract: ExtractConfig
    sources: tuple[SourceConfig, ...]
    alerts: AlertsConfig
    dedup: DedupSettings = field(default_factory=DedupSettings)
    figures: CatalogueFiles = field(default_factory=CatalogueFiles)
    findings: FindingSettings = field(default_factory=FindingSettings)
    log: LogSettings = field(default_factory=LogSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)


# Tables read into a settings dataclass as they are, in the order of the file's sections; the
# core ones first, then (after the unknown top-level keys) the later stages', as check-config
# has always listed them.
_CORE: tuple[tuple[str, type[Any]], ...] = (
    ("store", StoreConfig),
    ("http", HttpSettings),
    ("schedule", ScheduleConfig),
    ("topic", TopicConfig),
    ("extract", ExtractConfig),
)
_STAGES: tuple[tuple[str, type[Any]], ...] = (
    ("dedup", DedupSettings),
    ("figures", CatalogueFiles),
    ("findings", FindingSettings),
    ("log", LogSettings),
    ("server", ServerSettings),
    ("cluster", ClusterSettings),
)


def default_config_path() -> Path:
    """``$INGEST_CONFIG``, else ``./config/ingest.toml``, else the copy bundled with the code."""
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    local = Path("config/ingest.toml")
    if local.is_file():
        return local
    return Path(__file__).resolve().parent.parent / "config" / "ingest.toml"


def _sources(raw: object, *, file: str, errors: list[ConfigError]) -> tuple[SourceConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError("expected [[sources]] tables", file=file, key="sources")
    out: list[SourceConfig] = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        try:
            t = Table(item, file=file, prefix=f"sources[{i}]", errors=errors)
        except ConfigError as exc:
            errors.append(exc)
            continue
        source = read_settings(t, SourceConfig, finish=False)
        if source.name and source.name in names:
            t.fail(f"duplicate source name {source.name!r}", "name")
        names.add(source.name)
        t.finish()
        out.append(source)
    return tuple(out)


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

    def table(name: str, cls: type[T]) -> T:
        return section(lambda: read_settings(root.table(name), cls), cls())

    root = Table(data, file=file, prefix="", errors=errors)
    core = {name: table(name, cls) for name, cls in _CORE}
    root.seen.add("sources")
    no_sources: tuple[SourceConfig, ...] = ()
    sources = section(
        lambda: _sources(data.get("sources", []), file=file, errors=errors), no_sources
    )
    alerts = section(
        lambda: read_alerts(root.table("alerts"), environ, strict=require_secrets),
        AlertsConfig(),
    )
    root.seen.update(name for name, _ in _STAGES)
    root.finish()
    stages = {name: table(name, cls) for name, cls in _STAGES}
    if collected is not None:
        collected.extend(errors)
    elif errors:
        raise errors[0] if len(errors) == 1 else ConfigErrors(errors)
    return Config(file=file, **core, sources=sources, alerts=alerts, **stages)


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
