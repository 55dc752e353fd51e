"""Load the metric catalogue, entity list and FX table from TOML (the only I/O of this stage)."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from ingest.errors import ConfigError
from ingest.figures.model import Entity, FigureSettings, FxRates, Metric, UnitKind
from ingest.figures.settings import CatalogueFiles as CatalogueFiles

# The bundled catalogue and FX table ship inside the package (ingest/data/), so an installed
# wheel finds them wherever site-packages is; nothing is looked up beside the source tree.
BUNDLED: Traversable = files("ingest") / "data"
DEFAULT_CONFIG_DIR = Path(str(BUNDLED))
_UNIT_KINDS: frozenset[str] = frozenset({"money", "%", "pp", "x", "count"})


def _read(path: Path | Traversable) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError("file not found", file=str(path)) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=str(path)) from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text", file=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from exc


def _str_list(value: object, *, file: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError("expected a list of non-empty strings", file=file, key=key)
    return tuple(value)


def _metric(raw: object, index: int, file: str) -> Metric:
    where = f"metric[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError("expected a table", file=file, key=where)
    key = raw.get("key")
    if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", key):
        raise ConfigError("key must be a lower_snake_case string", file=file, key=f"{where}.key")
    label = raw.get("label", key)
    if not isinstance(label, str):
        raise ConfigError("label must be a string", file=file, key=f"{where}.label")
    units = _str_list(raw.get("units"), file=file, key=f"{where}.units")
    bad = [u for u in units if u not in _UNIT_KINDS]
    if bad:
        raise ConfigError(
            f"unknown unit kind {bad[0]!r}; use {sorted(_UNIT_KINDS)}",
            file=file,
            key=f"{where}.units",
        )
    groups_raw = raw.get("groups")
    if not isinstance(groups_raw, list) or not groups_raw:
        raise ConfigError("groups must be a non-empty list", file=file, key=f"{where}.groups")
    groups = tuple(
        _str_list(g, file=file, key=f"{where}.groups[{i}]") for i, g in enumerate(groups_raw)
    )
    patterns = []
    for i, group in enumerate(groups):
        strong = [k for k in group if not k.startswith("~")]
        weak = [k[1:] for k in group if k.startswith("~") and len(k) > 1]
        try:
            patterns.append((_compile(strong), _compile(weak)))
        except re.error as exc:
            raise ConfigError(
                f"bad keyword pattern: {exc}", file=file, key=f"{where}.groups[{i}]"
            ) from exc
    max_value = raw.get("max_value")
    if max_value is not None and (
        isinstance(max_value, bool) or not isinstance(max_value, int | float)
    ):
        raise ConfigError("max_value must be a number", file=file, key=f"{where}.max_value")
    kinds: tuple[UnitKind, ...] = tuple(units)  # type: ignore[arg-type]
    anchors = tuple(frozenset(_anchors(group)) for group in groups)
    return Metric(
        anchors=anchors,
        key=key,
        label=label,
        units=kinds,
        groups=groups,
        max_value=float(max_value) if max_value is not None else None,
        patterns=tuple(patterns),
    )


def _anchors(group: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for keyword in group:
        body = keyword.lstrip("~")
        literal = re.match(r"[A-Za-z0-9 '’-]*", body)
        prefix = literal.group() if literal else ""
        # A trailing "s?" or "\w*" makes the last letter optional only in the "s?" case.
        if body[len(prefix) : len(prefix) + 1] == "?" and prefix:
            prefix = prefix[:-1]
        if len(prefix) < 2:
            return ()
        out.append(prefix.lower())
    return tuple(out)


def _compile(keywords: list[str]) -> re.Pattern[str] | None:
    if not keywords:
        return None
    # Keywords match at a word start and end at a word end unless they end in a stem marker.
    return re.compile(r"(?<!\w)(?:" + "|".join(keywords) + r")(?!\w)", re.IGNORECASE)


def _entity(raw: object, index: int, file: str) -> Entity:
    where = f"entity[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise ConfigError("expected a table with a non-empty name", file=file, key=where)
    aliases = _str_list(raw.get("aliases", []), file=file, key=f"{where}.aliases")
    unknown = sorted(set(raw) - {"name", "aliases", "parent", "segment", "fiscal_year_end"})
    if unknown:
        raise ConfigError(
            "unknown key (known: name, aliases, parent, segment, fiscal_year_end)",
            file=file, key=f"{where}.{unknown[0]}",
        )  # fmt: skip
    parent, segment = raw.get("parent"), raw.get("segment")
    for name, value in (("parent", parent), ("segment", segment)):
        if value is not None and (not isinstance(value, str) or not value):
            raise ConfigError("expected a non-empty string", file=file, key=f"{where}.{name}")
    fy_end = raw.get("fiscal_year_end", 12)
    if not isinstance(fy_end, int) or isinstance(fy_end, bool) or not 1 <= fy_end <= 12:
        raise ConfigError("expected a month number 1-12", file=file, key=f"{where}.fiscal_year_end")
    return Entity(
        name=raw["name"], aliases=aliases, parent=parent, segment=segment, fiscal_year_end=fy_end
    )


def _fx(data: dict[str, Any], file: str) -> tuple[FxRates, ...]:
    tables = data.get("rates")
    if not isinstance(tables, list) or not tables:
        raise ConfigError("expected at least one [[rates]] table", file=file, key="rates")
    out = []
    for i, table in enumerate(tables):
        where = f"rates[{i}]"
        if not isinstance(table, dict):
            raise ConfigError("expected a table", file=file, key=where)
        valid_from = table.get("valid_from")
        if not isinstance(valid_from, date):
            raise ConfigError(
                "valid_from must be a TOML date", file=file, key=f"{where}.valid_from"
            )
        rates = []
        for code, value in table.items():
            if code == "valid_from":
                continue
            if not re.fullmatch(r"[A-Z]{3}", code):
                raise ConfigError("currency must be an ISO 4217 code", file=file, key=where)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(
                    "rate must be a positive number", file=file, key=f"{where}.{code}"
                )
            rates.append((code, float(value)))
        out.append(FxRates(valid_from=valid_from, usd_per_unit=tuple(rates)))
    return tuple(out)


def load_figure_settings(
    config_dir: Path | None = None,
    *,
    metrics_file: Path | None = None,
    fx_file: Path | None = None,
) -> FigureSettings:
    """Read ``metrics.toml`` and ``fx.toml`` from ``config_dir`` (default: the bundled ones,
    package data of ``ingest``); ``metrics_file`` / ``fx_file`` name either file directly.

    Raises :class:`ConfigError` naming the file and key of the first problem found.
    """
    base: Path | Traversable = config_dir if config_dir is not None else BUNDLED
    metrics_path = metrics_file if metrics_file is not None else base / "metrics.toml"
    fx_path = fx_file if fx_file is not None else base / "fx.toml"
    data = _read(metrics_path)
    mfile = str(metrics_path)
    raw_metrics = data.get("metric", [])
    if not isinstance(raw_metrics, list):
        raise ConfigError("expected [[metric]] tables", file=mfile, key="metric")
    metrics = tuple(_metric(m, i, mfile) for i, m in enumerate(raw_metrics))
    seen: set[str] = set()
    for m in metrics:
        if m.key in seen:
            raise ConfigError(f"duplicate metric key {m.key!r}", file=mfile, key="metric.key")
        seen.add(m.key)
    raw_entities = data.get("entity", [])
    if not isinstance(raw_entities, list):
        raise ConfigError("expected [[entity]] tables", file=mfile, key="entity")
    entities = tuple(_entity(e, i, mfile) for i, e in enumerate(raw_entities))
    versioned_table = data.get("versioned", {})
    if not isinstance(versioned_table, dict):
        raise ConfigError("expected a table", file=mfile, key="versioned")
    versioned = _str_list(versioned_table.get("names", []), file=mfile, key="versioned.names")
    fx = _fx(_read(fx_path), str(fx_path))
    return FigureSettings(metrics=metrics, entities=entities, fx=fx, versioned_names=versioned)
