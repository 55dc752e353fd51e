"""The one way a config table becomes a stage's frozen settings.

Each stage declares its settings as a frozen dataclass whose fields carry a typed spec
(:class:`Number`, :class:`Integer`, :class:`Duration`, :class:`Text`, :class:`Strings`,
:class:`Flag`) through :func:`setting`; :func:`read_settings` reads a :class:`Table` into it,
and every problem is a :class:`ConfigError` naming the file and the dotted key
(``ingest.toml: dedup.duplicate_containment: must be in (0, 1], got 1.5``). With a list of
errors, a table records every problem and goes on with defaults, so ``ingest check-config``
reports all of a file's problems in one run.

Imports nothing of ingest but :mod:`ingest.errors`: every stage's settings module may use it,
and :mod:`ingest.config` assembles what they read.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass
from typing import Any, TypeVar

from ingest.errors import ConfigError, ConfigErrors

T = TypeVar("T")
G = TypeVar("G", bound=Callable[..., Any])

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")
_DURATION_UNITS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_HTTP_URL = re.compile(r"^https?://[^\s/]+")
# No duration in the config means more than a year: a longer one is a typo ("99999999999999d")
# that would overflow the date arithmetic of every check.
MAX_DURATION = 366 * 86400.0
SPEC = "ingest.settings_schema"  # the key of a field's spec in its dataclass metadata

# A check returns what is wrong with a value (the message), or None when it is fine.
Check = Callable[[Any], str | None]


def span(seconds: float) -> str:
    """``86400`` -> ``"1d"``, ``90`` -> ``"90s"``: a duration as an operator writes it."""
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
            f"must be a finite duration at least {span(minimum) if minimum else 'above 0s'} "
            f"and at most {span(maximum)}, got {value!r}",
            file=file,
            key=key,
        )
    return seconds


def http_url_problem(value: str) -> str | None:
    """What is wrong with a feed or webhook URL, if anything."""
    if not _HTTP_URL.match(value):
        return f"expected an http:// or https:// URL, got {value!r}"
    return None


def one_of(*choices: str) -> Check:
    """A check that the value is one of ``choices``."""
    quoted = [repr(c) for c in choices]
    listed = ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]

    def check(value: Any) -> str | None:
        return None if value in choices else f"expected {listed}, got {value!r}"

    return check


# --- the specs a settings field carries -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Number:
    """A finite float in ``[minimum, maximum]``; ``open_min``/``open_max`` leave an end out."""

    minimum: float = 0.0
    maximum: float = 1e9
    open_min: bool = False
    open_max: bool = False


@dataclass(frozen=True, slots=True)
class Integer:
    """A whole number (not a bool) in ``[minimum, maximum]``; no maximum when None."""

    minimum: int = 0
    maximum: int | None = 10**12


@dataclass(frozen=True, slots=True)
class Duration:
    """Seconds, or a number with a unit (``"15m"``); ``zero_is_off``: 0 turns it off."""

    minimum: float = 0.0
    maximum: float = MAX_DURATION
    zero_is_off: bool = False


@dataclass(frozen=True, slots=True)
class Text:
    """A string; ``required`` ones must be given and not blank; ``check`` judges the value."""

    required: bool = False
    check: Check | None = None


@dataclass(frozen=True, slots=True)
class Strings:
    """A list of strings, read as a tuple; a default of None means "not given"."""

    check: Check | None = None  # judged per item


@dataclass(frozen=True, slots=True)
class Flag:
    """``true`` or ``false``."""


Spec = Number | Integer | Duration | Text | Strings | Flag


def setting(default: T, spec: Spec | None = None, *, key: str | None = None) -> T:
    """A settings field: its default, how it is read, and its TOML key when not its name.

    Typed as the default so the dataclass reads naturally:
    ``tick_seconds: float = setting(30.0, Duration(minimum=1), key="tick")``.
    """
    meta = {SPEC: (spec if spec is not None else _inferred(default), key)}
    return dataclasses.field(default=default, metadata=meta)


def spec_metadata(spec: Spec, *, key: str | None = None) -> dict[str, Any]:
    """The metadata :func:`setting` gives a field, for a field written with ``field()`` (one
    without a default: ``name: str = field(metadata=spec_metadata(Text(required=True)))``)."""
    return {SPEC: (spec, key)}


def _inferred(default: object) -> Spec:
    if isinstance(default, bool):
        return Flag()
    if isinstance(default, int):
        return Integer()
    if isinstance(default, float):
        return Number()
    if isinstance(default, str):
        return Text()
    if isinstance(default, tuple):
        return Strings()
    raise TypeError(f"give a spec for a setting defaulting to {default!r}")


class InvalidSetting(ValueError):
    """Raised by a settings dataclass's ``__post_init__`` when fields disagree with each other;
    ``name`` is the key to blame (the table itself when None)."""

    def __init__(self, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.name = name


# --- reading a table ---------------------------------------------------------------------------


def _collects(getter: G) -> G:
    """A getter of :class:`Table` that, when the table collects its errors, records a bad
    value and returns the getter's default instead of raising, so one pass finds them all."""

    @functools.wraps(getter)
    def wrapper(self: Table, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getter(self, name, *args, **kwargs)
        except ConfigError as exc:
            if self.errors is None:
                raise
            self.errors.append(exc)
            self.seen.add(name)
            if getter.__name__ == "table":
                return Table({}, file=self.file, prefix=self.key(name), errors=self.errors)
            default = args[0] if args else kwargs.get("default")
            return "" if default is None and kwargs.get("required") else default

    return wrapper  # type: ignore[return-value]


class Table:
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
        allowed = types if isinstance(types, tuple) else (types,)
        if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, types):
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
        self,
        name: str,
        default: float,
        *,
        minimum: float = 0.0,
        maximum: float = 1e9,
        open_min: bool = False,
        open_max: bool = False,
    ) -> float:
        value = float(self._get(name, (int, float), "a number", default))
        # nan compares false with everything, so a plain `value < minimum` lets it through.
        above = value > minimum if open_min else value >= minimum
        below = value < maximum if open_max else value <= maximum
        if not (math.isfinite(value) and above and below):
            if open_min or open_max:
                lo, hi = "(" if open_min else "[", ")" if open_max else "]"
                range_text = f"must be in {lo}{minimum:g}, {maximum:g}{hi}"
            else:
                range_text = f"must be a finite number at least {minimum:g} and at most {maximum:g}"
            raise ConfigError(f"{range_text}, got {value!r}", file=self.file, key=self.key(name))
        return value

    @_collects
    def integer(
        self, name: str, default: int, *, minimum: int = 0, maximum: int | None = 10**12
    ) -> int:
        value = int(self._get(name, int, "a whole number", default))
        if maximum is not None and not minimum <= value <= maximum:
            range_text = f"must be at least {minimum} and at most {maximum}"
        elif value < minimum:
            range_text = {0: "must not be negative", 1: "must be positive"}.get(
                minimum, f"must be at least {minimum}"
            )
        else:
            return value
        raise ConfigError(f"{range_text}, got {value!r}", file=self.file, key=self.key(name))

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
    def table(self, name: str) -> Table:
        value = self._get(name, dict, "a table", {})
        return Table(value, file=self.file, prefix=self.key(name), errors=self.errors)

    def checked(self, name: str, value: T, check: Check | None, default: T) -> T:
        """``value`` when ``check`` finds nothing wrong with it, else the problem is reported
        for key ``name`` and ``default`` returned."""
        problem = check(value) if check is not None and name in self.data else None
        if problem is None:
            return value
        self.fail(problem, name)
        return default

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        for name in unknown if self.errors is not None else unknown[:1]:
            self.fail(f"unknown key (known: {', '.join(sorted(self.seen))})", name)


