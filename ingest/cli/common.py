"""What every command shares: ``--config`` / ``--db``, error reporting, JSON Lines output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click
from click.core import ParameterSource

from ingest.errors import IngestError

if TYPE_CHECKING:
    from ingest.config import Config
    from ingest.errors import ConfigError
    from ingest.store.interfaces import StoreBackend

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes operators' scripts can rely on.
EXIT_ERROR = 1  # the command ran into a problem (a failing source during `poll`, a bad file)
EXIT_CONFIG = 2  # the configuration is wrong (also click's usage errors)
EXIT_STORE = 3  # the database could not be opened or written


@dataclass
class AppContext:
    """Lazily loaded config and store for one command invocation."""

    config_path: str | None = None
    db_path: str | None = None
    verbose: int = 0
    _config: Config | None = None
    _store: StoreBackend | None = None
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    typed: set[str] = field(default_factory=set)  # options given on the command line
    # Commands that send (run, poll, alerts deliver/test) and check-config set this: the
    # config is then refused when a secret variable it names is not set. Reading commands
    # work without the daemon's secrets.
    require_secrets: bool = False

    @property
    def config(self) -> Config:
        if self._config is None:
            from ingest.config import load_config
            from ingest.secrets import install_log_redaction, redactor_for

            self._config = load_config(
                Path(self.config_path) if self.config_path else None,
                require_secrets=self.require_secrets,
            )
            # From here on, the configured secrets' values never reach a log line.
            install_log_redaction(redactor_for(self._config))
        return self._config

    def config_with_errors(self, errors: list[ConfigError]) -> Config:
        """The config with its problems appended to ``errors`` instead of raised (defaults in
        their place), for ``check-config`` to go on and check the stages' tables too."""
        if self._config is None:
            from ingest.config import load_config
            from ingest.secrets import install_log_redaction, redactor_for

            self._config = load_config(
                Path(self.config_path) if self.config_path else None,
                require_secrets=self.require_secrets,
                errors=errors,
            )
            install_log_redaction(redactor_for(self._config))
        return self._config

    @property
    def db(self) -> Path:
        from ingest.config import resolve_db_path

        return resolve_db_path(self.config, self.db_path)

    @property
    def store(self) -> StoreBackend:
        """The database as it is, for commands that read or work on what is stored."""
        if self._store is None:
            from ingest.daemon import open_store

            self._store = open_store(self.config, self.db, sync=False)
            self.cleanups.append(self._store.close)
        return self._store

    @property
    def existing_store(self) -> StoreBackend:
        """The database for commands that only read it: a path with no database is an error
        (exit 3), so a mistyped --db never leaves an empty database behind. (A PostgreSQL
        database, chosen by URL, exists or the connection fails.)"""
        if self._store is None:
            from ingest.errors import StoreError
            from ingest.store.select import database_url

            db = self.db
            postgres = database_url(self.config.store.url) is not None
            if not postgres and str(db) != ":memory:" and not db.is_file():
                raise StoreError(f"no database at {db}")
        return self.store

    @property
    def synced_store(self) -> StoreBackend:
        """The database with its sources made to match the config (``run``, ``poll``, ...)."""
        if self._store is None:
            from ingest.daemon import open_store

            self._store = open_store(self.config, self.db, sync=True)
            self.cleanups.append(self._store.close)
        return self._store


def _remember(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """Store an option on the shared AppContext.

    The options exist on the group (``ingest --config F run``) and on every command
    (``ingest run --config F``); a value typed on the command line wins over one from the
    environment, wherever each was given.
    """

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        app = ctx.ensure_object(AppContext)
        if value is None or value == 0:
            return value
        typed = ctx.get_parameter_source(param.name or "") is ParameterSource.COMMANDLINE
        if typed or name not in app.typed:
            setattr(app, name, value)
            if typed:
                app.typed.add(name)
        return value

    return callback


def common_options(func: F) -> F:
    """``--config FILE`` and ``--db FILE`` (also ``$INGEST_CONFIG`` / ``$INGEST_DB``)."""
    func = click.option(
        "--db",
        "db_option",
        metavar="FILE",
        envvar="INGEST_DB",
        expose_value=False,
        callback=_remember("db_path"),
        help="SQLite database file (default: [store] path of the config). Env: INGEST_DB.",
    )(func)
    func = click.option(
        "--config",
        "config_option",
        metavar="FILE",
        envvar="INGEST_CONFIG",
        expose_value=False,
        callback=_remember("config_path"),
        help="Configuration file (default: ./config/ingest.toml). Env: INGEST_CONFIG.",
    )(func)
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_remember("verbose"),
        help="More log output (-vv for debug).",
    )(func)


def handle_errors(func: F) -> F:
    """Turn an IngestError into a one-line message on stderr and a documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ingest.errors import ConfigError, ConfigErrors, StoreError

        app = click.get_current_context().ensure_object(AppContext)
        setup_logging(app.verbose)
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            found = exc.errors if isinstance(exc, ConfigErrors) else (exc,)
            for one in found:
                click.echo(f"ingest: configuration error: {redact(str(one))}", err=True)
            if len(found) > 1:
                click.echo(f"ingest: {len(found)} configuration errors", err=True)
            sys.exit(EXIT_CONFIG)
        except StoreError as exc:
            click.echo(f"ingest: database error: {redact(str(exc))}", err=True)
            sys.exit(EXIT_STORE)
        except IngestError as exc:
            click.echo(f"ingest: {redact(str(exc))}", err=True)
            sys.exit(EXIT_ERROR)
        finally:
            for cleanup in reversed(app.cleanups):
                cleanup()
            app.cleanups.clear()

    return cast(F, wrapper)


def app(*, sends: bool = False) -> AppContext:
    """The invocation's context; ``sends=True`` for commands that deliver or start the daemon."""
    ctx = click.get_current_context().ensure_object(AppContext)
    if sends:
        ctx.require_secrets = True
    return ctx


def setup_logging(verbose: int) -> None:
    """Structured logs: readable on a terminal, JSON lines otherwise (see docs/operations.md),
    with credentials in URLs masked (the config's secret values are added once it is loaded)."""
    from ingest.ops.logging import setup_logging as configure
    from ingest.secrets import Redactor, install_log_redaction

    configure(verbose)
    install_log_redaction(Redactor())


def redact(text: str) -> str:
    """``text`` with credentials in URLs masked, for messages shown to the operator."""
    from ingest.secrets import Redactor

    return Redactor().redact(text)


def resolve_metric(value: str | None) -> str | None:
    """A ``--metric`` option: a catalogue key (``cloud_revenue``) or its label as tables show it
    (``Cloud revenue``, any case). Anything else is a usage error (exit 2) naming the known keys,
    as for a wrong key in ``[alerts] metrics``."""
    if value is None:
        return None
    import difflib

    from ingest.daemon import figure_settings_for

    metrics = figure_settings_for(app().config).metrics
    wanted = value.strip().casefold()
    for metric in metrics:
        if value == metric.key or wanted in (metric.key.casefold(), metric.label.casefold()):
            return metric.key
    keys = sorted(m.key for m in metrics)
    close = difflib.get_close_matches(value, keys, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise click.BadParameter(
        f"unknown metric {value!r}{hint} (known: {', '.join(keys)})", param_hint="--metric"
    )


def parse_since(value: str | None) -> datetime | None:
    """A ``--since`` option: an ISO date or time, UTC unless it says otherwise."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected a date like 2026-11-01, got {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _default(value: object) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_line(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, default=_default)


def print_jsonl(rows: Iterable[object]) -> None:
    for row in rows:
        click.echo(json_line(row))


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
