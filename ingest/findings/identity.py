"""What claim a figure states: one quantity of one entity over one period, in one role.

Pure functions over a figure's own sentence and its article's date. The extractor gives each
figure a catalogue ``metric`` and a nearest entity; this stage reads the sentence again to
decide what the figure is a claim *about*:

- the **subject** from the figure's grammatical owner ("Tencent's 100 billion yuan fund" is
  Tencent's), never from a company named only after the figure or only to compare ("than
  ChatGPT"), and lifted through the entity hierarchy (a cloud metric of Alibaba or of Qwen is
  Alibaba Cloud's);
- the **quantity**: the metric refined by the figure's noun phrase and governing words ("91
  availability zones" and "29 regions" are two counts; money already "invested over the past
  four quarters" is not the pledge "to invest over the next three years"; a "fund" is not the
  pledge it is part of);
- the **period**, resolved to an interval with the article's date (:mod:`.periods`);
- the **role**: an actual, a plan, an estimate by others, a prior value mentioned for
  comparison, or an event of a day (share-price moves). Only actuals and plans can change.

Each decision adds a cue and scales a confidence; :func:`identify` returns both, and the
findings stage raises ``changed``/``conflict`` only between confident identities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from ingest.figures import Figure, FigureSettings
from ingest.figures.context import entity_spans
from ingest.figures.model import unit_kind
from ingest.findings.claims import ClaimKey, is_prior_mention
from ingest.findings.periods import NO_PERIOD, ResolvedPeriod, resolve_period

Role = Literal["actual", "plan", "estimate", "prior", "event", "delta"]

# Events of a day: a share-price move is not a value that later "changes", and each funding
# round or bond sale is its own event, not a new value of the last one.
EVENT_METRICS: Final = frozenset({"share_price_move", "share_price", "market_value", "fundraising"})
# Flows reported per period: without a period the figure cannot be placed in its series.
PERIODIC_METRICS: Final = frozenset(
    {
        "cloud_revenue_growth", "cloud_revenue", "ai_product_revenue_growth", "revenue_growth",
        "revenue", "net_income", "earnings_per_share", "free_cash_flow", "quarterly_capex",
        "energy_consumption_growth",
    }
)  # fmt: skip
# Reported per quarter by the companies followed here: "the quarter" is the latest one.
QUARTERLY_METRICS: Final = PERIODIC_METRICS - {"quarterly_capex"}
# Whose figure a market figure is: the market's, never the company named beside it.
MARKET_METRICS: Final = frozenset({"market_size", "market_growth", "industry_ai_investment"})
# Metrics of a segment: said of the group or of one of its products, they are the segment's.
SEGMENT_OF_METRIC: Final = {
    "cloud_revenue_growth": "cloud",
    "cloud_revenue": "cloud",
    "regions_and_data_centres": "cloud",
}
PLAN_METRICS: Final = frozenset({"ai_investment_commitment"})
# Outlays that can be planned: a plan of either is one quantity.
INVESTMENT_METRICS: Final = frozenset({"ai_investment_commitment", "quarterly_capex"})
# Figures of a product (a model's parameters, an app's downloads): said without a name in
# their sentence, they are the product named last, not the article's company.
PRODUCT_METRICS: Final = frozenset(
    {"model_parameters", "downloads", "users", "derivative_models", "open_source_model_count"}
)
# A group metric said of a segment is the segment metric ("the cloud division's revenue").
SEGMENT_METRICS: Final = {
    ("cloud", "revenue"): "cloud_revenue",
    ("cloud", "revenue_growth"): "cloud_revenue_growth",
}
# Words before a group revenue figure that make it the cloud segment's: "the cloud division,
# ..., saw revenue rise 13%", "cloud computing revenue".
_CLOUD_SEGMENT: Final = re.compile(
    r"(?i)\bcloud(?:[- ]computing)?\s+(?:division|unit|business|segment|arm|group|intelligence"
    r"|revenue|sales|computing)\b"
)
_PER_SHARE: Final = re.compile(
    r"(?i)^\s*(?:a|per|for\s+each|each)\s+(?:diluted\s+|basic\s+)?(?:share|ADS|American\s+"
    r"depositary\s+(?:share|receipt)|ADR)s?\b"
)
# A business unit named before a figure that is not in the entity catalogue ("its
# International Digital Commerce Group"): the figure is that unit's, not the group's.
_UNIT_NAME: Final = re.compile(
    r"(?:\b[A-Z][\w&'’-]*(?:\s+(?:and\s+)?[A-Z][\w&'’-]*){0,4})\s+"
    r"(?:Group|Division|Unit|Segment|Business|Arm)\b"
)
_EXPENSE: Final = re.compile(
    r"(?i)\b(?:sales\s+and\s+marketing|marketing|selling|operating|administrative|research"
    r"(?:\s+and\s+development)?|R&D)\s+(?:expenses?|costs?|spending)\b"
)
# "boosted its budget by 25% to 200 billion yuan": the 25% is the size of a change, not a level.
_DELTA: Final = re.compile(
    r"(?i)\b(?:increas|rais|boost|lift|cut|lower|reduc|expand|grow|grew|rose|fell|up|down)"
    r"\w*\s+(?:\w+\s+){0,8}?by\s+(?:about\s+|around\s+|nearly\s+|some\s+)?$"
)
# A budget's part spent on one kind of thing is its own quantity ("85 billion yuan on chips").
_PURPOSE: Final = re.compile(
    r"(?i)^\s*(?:\([^)]*\)\s*)?(?:specifically\s+|mainly\s+|solely\s+|largely\s+)?(?:on|for|to)"
    r"\s+(?:buying\s+|purchasing\s+)?(?:the\s+|new\s+|its\s+|domestic\s+|AI\s+|advanced\s+)*"
    r"(?P<what>chips?|processors?|GPUs?|semiconductors?|servers?|accelerators?|talent"
    r"|marketing|buybacks?)\b"
)


@dataclass(frozen=True, slots=True)
class ClaimIdentity:
    """The claim a figure states, how sure that reading is (0-1), and the cues behind it."""

    key: ClaimKey
    role: Role
    period: ResolvedPeriod
    confidence: float
    cues: tuple[str, ...]
    # About what the article is about (its main subject's group, or a market): a figure of a
    # company mentioned in passing ("for comparison, AWS has 38 regions") is no news by itself.
    in_focus: bool = True

    @property
    def can_change(self) -> bool:
        """Actuals and plans form values that can change or conflict; the rest never do."""
        return self.role in ("actual", "plan")


_ESTIMATE: Final = re.compile(
    r"(?i)\b(?:analysts?|consensus|estimates?|forecasts?|forecasters?|projections?|"
    r"expectations?|polled|LSEG|FactSet|Visible\s+Alpha|predicts?|predicted|projected)\b"
)
# "the 277 billion yuan estimated by a pool of analysts"
_ESTIMATE_AFTER: Final = re.compile(
    r"(?i)^[\s,]*(?:(?:average|median|mean)\s+)?(?:estimated|expected|forecast|projected|"
    r"predicted|estimates?|forecasts?)\b(?:\s+by)?"
)
_VAGUE: Final = re.compile(r"(?i)\b(?:single|double|triple|quadruple)[- ]digits?\b")
# "China's cloud spending hit $11.6B": a country's, region's or industry's figure is a market's.
_REGION_OWNER: Final = re.compile(
    r"(?i)\b(?:China|Asia|Europe|India|Japan|the\s+US|the\s+U\.S\.|America|the\s+world|"
    r"the\s+industry|the\s+market|the\s+sector)['’]s\b"
)
_HEDGE: Final = re.compile(r"(?i)\b(?:could|may|might|would|reportedly|rumou?red)\b")
_PLAN: Final = re.compile(
    r"(?i)\b(?:plans?|planned|planning|will|pledged?|pledges|commit(?:s|ted|ment)?|aims?|"
    r"target(?:s|ed|ing)?|goal|intends?|budget(?:ed)?|to\s+(?:invest|spend|allocate)|"
    r"is\s+(?:set|expected)\s+to|over\s+the\s+(?:next|coming))\b"
)
_PAST_SPEND: Final = re.compile(
    r"(?i)\b(?:spent|has\s+invested|had\s+invested|invested|already|so\s+far|to\s+date|"
    r"over\s+the\s+(?:past|last|previous))\b"
)
# Words after a money figure that make it a different instrument from the plan it sits beside.
_INSTRUMENT: Final = re.compile(
    r"(?i)^[\s\w'’-]{0,30}?\b(?P<what>sub-?funds?|funds?|bonds?|notes|loans?|"
    r"convertibles?|placements?|credit\s+lines?)\b"
)
_COMPARISON: Final = re.compile(
    r"(?i)\b(?:than|like|rivals?|rivall?ing|versus|vs\.?|compared\s+(?:with|to)|behind|"
    r"ahead\s+of|such\s+as|including|peers?|competitors?|compet\w*\s+(?:with|against)|"
    r"against|outpac\w*|trailing|dwarf(?:s|ed|ing)?|unlike|exceed\w*|surpass\w*)"
    r"[\s\w,'’-]{0,25}$"
)
# A name the catalogue does not know, leading the figure's clause ("SoftBank will inject $10
# billion", "China Unicom has deployed 16,384"): the figure may well be that party's.
_PROPER: Final = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*\b")
# What follows a party's name when it is the one acting: a verb, or more of the name.
_ACTS: Final = re.compile(
    r"\s+(?:[A-Z][\w&-]*\s+)*(?:will|would|has|have|had|is|was|plans?|planned|said|says|"
    r"agreed|invests?|invested|injects?|injected|pledged|committed|deployed|raised|spent|"
    r"announced|reported|posted|drew|logged|expects?|intends?|aims?|operates?|runs?|owns?)\b"
)
_NOT_NAMES: Final = frozenset(
    """The This That These Those Its It Their They In On At For From With By As An A And But
    Or If When While After Before According Chinese China Hong Kong Beijing Shanghai Shenzhen
    Hangzhou Asia Europe American European Asian Global Reuters Bloomberg Xinhua Chairman
    President Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
    April May June July August September October November December Meanwhile However Also
    Overall Notably Still Yet Last Next Earlier Later Analysts Inc Ltd Corp Group Holding
    Holdings Limited Co Mr Ms Dr Nasdaq Separately Despite Although Though Since Until Over
    Under Total Revenue Net Shares Sales Profit Its Our We He She Built During Based Together
    Combined New Chief Executive Officer Cloud Intelligence""".split()
)
_FREQUENCY: Final = re.compile(r"(?i)\b(daily|weekly|monthly|annual|active|paying|registered)\b")
_CLAUSE: Final = re.compile(
    r";|:\s|\s[—–]\s|\s--\s|,\s+(?:while|whereas|but|although|though|compared|versus)\b"
    r"|\s(?:while|whereas|but|versus)\s"
)


@dataclass(frozen=True, slots=True)
class ArticleFacts:
    """What the findings stage knows of the article a figure is from."""

    published: date
    main_subject: str | None  # the entity the article names most often
    # Where each entity is named in the article's text: (offset, entity name), in order.
    mentions: tuple[tuple[int, str], ...] = ()
    # Where ``published`` came from; "imported" (the import's clock) dates nothing.
    date_source: str | None = None
    # The text runs words together ("PointsChina's", "andTencent"): a scrape that lost the
    # spaces between links, where names and figures sit next to the wrong neighbours.
    garbled: bool = False
    # The quarter the article reports on (the one its periodic figures name most often):
    # results coverage names it once ("for the December quarter") and not in every sentence.
    quarter: ResolvedPeriod | None = None
    # Periods the article states for a quantity in one place and not in another: "ByteDance
    # plans capex of 160 billion yuan for 2026 ... the 160 billion yuan budget".
    periods: tuple[tuple[tuple[str, str], ResolvedPeriod], ...] = ()


# "faster-than-projected growth of 8%", "beating estimates, revenue rose 8%": the estimate is
# the other number, not this one.
_BEATS: Final = re.compile(
    r"(?i)(?:than[- ]|\bbeat(?:ing|s)?\s+|\bexceed(?:ing|ed|s)?\s+|\btop(?:ping|ped|s)?\s+|"
    r"\bsurpass(?:ing|ed|es)?\s+|\bmiss(?:ing|ed|es)?\s+|\bahead\s+of\s+|\babove\s+|"
    r"\bbelow\s+)(?:the\s+|analysts['’]?\s+|market\s+|Wall\s+Street\s+)*$"
)


_NAMES_IT: Final = re.compile(
    r"(?i)\s*(?:of|at|for|was|were|is|had\s+been|calling\s+for|pointing\s+to|around|near|"
    r"about|averaging)\s+(?:an?\s+|the\s+)?(?:average\s+of\s+|about\s+|around\s+)?"
)


def _is_estimate(before: str, after: str) -> bool:
    """Whether the figure is someone else's estimate: an estimate word right before it
    ("estimates of 30%"), the clause led by one ("Analysts polled by FactSet projected ... X"),
    or "X estimated by analysts" after it."""
    tail = before[-60:]
    for m in reversed(list(_ESTIMATE.finditer(tail))):
        # "estimates of 37.9 billion yuan": the figure is the estimate, whatever it beat.
        if _NAMES_IT.fullmatch(tail[m.end() :]):
            return True
        if _BEATS.search(tail[: m.start()]):
            continue  # "better-than-projected 34% growth": the result, not the estimate
        return True
    head = _ESTIMATE.search(before[:40])
    if head is not None and not _BEATS.search(before[: head.start()]):
        return True
    return _ESTIMATE_AFTER.match(after) is not None


def article_quarter(identities: list[ClaimIdentity]) -> ResolvedPeriod | None:
    """The quarter most of an article's periodic figures name (the latest on a tie)."""
    counts: dict[str, tuple[int, ResolvedPeriod]] = {}
    for ident in identities:
        p = ident.period
        if p.kind == "quarter" and not p.prior and ident.role != "prior":
            n, _ = counts.get(p.key, (0, p))
            counts[p.key] = (n + 1, p)
    if not counts:
        return None
    return max(counts.values(), key=lambda c: (c[0], c[1].key))[1]


