"""extract_figures: every numeric claim in a text as a :class:`Figure`. Pure; never raises."""

from __future__ import annotations

import bisect
import math
import re
from datetime import date
from typing import Final

from ingest.figures.context import TextContext, counted_noun
from ingest.figures.model import Figure, FigureSettings, Qualifier, unit_kind
from ingest.figures.scan import Raw, scan

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
# Spans that contain digits but no figure: URLs, e-mail, dates, times of day, phone numbers,
# stock codes. A candidate overlapping one is dropped.
_BLOCKED: Final = re.compile(
    r"(?i:https?://|ftp://|www\.)\S+"
    r"|[\w.+-]+@[\w-]+\.[\w.]+"
    r"|\b[\w-]+\.(?:com|org|net|ai|io|cn|hk|co|gov|edu)(?:/\S*)?(?![\w])"
    r"|\b" + _MONTH + r"\.?\s+\d{1,2}(?:st|nd|rd|th)?(?![\d,]\d)(?:,?\s+\d{4})?\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?i:" + _MONTH + r")\b\.?(?:,?\s+\d{4})?"
    r"|\b" + _MONTH + r"\.?\s+(?:19|20)\d{2}\b"
    r"|\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b"
    r"|\b\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?"
    r"|\b\d{1,2}\s?(?:[ap]\.m\.|(?i:am|pm)\b)"
    r"|(?<![\w,.])\+?\(?\d{1,4}\)?(?:[ \-/.]\(?\d{2,4}\)?){2,4}(?![\w,])"
    r"|\b(?:HKEX|HK|SEHK|NYSE|NASDAQ|Nasdaq|SSE|SZSE|TSE|KRX|stock\s+code)\s*:?\s*\d+"
    r"|\b\d{3,6}\.(?:HK|SS|SZ|T|KS)\b"
    r"|(?:\bNo\.|#|\bNumber)\s?\d+"
    r"|\b(?:[Tt]op|[Pp]hase|[Ss]tage|[Ll]evel|[Tt]ier|[Ff]orm|[Ss]ection|[Aa]rticle|[Cc]hapter"
    r"|[Pp]age|[Ff]igure|[Tt]able|[Rr]ound|[Ss]eason|[Ee]pisode|[Gg]en|[Ii]tem|[Rr]ule|[Ll]ine"
    r"|[Rr]oom|[Gg]ate|[Rr]oute)\s\d+(?![\d,.]\d)"
)
# Text that tells "¥" means yuan rather than yen.
_CHINA: Final = re.compile(
    r"(?i)\b(?:china|chinese|yuan|rmb|renminbi|beijing|shanghai|hangzhou|shenzhen|alibaba|tencent"
    r"|baidu|bytedance)\b"
)
_JAPAN: Final = re.compile(r"(?i)\b(?:japan|japanese|yen|tokyo|osaka)\b")
_EQUIV_GAP: Final = re.compile(
    r"[\s(,—–-]*(?:[a-z]+[\s—–-]+)?(?:or\s+|equivalent\s+to\s+|equal\s+to\s+|worth\s+|i\.e\.\s+)?"
    r"[\s(]*\Z"
)


# "Qwen2.5-72B", "GPT-4-32k": a number after a hyphen that follows a name containing letters.
_NAME_DASH: Final = re.compile(r"[A-Za-z][\w.]*-\Z")


def _yen(text: str) -> str:
    china = len(_CHINA.findall(text, 0, 20000))
    japan = len(_JAPAN.findall(text, 0, 20000))
    return "CNY" if china > japan else "JPY"


def _blocked_spans(text: str) -> tuple[list[int], list[int]]:
    starts: list[int] = []
    ends: list[int] = []
    for m in _BLOCKED.finditer(text):
        if any(ch.isdigit() for ch in m.group()):
            starts.append(m.start())
            ends.append(m.end())
    return starts, ends


def _is_blocked(starts: list[int], ends: list[int], start: int, end: int) -> bool:
    i = bisect.bisect_right(starts, end - 1) - 1
    # Blocked spans do not overlap each other much; checking the two nearest is enough.
    return any(0 <= j < len(starts) and starts[j] < end and ends[j] > start for j in (i, i - 1))


def _plural(word: str) -> str:
    if word.endswith("s"):
        return word
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy")):
        return word[:-1] + "ies"
    return word + "s"


