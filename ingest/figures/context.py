"""Context around a figure: sentences and clauses, subject, metric, period and counted noun.

Pure functions over the article text; the extractor calls them once per figure.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from ingest.figures.model import FigureSettings, Metric, UnitKind

# A sentence ends at . ! ? followed by space and a capital/digit/quote, or at a line break. The
# lookbehinds keep "U.S. exports" and "Sept. 30" in one sentence.
_SENTENCE_END: Final = re.compile(
    r"[.!?。](?<!\bU\.S\.)(?<!\bInc\.)(?<!\bCorp\.)(?<!\bCo\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)"
    r"(?<!\bNo\.)(?<!\bvs\.)(?<!\bSept\.)(?<!\bJan\.)(?<!\bFeb\.)(?<!\bAug\.)(?<!\bOct\.)"
    r"(?<!\bNov\.)(?<!\bDec\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bLtd\.)(?<!\bSt\.)"
    r"[\"”’')\]]*(?:[ \t]+(?=[A-Z0-9\"“‘(€$£¥•*-])|[ \t]*\n\s*)|\n\s*"
)
# Clause breaks: a figure's metric keywords must sit in its own clause.
_CLAUSE_BREAK: Final = re.compile(
    r";|:\s|\s[—–]\s|—|,\s+(?:while|whereas|but|and|although|though|compared|versus|against)\b"
    r"|\s(?:while|whereas|but|versus)\s|,\s+with\b"
    r"|\s+and\s+(?:said|says|added|expects|plans|the|its|it|they|analysts)\b"
)

_PERIOD: Final = re.compile(
    r"(?i)(?<![\w-])(?:"
    r"(?:over|in|during|for|within|across)\s+the\s+(?:next|past|last|coming|following|previous)"
    r"\s+(?:[\w-]+\s+)?(?:years?|months?|quarters?|decades?|weeks?|days?)"
    r"|(?:over|in|within|for|across)\s+(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight"
    r"|nine|ten|a|a\s+few)\s+(?:years?|months?|quarters?|decades?|weeks?|days?)"
    r"|year[- ](?:on|over)[- ]year|yoy|y/y|quarter[- ](?:on|over)[- ]quarter|q/q"
    r"|month[- ](?:on|over)[- ]month"
    r"|(?:in|for|during|of)\s+the\s+(?:(?:first|second|third|fourth|latest|most\s+recent"
    r"|previous|last|current|same|june|september|december|march|three-month|fiscal)\s+)*"
    r"(?:quarter|half|fiscal\s+year)(?:\s+of\s+(?:fiscal\s+)?\d{4})?"
    r"|(?:fiscal(?:\s+year)?|FY)\s?'?\d{2,4}"
    r"|(?:Q[1-4]|[1-4]Q|H[12])\s?(?:FY)?'?\d{2,4}"
    r"|(?:by|in|through|until|since|from|before|after|during|for|of)\s+(?:early\s+|late\s+|mid-?)?"
    r"(?:19|20)\d{2}s?(?:\s+levels)?"
    r"|per\s+annum|a\s+year|per\s+year|each\s+year|every\s+year|annually|annual"
    r"|(?:this|last|next)\s+(?:year|quarter|month)|quarterly|a\s+quarter|per\s+quarter"
    r")(?![\w-])"
)

_COUNT_STOP: Final[frozenset[str]] = frozenset(
    """a an the of in on at to for from by with as and or but than more less over under into
    per is are was were be been being has have had will would could should may might can
    its their his her our your this that these those it they we he she which who what when
    where while about around up down out off last first each every all some most many
    such other another same only also just still even percent per cent times fold
    year years month months quarter quarters week weeks day days decade decades""".split()
)
_WORD: Final = re.compile(r"[A-Za-z][A-Za-z-]*")


EntitySpans = tuple[tuple[int, int, str], ...]

# The last few texts' entity mentions: the figure extractor and the findings stage both ask for
# those of the article being saved (the findings stage reads its text back from the store, an
# equal string). Keyed by the settings object and the text; a lock, as extraction may run in a
# worker thread.
_ENTITY_CACHE_SIZE: Final = 4
_entity_cache: dict[tuple[int, str], tuple[FigureSettings, EntitySpans]] = {}
_entity_lock: Final = threading.Lock()


def entity_spans(text: str, settings: FigureSettings) -> EntitySpans:
    """(start, end, entity name) of every catalogue entity named in ``text``, in text order."""
    key = (id(settings), text)
    with _entity_lock:
        hit = _entity_cache.get(key)
    if hit is not None and hit[0] is settings:
        return hit[1]
    spans = tuple(
        (m.start(), m.end(), name)
        for m in settings.entity_re.finditer(text)
        if (name := settings.alias_to_entity.get(m.group().lower())) is not None
    )
    with _entity_lock:
        _entity_cache[key] = (settings, spans)
        while len(_entity_cache) > _ENTITY_CACHE_SIZE:
            del _entity_cache[next(iter(_entity_cache))]
    return spans


@dataclass(slots=True)
class TextContext:
    """Per-text indexes built once: sentence spans and entity mentions."""

    text: str
    settings: FigureSettings
    sentence_starts: list[int] = field(default_factory=list)
    sentence_ends: list[int] = field(default_factory=list)
    entity_starts: list[int] = field(default_factory=list)
    entity_names: list[str] = field(default_factory=list)
    entity_ends: list[int] = field(default_factory=list)
    _clause_cache: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    # clause_span by (start, end): period and metric ask it for the same figure in turn.
    _span_cache: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    # The dominant entity after each number of mentions (index 0: none yet), built on first use.
    _dominant_by_seen: list[str | None] = field(default_factory=list)
    # Keyed by the span's (start, end): a figure straddling a clause break reads the whole
    # sentence, which starts where its first clause does.
    _anchor_cache: dict[tuple[int, int], list[tuple[int, Metric]]] = field(default_factory=dict)
    _period_cache: dict[tuple[int, int], list[tuple[int, int, str]]] = field(default_factory=dict)
    # Keyword spans per (pattern, clause): several figures in one clause search it once.
    _hits_cache: dict[tuple[re.Pattern[str], int, int], list[tuple[int, int]]] = field(
        default_factory=dict
    )

    @classmethod
    def build(cls, text: str, settings: FigureSettings) -> TextContext:
        ctx = cls(text=text, settings=settings)
        pos = 0
        for m in _SENTENCE_END.finditer(text):
            if m.start() > pos:
                ctx.sentence_starts.append(pos)
                ctx.sentence_ends.append(m.start() + (1 if text[m.start()] in ".!?。" else 0))
            pos = m.end()
        if pos < len(text):
            ctx.sentence_starts.append(pos)
            ctx.sentence_ends.append(len(text))
        for start, end, name in entity_spans(text, settings):
            ctx.entity_starts.append(start)
            ctx.entity_ends.append(end)
            ctx.entity_names.append(name)
        return ctx

    def sentence_span(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.sentence_starts, pos) - 1
        if i < 0:
            return 0, len(self.text)
        return self.sentence_starts[i], max(self.sentence_ends[i], pos)

    def clause_span(self, start: int, end: int) -> tuple[int, int]:
        # The same arguments always give the same span (the clause list a sentence start gets
        # is cached on first use), so the answer can be remembered.
        span = self._span_cache.get((start, end))
        if span is None:
            span = self._clause_span(start, end)
            self._span_cache[(start, end)] = span
        return span

    def _clause_span(self, start: int, end: int) -> tuple[int, int]:
        s_start, s_end = self.sentence_span(start)
        clauses = self._clause_cache.get(s_start)
        if clauses is None:
            clauses = []
            pos = s_start
            for m in _CLAUSE_BREAK.finditer(self.text, s_start, s_end):
                clauses.append((pos, m.start()))
                pos = m.end()
            clauses.append((pos, s_end))
            self._clause_cache[s_start] = clauses
        for c_start, c_end in clauses:
            if c_start <= start < c_end + 1:
                # A figure straddling a break (a range "15 to 20%") keeps the whole sentence.
                return (c_start, c_end) if end <= c_end + 1 else (s_start, s_end)
        return s_start, s_end

    def subject(self, start: int, end: int) -> str | None:
        """Nearest entity before the figure in its sentence, else after it, else the last one
        mentioned earlier in the text (coverage names the company once, then says "the firm")."""
        s_start, s_end = self.sentence_span(start)
        i = bisect.bisect_left(self.entity_starts, start) - 1
        if i >= 0 and self.entity_starts[i] >= s_start:
            return self.entity_names[i]
        j = bisect.bisect_left(self.entity_starts, end)
        if j < len(self.entity_starts) and self.entity_starts[j] < s_end:
            return self.entity_names[j]
        if i >= 0:
            return self._dominant(start)
        return None

    def _dominant(self, pos: int) -> str | None:
        # The entity named most often so far is the article's subject: "the company" in a later
        # sentence almost always means it, not the peer mentioned in passing just before.
        # The answer depends only on how many mentions come before pos: one running count over
        # the mentions gives it for every count at once (a recount per figure was quadratic).
        if not self._dominant_by_seen:
            self._dominant_by_seen = dominant_prefixes(self.entity_names)
        return self._dominant_by_seen[bisect.bisect_left(self.entity_starts, pos)]

    def period(self, start: int, end: int) -> str | None:
        """The time expression nearest the figure in its clause, as written (lower case)."""
        c_start, c_end = self.clause_span(start, end)
        found = self._period_cache.get((c_start, c_end))
        if found is None:
            found = [
                (m.start(), m.end(), " ".join(m.group().lower().split()))
                for m in _PERIOD.finditer(self.text, c_start, c_end)
            ]
            self._period_cache[(c_start, c_end)] = found
        best: tuple[int, str] | None = None
        for p_start, p_end, words in found:
            if p_start < end and p_end > start:
                continue
            dist = start - p_end if p_end <= start else p_start - end
            if best is None or dist < best[0]:
                best = (dist, words)
        return best[1] if best else None

    def metric(
        self, start: int, end: int, kind: UnitKind, noun_phrase: str | None, value: float
    ) -> str | None:
        """Catalogue key whose keywords sit closest to the figure within its clause.

        A multi-group metric ("cloud" + "revenue") is as close as its nearest group, provided the
        other groups are written right beside it ("cloud division's revenue"). A count with a
        counted noun only takes a count metric whose keywords name that noun.
        """
        c_start, c_end = self.clause_span(start, end)
        possible = self._anchor_cache.get((c_start, c_end))
        if possible is None:
            # Metrics whose every keyword group has a literal beginning present in the clause;
            # computed once per clause, it spares the regex searches of all the others.
            possible = self._possible_metrics(self.text[c_start:c_end].lower())
            self._anchor_cache[(c_start, c_end)] = possible
        candidates: list[tuple[int, int, int, Metric]] = []
        for order, metric in possible:
            if kind not in metric.units:
                continue
            if metric.max_value is not None and abs(value) > metric.max_value:
                continue
            if (
                kind == "count"
                and noun_phrase
                and not any(
                    (p is not None and p.search(noun_phrase))
                    for pair in metric.patterns
                    for p in pair
                )
            ):
                continue
            found = []
            for pair in metric.patterns:
                hits = self._group_hits(pair, c_start, c_end, start, end)
                if not hits:
                    break
                found.append(hits)
            else:
                dist = self._metric_distance(found)
                if dist is not None and dist <= _MAX_METRIC_DISTANCE:
                    candidates.append((dist, -len(metric.patterns), order, metric))
        if not candidates:
            return None
        closest = min(c[0] for c in candidates)
        # Within a few characters of the closest, prefer the more specific (more groups).
        near = [c for c in candidates if c[0] <= closest + _TIE_SLACK]
        near.sort(key=lambda c: (c[1], c[0], c[2]))
        return near[0][3].key

    def _possible_metrics(self, lowered: str) -> list[tuple[int, Metric]]:
        """(catalogue order, metric) for the metrics whose every anchored keyword group has an
        anchor in ``lowered``; the same as testing each metric's groups against the anchors
        present, but it finds them in one regex pass and walks only the few present."""
        settings = self.settings
        satisfied: dict[int, set[int]] = {}
        for longest in set(settings.anchor_re.findall(lowered)):
            for order, group in settings.anchor_groups[longest]:
                satisfied.setdefault(order, set()).add(group)
        needs = settings.anchored_groups
        orders = [o for o, groups in satisfied.items() if len(groups) == needs[o]]
        orders.extend(settings.unanchored_metrics)
        return [(o, settings.metrics[o]) for o in sorted(orders)]

    def _group_hits(
        self,
        pair: tuple[re.Pattern[str] | None, re.Pattern[str] | None],
        lo: int,
        hi: int,
        start: int,
        end: int,
    ) -> list[tuple[int, int, int]]:
        hits: list[tuple[int, int, int]] = []
        for penalty, pattern in ((0, pair[0]), (_WEAK_PENALTY, pair[1])):
            if pattern is None:
                continue
            key = (pattern, lo, hi)
            spans = self._hits_cache.get(key)
            if spans is None:
                spans = [m.span() for m in pattern.finditer(self.text, lo, hi)]
                self._hits_cache[key] = spans
            for m_start, m_end in spans:
                if m_end <= start:
                    dist = start - m_end
                elif m_start >= end:
                    # Keywords after the figure count a little farther: news names the metric
                    # first ("revenue rose 5%").
                    dist = m_start - end + 10
                else:
                    dist = 0
                hits.append((dist + penalty, m_start, m_end))
        return hits

    @staticmethod
    def _metric_distance(found: list[list[tuple[int, int, int]]]) -> int | None:
        if len(found) == 1:
            return min(h[0] for h in found[0])
        best: int | None = None
        for gi, hits in enumerate(found):
            for dist, h_start, h_end in hits:
                if best is not None and dist >= best:
                    continue
                # Every other group must be written within a few words of this hit.
                if all(
                    any(
                        abs(o_start - h_end) <= _GROUP_SPAN or abs(h_start - o_end) <= _GROUP_SPAN
                        for _, o_start, o_end in other
                    )
                    for oj, other in enumerate(found)
                    if oj != gi
                ):
                    best = dist
        return best


def dominant_prefixes(names: Sequence[str]) -> list[str | None]:
    """The most frequent name among ``names[:k]`` for every k from 0 to ``len(names)``.

    Ties go to the name mentioned first (what ``max`` over the counts in first-mention order
    gives). One pass: only the name just counted can overtake the leader.
    """
    out: list[str | None] = [None]
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    leader: str | None = None
    for i, name in enumerate(names):
        counts[name] = counts.get(name, 0) + 1
        first.setdefault(name, i)
        if (
            leader is None
            or counts[name] > counts[leader]
            or (counts[name] == counts[leader] and first[name] < first[leader])
        ):
            leader = name
        out.append(leader)
    return out


_MAX_METRIC_DISTANCE: Final = 160
_TIE_SLACK: Final = 12
_WEAK_PENALTY: Final = 40
_GROUP_SPAN: Final = 40


def counted_noun(text: str, end: int) -> tuple[str | None, int]:
    """What a count counts, and where its noun phrase ends: the head noun within the next few
    words ("29 regions", "2.3 million direct and indirect jobs" -> "jobs", "two ARK Invest funds"
    -> "funds")."""
    first: tuple[str, int] | None = None
    pos = end
    for _ in range(6):
        while pos < len(text) and text[pos] in " \"'“”‘’":
            pos += 1
        m = _WORD.match(text, pos)
        if m is None:
            break
        word = m.group()
        pos = m.end()
        low = word.lower()
        if low == "and":
            continue
        if low in _COUNT_STOP or (low.endswith("ly") and len(low) > 4):
            break
        if word[0].isupper():
            continue
        # English puts adjectives before the noun; a plural is almost always the head.
        if low.endswith("s") and not low.endswith(("ss", "us", "is")):
            return low, pos
        if first is None:
            first = (low, pos)
    return (first[0], first[1]) if first else (None, end)