def article_periods(
    identities: list[ClaimIdentity],
) -> tuple[tuple[tuple[str, str], ResolvedPeriod], ...]:
    """For each subject and quantity, the one period the article states for it (none when it
    states several: then a figure without one cannot be placed)."""
    seen: dict[tuple[str, str], set[str]] = {}
    first: dict[tuple[str, str], ResolvedPeriod] = {}
    for ident in identities:
        if ident.period.key and ident.role != "event" and not ident.period.prior:
            where = (ident.key.subject, ident.key.metric)
            seen.setdefault(where, set()).add(ident.period.key)
            first.setdefault(where, ident.period)
    return tuple((k, first[k]) for k, keys in seen.items() if len(keys) == 1)


# A function word glued to the next name ("andTencent", "ofAlibaba"): links lost their spaces.
_GLUED: Final = re.compile(r"\b(?:and|the|of|to|in|for|with|on|at|by|from|as|is|its|or)[A-Z][a-z]")


# "despite chip curbs.Alibaba Cloud led": a sentence glued to the next one.
_GLUED_SENTENCE: Final = re.compile(r"[a-z]{2}[.!?][A-Z][a-z]{2}")


def is_garbled(text: str) -> bool:
    """Function words glued to names, or sentences glued to the next, three times or more: a
    scrape that lost the spaces between links (brand names like "ByteDance" do not count)."""
    return len(_GLUED.findall(text)) + len(_GLUED_SENTENCE.findall(text)) >= 3