def extract_figures(
    text: str, settings: FigureSettings, *, published: date | None = None
) -> tuple[Figure, ...]:
    """Every figure in ``text``, in order of appearance.

    Pure and total: any string yields a (possibly empty) tuple, and ``text[f.start:f.end] ==
    f.text`` for every figure. ``published`` picks the FX table for ``value_usd``.
    """
    if not text or not any(ch.isdigit() or ch.isalpha() for ch in text):
        return ()
    raws = scan(text, _yen(text))
    if not raws:
        return ()
    b_starts, b_ends = _blocked_spans(text)
    ctx = TextContext.build(text, settings)
    figures: list[Figure] = []
    for raw in raws:
        if _is_blocked(b_starts, b_ends, raw.start, raw.end):
            continue
        if not math.isfinite(raw.value):
            continue
        if _is_version(text, raw, settings):
            continue
        noun: str | None = None
        phrase_end = raw.end
        if raw.unit == "count":
            if raw.compound_noun:
                noun = _plural(raw.compound_noun)
                phrase_end = raw.end + len(raw.compound_noun) + 1
            elif raw.times:
                noun = "times"
            else:
                noun, phrase_end = counted_noun(text, raw.noun_pos)
            if (
                raw.bare_words
                and (noun is None or abs(raw.value) == 1)
                and raw.qualifier
                in (
                    "exact",
                    "approx",
                )
            ):
                # "one of the", "three said": a small number word alone is not a claim.
                continue
        s_start, s_end = ctx.sentence_span(raw.start)
        phrase = text[raw.end : phrase_end] if noun and noun != "times" else None
        figures.append(_build(text, raw, noun, phrase, ctx, (s_start, s_end), settings, published))
    return tuple(_link_equivalents(text, figures))


def _is_version(text: str, raw: Raw, settings: FigureSettings) -> bool:
    if raw.unit not in ("count",):
        return False
    before = text[max(0, raw.start - 25) : raw.start]
    if settings.versioned_re.search(before) or _NAME_DASH.search(before):
        return True
    if raw.size_suffix:
        # "72B", "405B" with no currency: a model's size class written as part of its name.
        return True
    # "Gemini 2.5 Pro", "Qwen 3 Max": a capitalised edition word right after the number.
    return (
        re.match(
            r" (?:Pro|Max|Ultra|Plus|Mini|Turbo|Flash|Omni|Coder|Lite|Nano|VL|Instruct)\b",
            text[raw.end : raw.end + 12],
        )
        is not None
    )


def _build(
    text: str,
    raw: Raw,
    noun: str | None,
    noun_phrase: str | None,
    ctx: TextContext,
    sentence: tuple[int, int],
    settings: FigureSettings,
    published: date | None,
) -> Figure:
    kind = unit_kind(raw.unit)
    value_usd: float | None = None
    if kind == "money":
        rate = settings.usd_rate(raw.unit, published)
        if rate is not None:
            value_usd = raw.value * rate
            if not math.isfinite(value_usd):
                value_usd = None
    qualifier: Qualifier = raw.qualifier  # type: ignore[assignment]
    return Figure(
        text=text[raw.start : raw.end],
        start=raw.start,
        end=raw.end,
        sentence=text[sentence[0] : sentence[1]].strip(),
        value=raw.value,
        unit=raw.unit,
        noun=noun,
        qualifier=qualifier,
        low=raw.low,
        high=raw.high,
        subject=ctx.subject(raw.start, raw.end),
        metric=ctx.metric(raw.start, raw.end, kind, noun_phrase, raw.value),
        period=ctx.period(raw.start, raw.end),
        value_usd=value_usd,
    )


def _link_equivalents(text: str, figures: list[Figure]) -> list[Figure]:
    """Point a conversion written beside a money figure at it: the dollar figure points at the
    original ("380 billion yuan (~$53 billion)"), and shares its subject, metric and period."""
    out = list(figures)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if unit_kind(a.unit) != "money" or unit_kind(b.unit) != "money" or a.unit == b.unit:
            continue
        gap = text[a.end : b.start]
        if len(gap) > 40 or any(ch.isdigit() or ch in ".;" for ch in gap):
            continue
        if not ("(" in gap or re.search(r"(?i)\b(?:or|equivalent|equal|worth)\b|[—–]", gap)):
            continue
        if not _EQUIV_GAP.fullmatch(gap) and "(" not in gap:
            continue
        original, convert = (i + 1, i) if a.unit == "USD" and b.unit != "USD" else (i, i + 1)
        src = out[original]
        dst = out[convert]
        if dst.equivalent_of is not None or src.equivalent_of is not None:
            continue
        out[convert] = _replace(
            dst,
            equivalent_of=original,
            metric=src.metric or dst.metric,
            subject=src.subject or dst.subject,
            period=src.period or dst.period,
        )
    return out


def _replace(fig: Figure, **changes: object) -> Figure:
    from dataclasses import replace

    return replace(fig, **changes)  # type: ignore[arg-type]
