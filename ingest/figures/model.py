"""Records the figures stage hands on: :class:`Figure`, and the settings it runs with."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

Qualifier = Literal["exact", "approx", "min", "max", "range"]
UnitKind = Literal["money", "%", "pp", "x", "count"]


@dataclass(frozen=True, slots=True)
class Figure:
    """One numeric claim in a text, with the span it was read from.

    ``value`` is the stated number in plain units (for a range, its lower end; ``low``/``high``
    carry both ends). ``equivalent_of`` is the index, in the same tuple, of the figure this one
    converts into another currency ("380 billion yuan (~$53 billion)": the dollar figure points at
    the yuan one).
    """

    text: str
    start: int
    end: int
    sentence: str
    value: float
    unit: str
    noun: str | None = None
    qualifier: Qualifier = "exact"
    low: float | None = None
    high: float | None = None
    subject: str | None = None
    metric: str | None = None
    period: str | None = None
    equivalent_of: int | None = None
    value_usd: float | None = None


def figure_to_dict(fig: Figure) -> dict[str, Any]:
    """The record as a JSON-ready dict, keys in field order."""
    return asdict(fig)


def unit_kind(unit: str) -> UnitKind:
    """Which family a unit belongs to: money (any ISO code), %, pp, x or count."""
    if unit in ("%", "pp", "x", "count"):
        return unit  # type: ignore[return-value]
    return "money"


@dataclass(frozen=True, slots=True)
class Metric:
    """A catalogue entry: a figure gets this key when every keyword group matches near it."""

    key: str
    label: str
    units: tuple[UnitKind, ...]
    groups: tuple[tuple[str, ...], ...]
    max_value: float | None = None
    # Per group: (strong pattern, weak pattern); keywords written "~word" in the catalogue are
    # weak (verbs like "spend") and count as farther away than nouns like "capital expenditure".
    patterns: tuple[tuple[re.Pattern[str] | None, re.Pattern[str] | None], ...] = field(
        default=(), compare=False, repr=False
    )
    # Per group: lower-case literal beginnings of its keywords; a group whose anchors are all
    # absent from a clause cannot match there, which spares most regex searches. Empty = no
    # usable anchor (always search).
    anchors: tuple[frozenset[str], ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Entity:
    """A company or product a figure can be about, with the names it goes by.

    ``parent`` places it in a hierarchy (group -> segment -> product: Qwen -> Alibaba Cloud ->
    Alibaba); ``segment`` names what a segment is ("cloud"), so a segment metric ("cloud
    revenue") said of the group or of a product is the segment's claim. ``fiscal_year_end``
    is the month (1-12) its fiscal year ends in (Alibaba: 3), for "fiscal Q2 2026".
    """

    name: str
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    segment: str | None = None
    fiscal_year_end: int = 12


@dataclass(frozen=True, slots=True)
class FxRates:
    """USD per one unit of each currency, valid from ``valid_from``."""

    valid_from: date
    usd_per_unit: tuple[tuple[str, float], ...]
    # A table holds some 170 currencies: look them up by key, not by walking the tuple.
    _by_code: dict[str, float] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", dict(self.usd_per_unit))

    def rate(self, code: str) -> float | None:
        return self._by_code.get(code)


def trie_pattern(words: list[str]) -> str:
    """One regular expression for ``words`` (lower case), factored by common prefixes.

    Python's ``re`` tries an alternation of a hundred names one by one at every position; the
    factored form ("alibaba(?: cloud(?: intelligence)?| group)?") decides on the first letters.
    Optional tails are greedy, so the longest name matches first, as the plain alternation
    sorted by length did.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + render(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return "(?:" + body + ")?"
        return body

    return "(?:" + render(trie) + ")"


@dataclass(frozen=True, slots=True)
class FigureSettings:
    """Everything the extractor is configured with; build once, share freely."""

    metrics: tuple[Metric, ...]
    entities: tuple[Entity, ...]
    fx: tuple[FxRates, ...]
    versioned_names: tuple[str, ...] = ()
    entity_re: re.Pattern[str] = field(init=False, compare=False, repr=False)
    versioned_re: re.Pattern[str] = field(init=False, compare=False, repr=False)
    alias_to_entity: dict[str, str] = field(init=False, compare=False, repr=False)
    entity_by_name: dict[str, Entity] = field(init=False, compare=False, repr=False)
    metric_by_key: dict[str, Metric] = field(init=False, compare=False, repr=False)
    all_anchors: frozenset[str] = field(init=False, compare=False, repr=False)
    # For TextContext.metric, which needs the anchors present in a clause: ``anchor_re`` finds,
    # at every position of the lower-cased clause, the longest anchor starting there (one pass
    # instead of a substring search per anchor); ``anchor_groups`` maps that longest anchor to
    # the (metric's position in ``metrics``, group index) of every group an anchor it starts
    # with stands for, since those shorter anchors are present too; ``anchored_groups`` counts
    # each metric's groups that have anchors; ``unanchored_metrics`` have none (always possible).
    anchor_re: re.Pattern[str] = field(init=False, compare=False, repr=False)
    anchor_groups: dict[str, tuple[tuple[int, int], ...]] = field(
        init=False, compare=False, repr=False
    )
    anchored_groups: tuple[int, ...] = field(init=False, compare=False, repr=False)
    unanchored_metrics: tuple[int, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Compiled once here because settings are built once and used for every article.
        alias_map: dict[str, str] = {}
        for entity in self.entities:
            for alias in (entity.name, *entity.aliases):
                alias_map.setdefault(alias.lower(), entity.name)
        pattern = (
            r"\b(?<![\w-])" + trie_pattern(list(alias_map)) + r"(?![\w])"
            if alias_map
            else r"(?!x)x"
        )
        object.__setattr__(self, "alias_to_entity", alias_map)
        object.__setattr__(self, "entity_by_name", {e.name: e for e in self.entities})
        object.__setattr__(self, "metric_by_key", {m.key: m for m in self.metrics})
        object.__setattr__(self, "entity_re", re.compile(pattern, re.IGNORECASE))
        versioned = sorted(self.versioned_names, key=len, reverse=True)
        vpattern = (
            r"(?:" + "|".join(re.escape(n) for n in versioned) + r")[ -]?\Z"
            if versioned
            else r"(?!x)x"
        )
        object.__setattr__(self, "versioned_re", re.compile(vpattern))
        object.__setattr__(
            self, "all_anchors", frozenset(a for m in self.metrics for g in m.anchors for a in g)
        )
        index: dict[str, list[tuple[int, int]]] = {}
        for order, metric in enumerate(self.metrics):
            for gi, group in enumerate(metric.anchors):
                for anchor in group:
                    index.setdefault(anchor, []).append((order, gi))
        groups_from = {
            longest: tuple(
                sorted({hit for a in index if longest.startswith(a) for hit in index[a]})
            )
            for longest in index
        }
        object.__setattr__(self, "anchor_groups", groups_from)
        # A lookahead, so that findall tries every position, overlaps included.
        apattern = "(?=(" + trie_pattern(sorted(index)) + "))" if index else r"(?!x)x"
        object.__setattr__(self, "anchor_re", re.compile(apattern))
        object.__setattr__(
            self, "anchored_groups", tuple(sum(1 for g in m.anchors if g) for m in self.metrics)
        )
        object.__setattr__(
            self,
            "unanchored_metrics",
            tuple(o for o, m in enumerate(self.metrics) if not any(m.anchors)),
        )

    def usd_rate(self, code: str, on: date | None) -> float | None:
        """USD per unit of ``code`` from the newest table valid on ``on`` (or the newest).

        A currency missing there comes from the older tables, newest first, and failing those
        from the newer ones, oldest first (rarely quoted currencies are only in the newest)."""
        if code == "USD":
            return 1.0
        tables = sorted(self.fx, key=lambda t: t.valid_from)
        chosen = [t for t in tables if on is None or t.valid_from <= on] or tables[:1]
        later = tables[len(chosen) :]
        for table in (*reversed(chosen), *later):
            rate = table.rate(code)
            if rate is not None:
                return rate
        return None