def entity_mentions(text: str, settings: FigureSettings) -> tuple[tuple[int, str], ...]:
    """Where each catalogue entity is named in ``text`` (the figure extractor's scan of the
    same text, :func:`ingest.figures.context.entity_spans`, is reused when it was just made)."""
    return tuple((start, name) for start, _end, name in entity_spans(text, settings))


def main_subject(
    text: str, settings: FigureSettings, mentions: tuple[tuple[int, str], ...] | None = None
) -> str | None:
    """The entity named most often in ``text`` (first named wins a tie); ``mentions``, when
    given, must be :func:`entity_mentions` of ``text`` (it saves scanning it again)."""
    counts: dict[str, int] = {}
    for _pos, name in mentions if mentions is not None else entity_mentions(text, settings):
        counts[name] = counts.get(name, 0) + 1
    if not counts:
        return None
    return max(counts.items(), key=lambda kv: kv[1])[0]


def _clause(sentence: str, at: int, end: int) -> tuple[int, int]:
    start, stop = 0, len(sentence)
    for m in _CLAUSE.finditer(sentence):
        if m.end() <= at:
            start = m.end()
        elif m.start() >= end:
            stop = m.start()
            break
    return start, stop


def _entities(sentence: str, settings: FigureSettings) -> list[tuple[int, int, str]]:
    out = []
    for m in settings.entity_re.finditer(sentence):
        name = settings.alias_to_entity.get(m.group().lower())
        if name is not None:
            out.append((m.start(), m.end(), name))
    return out