def _read_field(t: Table, name: str, spec: Spec, default: Any) -> Any:
    if isinstance(spec, Number):
        return t.number(
            name,
            default,
            minimum=spec.minimum,
            maximum=spec.maximum,
            open_min=spec.open_min,
            open_max=spec.open_max,
        )
    if isinstance(spec, Integer):
        return t.integer(name, default, minimum=spec.minimum, maximum=spec.maximum)
    if isinstance(spec, Flag):
        return t.boolean(name, default)
    if isinstance(spec, Duration):
        if spec.zero_is_off and t.data.get(name) == 0 and not isinstance(t.data[name], bool):
            t.seen.add(name)
            return 0.0
        value = t.duration(name, default, minimum=spec.minimum, maximum=spec.maximum)
        return default if value is None else value
    if isinstance(spec, Text):
        if spec.required:
            value = t.string(name, required=True).strip()
            return t.checked(name, value, spec.check if value else None, value)
        value = t.string(name, default)
        # A value of the wrong type was reported by t.string, which gave the default back.
        return t.checked(name, value, spec.check if isinstance(value, str) else None, default)
    values = t.strings(name, default)
    if spec.check is not None and values is not None and name in t.data:
        for i, item in enumerate(values):
            if problem := spec.check(item):
                t.fail(problem, f"{name}[{i}]")
                return default
    return values


def read_settings(t: Table, cls: type[T], *, finish: bool = True) -> T:
    """Read table ``t`` into the frozen settings dataclass ``cls``, field by field as each
    field's spec says (a field without a spec is read by the type of its default).

    A missing key keeps the default. A bad value is reported (raised, or collected when ``t``
    collects) and the default used; an unknown key is reported by ``finish``. An
    :class:`InvalidSetting` from ``cls``'s ``__post_init__`` (fields that disagree) is reported
    for the key it names, and then the defaults are returned.
    """
    values: dict[str, Any] = {}
    needed: dict[str, Any] = {}  # fields without a default, for the fallback
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init:
            continue
        spec, key = f.metadata.get(SPEC, (None, None))
        default = None if f.default is MISSING else f.default
        if spec is None:
            spec = _inferred(default)
        values[f.name] = _read_field(t, key or f.name, spec, default)
        if f.default is MISSING and f.default_factory is MISSING:
            needed[f.name] = values[f.name]
    try:
        settings = cls(**values)
    except InvalidSetting as exc:
        t.fail(exc.message, exc.name)
        settings = cls(**needed)
    except ConfigError as exc:  # a value object that names its own key (HttpSettings)
        name = (exc.key or "").removeprefix(t.prefix + ".") if exc.key else None
        t.fail(exc.message, name if name != t.prefix else None)
        settings = cls(**needed)
    if finish:
        t.finish()
    return settings


def parse_settings(
    data: Mapping[str, Any],
    cls: type[T],
    *,
    file: str | None,
    section: str,
    errors: list[ConfigError] | None = None,
) -> T:
    """One table (``data``, the ``[section]`` of ``file``) as ``cls``, every problem found:
    appended to ``errors`` when given, else one raised as itself, several as ConfigErrors."""
    found: list[ConfigError] = []
    try:
        settings = read_settings(Table(data, file=file or "", prefix=section, errors=found), cls)
    except ConfigError as exc:  # not a table at all
        found.append(exc)
        settings = cls()
    if errors is not None:
        errors.extend(found)
    elif found:
        raise found[0] if len(found) == 1 else ConfigErrors(found)
    return settings