def _subject(
    figure: Figure, at: int, end: int, facts: ArticleFacts, settings: FigureSettings
) -> tuple[str, float, str]:
    sentence = figure.sentence
    found = _entities(sentence, settings)
    c_start, c_end = _clause(sentence, at, end)
    # An owner: "Tencent's 100 billion yuan fund", "Alibaba's cloud revenue of ...", even
    # after a comparison ("dwarfs Tencent's 100 billion yuan fund").
    for _e_start, e_end, name in reversed([e for e in found if e[1] <= at]):
        tail = sentence[e_end : e_end + 3]
        if tail.startswith(("'s", "’s")) and at - e_end <= 45:
            between = [x for x in found if e_end < x[0] < at]
            if not between:
                return name, 1.0, f"owner: {name}'s"
    before = [e for e in found if e[1] <= at and not _COMPARISON.search(sentence[: e[0]])]
    in_clause = [e for e in before if e[0] >= c_start]
    if in_clause:
        name = in_clause[-1][2]
        several = {e[2] for e in in_clause}
        if len(several) > 1 and _listed_together(sentence, in_clause):
            return name, 0.5, f"several companies together: {', '.join(sorted(several))}"
        rivals = {e[2] for e in found if e[2] != name}
        return name, 0.95 if not rivals else 0.9, f"named before it in its clause: {name}"
    if before:
        name = before[-1][2]
        return name, 0.85, f"named earlier in its sentence: {name}"
    product = _last_product(figure, facts, settings)
    if product is not None:
        return product, 0.8, f"the product named last before it: {product}"
    if facts.main_subject is not None:
        after = [e for e in found if e[0] >= end and e[0] < c_end]
        # A company named only after the figure owns it only when the article is about it.
        if after and after[0][2] != facts.main_subject:
            return (
                facts.main_subject,
                0.7,
                f"article subject {facts.main_subject} (not {after[0][2]})",
            )
        return facts.main_subject, 0.85, f"article subject: {facts.main_subject}"
    if figure.subject:
        return figure.subject, 0.6, f"named after it: {figure.subject}"
    return "", 0.5, "no subject named"


def _unit_named(before: str, settings: FigureSettings) -> str | None:
    for m in reversed(list(_UNIT_NAME.finditer(before))):
        name = " ".join(m.group().split())
        if settings.entity_re.search(name) is None:
            return name
    return None


def _last_product(figure: Figure, facts: ArticleFacts, settings: FigureSettings) -> str | None:
    if figure.metric not in PRODUCT_METRICS:
        return None
    parents = {e.name for e in settings.entities if e.parent}
    earlier = [n for pos, n in facts.mentions if figure.start - 600 < pos < figure.start]
    for name in reversed(earlier):
        if name in parents:
            return name
    return None


def _listed_together(sentence: str, named: list[tuple[int, int, str]]) -> bool:
    """Companies named one after another ("Microsoft, Alphabet, Amazon and Meta"), so a figure
    after them is their sum, not the last one's."""
    for (_, a_end, _), (b_start, _, _) in zip(named[-2:], named[-1:], strict=False):
        if not re.fullmatch(r"(?i)\s*(?:,|,?\s*and|&)\s*", sentence[a_end:b_start]):
            return False
    return True


def is_vague(text: str) -> bool:
    """ "Triple-digit growth": a range of digits, not a value."""
    return _VAGUE.search(text) is not None


def _unknown_party(before_clause: str, after: str, settings: FigureSettings) -> str | None:
    """A proper name the entity catalogue does not know, leading the clause or right after the
    figure ("$100 billion Stargate project")."""
    # Only the clause's first name (its grammatical subject, most often): a person named
    # after the company ("Alibaba CEO Eddie Wu said ...") speaks for it.
    first = next(
        (
            m
            for m in _PROPER.finditer(before_clause[:40])
            if m.group() not in _NOT_NAMES and _ACTS.match(before_clause, m.end())
        ),
        None,
    )
    if first is not None and settings.entity_re.search(before_clause[: first.start()]):
        first = None
    candidates = [first.group()] if first is not None else []
    # A name in the figure's own noun phrase: "$100 billion investment in the Stargate plan".
    phrase = re.match(r"[^,;.:()]{0,45}", after.lstrip(" ("))
    candidates += [m.group() for m in _PROPER.finditer(phrase.group() if phrase else "")]
    for name in candidates:
        if name not in _NOT_NAMES and settings.entity_re.search(name) is None:
            return name
    return None


def _lift(subject: str, metric: str, settings: FigureSettings) -> tuple[str, str | None]:
    """The hierarchy entity that owns a segment metric of ``subject`` (the segment itself when
    the subject is its group or one of its products)."""
    segment = SEGMENT_OF_METRIC.get(metric)
    if segment is None or not subject:
        return subject, None
    by_name = settings.entity_by_name

    def chain(name: str) -> list[str]:
        out = [name]
        while (parent := by_name[out[-1]].parent if out[-1] in by_name else None) is not None:
            if parent in out:
                break
            out.append(parent)
        return out

    lineage = chain(subject)
    for name in lineage:
        entity = by_name.get(name)
        if entity is not None and entity.segment == segment:
            return name, None if name == subject else f"{segment} segment of {subject}: {name}"
    for entity in settings.entities:
        if entity.segment == segment and entity.parent in lineage:
            return entity.name, f"{segment} segment of {subject}: {entity.name}"
    return subject, None


def _fiscal_end(subject: str, settings: FigureSettings) -> int:
    entity = settings.entity_by_name.get(subject)
    return entity.fiscal_year_end if entity is not None else 12


def _noun_key(figure: Figure, after: str) -> str:
    noun = (figure.noun or "").lower()
    if noun.endswith("ies"):
        noun = noun[:-3] + "y"
    elif noun.endswith("s") and not noun.endswith("ss"):
        noun = noun[:-1]
    words = [w.lower() for w in _FREQUENCY.findall(after[:40])]
    return " ".join([*dict.fromkeys(words), noun]).strip()


def identify_all(
    figures: list[Figure], facts: ArticleFacts, settings: FigureSettings
) -> list[ClaimIdentity | None]:
    """The identities of an article's figures, in two passes: the quarter the article reports
    on, and the period it gives each quantity, are known only once every figure is read."""
    first = [identify(f, facts, settings) for f in figures]
    read = [i for i in first if i is not None]
    quarter, periods = article_quarter(read), article_periods(read)
    if quarter is None and not periods:
        return first
    facts = ArticleFacts(
        facts.published, facts.main_subject, facts.mentions, facts.date_source,
        facts.garbled, quarter=quarter, periods=periods,
    )  # fmt: skip
    # Only a figure the article's periods can change is read again: one without a period, or
    # one dated by a year word (a stated horizon, or the article's quarter, may override it).
    return [
        identify(f, facts, settings)
        if i is not None and (not i.key.period or i.period.kind == "year")
        else i
        for f, i in zip(figures, first, strict=True)
    ]


def identify(figure: Figure, facts: ArticleFacts, settings: FigureSettings) -> ClaimIdentity | None:
    """The claim ``figure`` states; None when it has no catalogue metric."""
    metric = figure.metric
    if not metric:
        return None
    sentence = figure.sentence
    at = sentence.find(figure.text)
    if at < 0:
        at = 0
    end = at + len(figure.text)
    cues: list[str] = [f"metric: {metric}"]
    confidence = 1.0
    c_start, c_end = _clause(sentence, at, end)
    clause = sentence[c_start:c_end]
    before, after = sentence[c_start:at], sentence[end:c_end]

    if re.match(r"\s+(?:out\s+of|of\s+(?:every|each))\s+\d", sentence[end:]):
        return None  # "2 out of 64 experts": a ratio, not a count anyone reports
    if metric in ("revenue", "revenue_growth") and _EXPENSE.search(sentence[:end]):
        return None  # "sales and marketing expenses doubled": a cost, not sales
    if unit_kind(figure.unit) == "money" and _PER_SHARE.match(sentence[end:]):
        if metric != "earnings_per_share":
            cues.append("per share")
        metric = "earnings_per_share"
    region = _REGION_OWNER.search(before)
    if region is not None and settings.entity_re.search(before[region.end() :]):
        region = None  # "China's Alibaba posted ...": the company's
    if metric in MARKET_METRICS or region is not None:
        subject, sure = "(market)", 0.9
        cues.append(
            "a market's figure, not a company's"
            if region is None
            else f"a market's figure: {region.group().strip()}"
        )
    else:
        subject, sure, why = _subject(figure, at, end, facts, settings)
        cues.append(why)
        stranger = _unknown_party(before, after, settings) if sure < 1.0 else None
        if stranger is not None:
            sure *= 0.65
            cues.append(f"may be {stranger}'s (not in the catalogue)")
    confidence *= sure
    if (metric in ("revenue", "revenue_growth") and subject
            and _CLOUD_SEGMENT.search(sentence[max(0, at - 260) : at])):  # fmt: skip
        metric = SEGMENT_METRICS[("cloud", metric)]
        cues.append(f"said of the cloud segment: {metric}")
    subject, lifted = _lift(subject, metric, settings)
    if lifted:
        cues.append(lifted)
    unit_name = _unit_named(sentence[c_start:at], settings)
    if unit_name and subject and metric not in MARKET_METRICS:
        subject = f"{subject} / {unit_name}"
        confidence *= 0.8
        cues.append(f"a business unit not in the catalogue: {unit_name}")
    entity = settings.entity_by_name.get(subject)
    if entity is not None and entity.segment and (entity.segment, metric) in SEGMENT_METRICS:
        metric = SEGMENT_METRICS[(entity.segment, metric)]
        cues.append(f"a segment's {metric}")

    quantity = metric
    kind = unit_kind(figure.unit)
    entry = settings.metric_by_key.get(metric)
    if entry is not None and entry.units and kind != entry.units[0] and kind != "count":
        quantity = f"{metric}[{kind}]"
        cues.append(f"in {kind}, not {entry.units[0]}")
    purpose = _PURPOSE.match(after) if kind == "money" else None
    if purpose:
        what = purpose.group("what").lower().rstrip("s")
        quantity = f"{quantity}/on {what}"
        cues.append(f"the part spent on {what}")
    if figure.unit == "count" or figure.noun:
        noun = _noun_key(figure, after)
        if noun:
            quantity = f"{metric}/{noun}"
            cues.append(f"counts: {noun}")
    instrument = _INSTRUMENT.match(after)
    if instrument and metric in PLAN_METRICS | {"industry_ai_investment"}:
        what = instrument.group("what").lower().rstrip("s").replace("-", "")
        quantity = f"{metric}/{what}"
        cues.append(f"a {what}, not the plan")

    role: Role = "actual"
    level_metric = entry is not None and bool(entry.units) and entry.units[0] == "money"
    if kind in ("%", "pp", "x") and level_metric and _DELTA.search(before[-90:]):
        role = "delta"
        cues.append("the size of a change, not a level")
    elif metric in EVENT_METRICS:
        role = "event"
        cues.append("a market move of one day")
    elif is_prior_mention(figure):
        role = "prior"
        cues.append("introduced as the earlier value")
    elif _is_estimate(before, after):
        role = "estimate"
        cues.append("someone else's estimate")
    elif metric in PLAN_METRICS or _PLAN.search(before[-80:]):
        role = "plan"
        if metric in PLAN_METRICS and _PAST_SPEND.search(clause) and not _PLAN.search(clause):
            role = "actual"
            quantity = f"{metric}/spent"
            cues.append("money already spent, not the plan")
        else:
            cues.append("a plan or target")
    if role in ("actual", "plan") and _HEDGE.search(before[-50:]):
        confidence *= 0.8
        cues.append("hedged")

    if facts.garbled:
        confidence *= 0.7
        cues.append("the text runs words together (a scraped copy): names may be misread")
    if is_vague(figure.text):
        confidence *= 0.7
        cues.append("a vague figure (a range of digits, not a value)")
    period = NO_PERIOD
    if role == "event":
        period = ResolvedPeriod(
            "none", facts.published.isoformat(), facts.published, facts.published, "that day"
        )
    else:
        period = resolve_period(
            clause, facts.published, fiscal_year_end_month=_fiscal_end(subject, settings),
            prefer_quarter=metric in QUARTERLY_METRICS, at=at - c_start, end=end - c_start,
            prefer_horizon=role == "plan",
        )  # fmt: skip
        if period.kind == "none" and clause != sentence:
            period = resolve_period(
                sentence, facts.published,
                fiscal_year_end_month=_fiscal_end(subject, settings),
                prefer_quarter=metric in QUARTERLY_METRICS, at=at, end=end,
                prefer_horizon=role == "plan",
            )  # fmt: skip
        if (
            period.kind == "year"
            and metric in QUARTERLY_METRICS
            and facts.quarter is not None
            and not re.search(r"(?i)\b(?:full|whole|annual|fiscal|year[- ]long)\b", clause)
        ):
            # A quarterly figure dated only by "this year" is the article's quarter's.
            period = NO_PERIOD  # fmt: skip
        if period.prior and role in ("actual", "plan"):
            role = "prior"
            cues.append(f"an earlier period: {period.cue}")
        if period.kind == "past" and metric in PLAN_METRICS and role == "plan":
            role, quantity = "actual", f"{metric}/spent"
            cues.append("money already spent, not the plan")
    stated = dict(facts.periods).get((subject, quantity))
    if (
        stated is not None
        and stated.kind == "horizon"
        and period.kind == "year"
        and (period.cue in ("this year", "last year", "next year"))
    ):
        period = NO_PERIOD  # "announced this year" is not the span of a three-year plan
    if not period.key and metric in QUARTERLY_METRICS and facts.quarter is not None:
        # Results coverage names its quarter once: the other figures are that quarter's.
        period = facts.quarter
        confidence *= 0.9
        cues.append(f"the article's quarter: {period.key}")
    elif not period.key and stated is not None and role != "event":
        period = stated
        confidence *= 0.9
        cues.append(f"the period the article gives it elsewhere: {period.key}")
    elif period.key:
        cues.append(f"period: {period.key} ({period.cue})")
        if (
            role == "actual"
            and metric in INVESTMENT_METRICS
            and kind == "money"
            and period.end is not None
            and period.end > facts.published
        ):
            role = "plan"  # a budget for a year still running or to come
            cues.append("a budget for a period not yet over")  # fmt: skip
    elif metric in PERIODIC_METRICS:
        confidence *= 0.6
        cues.append("no period stated for a periodic figure")
    if (
        metric in INVESTMENT_METRICS
        and kind == "money"
        and (role == "plan" or (role == "prior" and period.kind == "horizon"))
    ):
        # A capex budget and an investment pledge are one kind of planned outlay: outlets
        # call the same plan either.
        quantity = quantity.replace(metric, "ai_investment_commitment", 1)
    relative = period.kind in ("quarter", "year", "past") and not re.search(
        r"(?:19|20)\d{2}", period.cue or ""
    )
    if relative and facts.date_source == "imported":
        # "Last quarter" in a file imported without a date could be any quarter.
        confidence *= 0.7
        cues.append("period read against the import's clock: the text gives no date")
    if role in ("estimate", "delta"):
        quantity = f"{quantity}/{role}"
    focus = subject == "(market)" or _same_group(subject, facts.main_subject, settings)
    if not focus:
        cues.append(f"not what the article is about ({facts.main_subject})")
    return ClaimIdentity(
        ClaimKey(subject, quantity, period.key), role, period, round(confidence, 3), tuple(cues),
        focus,
    )  # fmt: skip


def _root(name: str, settings: FigureSettings) -> str:
    by_name = settings.entity_by_name
    seen = {name}
    while (entity := by_name.get(name)) is not None and entity.parent and entity.parent not in seen:
        name = entity.parent
        seen.add(name)
    return name


def _same_group(subject: str, main: str | None, settings: FigureSettings) -> bool:
    if main is None or not subject:
        return main is None
    base = subject.split(" / ", 1)[0]
    return _root(base, settings) == _root(main, settings)
