"""extract_figures: every numeric claim in a text as a :class:`Figure`. Pure; never raises."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Final

from ingest.figures.context import TextContext, counted_noun
from ingest.figures.core import Hints
from ingest.figures.model import Figure, FigureSettings, Qualifier, unit_kind
from ingest.figures.numbers import CJK_CHARS
from ingest.figures.scan import Raw, scan

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_MONTHS: Final[frozenset[str]] = frozenset(
    """Jan Jan. January Feb Feb. February Mar Mar. March Apr Apr. April May June Jun Jun. July Jul
    Jul. Aug Aug. August Sep Sep. Sept Sept. September Oct Oct. October Nov Nov. November Dec Dec.
    December""".split()
)
_MONTHS_LOWER: Final[frozenset[str]] = frozenset(m.lower() for m in _MONTHS) - {"may"}
# A word right before the number that makes it a label, not a quantity ("No. 1", "Top 10",
# "Phase 2", "HKEX: 9988").
_LABEL_WORDS: Final[frozenset[str]] = frozenset(
    """no. # number top phase stage level tier form section article chapter page figure table
    round season episode gen item rule line room gate route hkex: hk: sehk: nyse: nasdaq: sse:
    szse: tse: krx: code""".split()
)
_DAY_OR_YEAR: Final = re.compile(r"\d{1,2}|\d{4}")
_CLOCK_WORDS: Final[frozenset[str]] = frozenset({"a.m.", "p.m.", "am", "pm", "a.m", "p.m"})
# Checked on the whitespace-free token around the number: URL, e-mail, domain, time of day,
# numeric date, dashed phone number, exchange suffix ("9988.HK").
_TOKEN_BLOCK: Final = re.compile(
    r"(?i:https?://|ftp://|www\.)|@|\.(?:com|org|net|ai|io|cn|hk|co|gov|edu)(?:\b|/)"
    r"|\d{1,2}:\d{2}|^\(?\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}[.,;:)]?$|^(?:19|20)\d{2}-[01]\d[.,;:)]?$"
    r"|^\(?\+?\d{1,4}\)?(?:[-./]\(?\d{2,4}\)?){2,}[.,;:)]?$|\.(?:HK|SS|SZ|KS|T)\b"
)
_SPACED_PHONE: Final = re.compile(
    r"(?<![\w,.])\+?\(?\d{1,4}\)?(?:[ \-/.]\(?\d{2,4}\)?){2,4}(?![\w%]|[.,]\d)"
)
# Text that tells "¥" means yuan rather than yen.
_CHINA: Final = re.compile(
    r"(?i)\b(?:china|chinese|yuan|rmb|renminbi|beijing|shanghai|hangzhou|shenzhen|alibaba|tencent"
    r"|baidu|bytedance)\b"
)
_JAPAN: Final = re.compile(
    r"(?i)\b(?:japan|japanese|yen|tokyo|osaka|nikkei|topix|toyota|sony|softbank|nintendo"
    r"|honda|nissan|hitachi|panasonic|mitsubishi)\b"
)
# "Rs" is the Indian rupee unless the text is about Pakistan, Sri Lanka or Nepal.
_RUPEE_LANDS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("INR", re.compile(r"\b(?:India|Indian|Mumbai|Delhi|Bengaluru|Sensex|Nifty|RBI)\b")),
    ("PKR", re.compile(r"\b(?:Pakistan|Pakistani|Karachi|Lahore|Islamabad)\b")),
    ("LKR", re.compile(r"\b(?:Sri Lanka|Sri Lankan|Colombo)\b")),
    ("NPR", re.compile(r"\b(?:Nepal|Nepali|Nepalese|Kathmandu)\b")),
)
_EQUIV_WORD: Final = re.compile(r"(?i)\b(?:or|equivalent|equal|worth)\b|[—–]")
_EDITION: Final = re.compile(
    r" (?:Pro|Max|Ultra|Plus|Mini|Turbo|Flash|Omni|Coder|Lite|Nano|VL|Instruct)\b"
)
_EQUIV_GAP: Final = re.compile(
    r"[\s(,—–-]*(?:[a-z]+[\s—–-]+)?(?:or\s+|equivalent\s+to\s+|equal\s+to\s+|worth\s+|i\.e\.\s+)?"
    r"[\s(]*\Z"
)


# "Qwen2.5-72B", "GPT-4-32k": a number after a hyphen that follows a name containing letters.
_NAME_DASH: Final = re.compile(r"[A-Za-z][\w.]*-\Z")


def _yen(text: str) -> str:
    if "¥" not in text and "￥" not in text:
        return "JPY"  # unused: no yen sign to resolve
    china = len(_CHINA.findall(text, 0, 20000))
    japan = len(_JAPAN.findall(text, 0, 20000))
    return "CNY" if china > japan else "JPY"


# Text about sterling, where "412p" is 412 pence.
_STERLING: Final = re.compile(r"£|\b(?:pence|sterling|FTSE|LSE|London|UK|Britain|British)\b")
# Written to start with the literal "p", which the regex engine scans for fast.
_GLUED_P: Final = re.compile(r"p(?<=\dp)\b")
_RS_AMOUNT: Final = re.compile(r"Rs\.?\s?\d")


def _rupee(text: str) -> str:
    if _RS_AMOUNT.search(text) is None:
        return "INR"  # unused: no "Rs" amount to resolve
    counts = [(len(rx.findall(text, 0, 20000)), code) for code, rx in _RUPEE_LANDS]
    best = max(counts, key=lambda c: c[0])
    return best[1] if best[0] > counts[0][0] else "INR"


def _pence(text: str) -> bool:
    return _GLUED_P.search(text) is not None and _STERLING.search(text) is not None


_R_CENTS: Final = re.compile(r"R\d+\.\d\d")  # starts with a literal: a fast first look
_SOUTH_AFRICA: Final = re.compile(
    r"\b(?:South Africa|South African|rand|Johannesburg|JSE|Pretoria|Cape Town)\b"
)


def _hints(text: str) -> Hints:
    """What the text says about "¥", "Rs", "p" and "R" (each looked for only when present)."""
    return Hints(
        yen=_yen(text),
        rupee=_rupee(text),
        pence=_pence(text),
        rand=_R_CENTS.search(text) is not None and _SOUTH_AFRICA.search(text) is not None,
    )


_CJK_BREAK_CLASS = "[" + CJK_CHARS + "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]"
_CJK_BREAK: Final = re.compile(_CJK_BREAK_CLASS)
_CJK_LAST_BREAK: Final = re.compile(".*" + _CJK_BREAK_CLASS, re.S)


def _token_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The whitespace-free run around text[start:end] (a URL can be long: find, don't walk)."""
    # The nearest space first, then a line break or tab only between it and the number: an
    # unbounded search for a tab a text does not have would read the rest of it per figure.
    space = text.rfind(" ", 0, start)
    lo = max(space, text.rfind("\n", space + 1, start), text.rfind("\t", space + 1, start)) + 1
    hi = text.find(" ", end)
    if hi < 0:
        hi = len(text)
    for sep in "\n\t":
        i = text.find(sep, end, hi)
        if i >= 0:
            hi = i
    if not text.isascii() and not text[lo:hi].isascii():
        # Chinese has no spaces: a time or URL elsewhere in the sentence is not this number's.
        last = _CJK_LAST_BREAK.match(text, lo, start)
        if last is not None:
            lo = last.end()
        nxt = _CJK_BREAK.search(text, end, hi)
        if nxt is not None:
            hi = nxt.start()
    return lo, hi


def _is_blocked(text: str, start: int, end: int, unit: str) -> bool:
    """True when the number is part of a URL, date, time, phone number, label or stock code."""
    lo, hi = _token_bounds(text, start, end)
    if _TOKEN_BLOCK.search(text, lo, hi):
        return True
    before = text[max(0, lo - 12) : lo].split()
    prev = before[-1] if before else ""
    if prev in _MONTHS or (unit == "count" and prev.lower() in _LABEL_WORDS):
        return True
    if len(before) >= 2 and f"{before[-2]} {prev}".lower() == "stock code":
        return True
    after = text[hi : hi + 12].split()
    nxt = after[0].rstrip(".,;:") if after else ""
    if (nxt in _MONTHS or nxt.lower() in _MONTHS_LOWER) and _DAY_OR_YEAR.fullmatch(
        text, start, end
    ):
        # "24 September", "2025 March"; not "$ 37,305.97 february expenses".
        return True
    if after and after[0].lower() in _CLOCK_WORDS:
        return True
    window_lo = max(0, start - 20)
    for m in _SPACED_PHONE.finditer(text, window_lo, min(len(text), end + 20)):
        if m.start() < end and m.end() > start and m.group().count(" ") + m.group().count("-") >= 2:
            return True
    return False


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
    raws = scan(text, _hints(text))
    if not raws:
        return ()
    ctx = TextContext.build(text, settings)
    figures: list[Figure] = []
    for raw in raws:
        if _is_blocked(text, raw.core_start, raw.core_end, raw.unit):
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
        # "72B", "405B" with no currency: a model's size class written as part of its name,
        # unless a plural counted noun follows ("2B users", "70B parameters").
        return not _size_counts_noun(text, raw)
    # "Gemini 2.5 Pro", "Qwen 3 Max": a capitalised edition word right after the number.
    return _EDITION.match(text, raw.end) is not None


# Nouns that make "7B" a model's size class, not a count ("the 7B models", "32B variants").
_SIZE_CLASS_NOUNS: Final[frozenset[str]] = frozenset(
    "model models variant variants version versions checkpoint checkpoints weights".split()
)


def _size_counts_noun(text: str, raw: Raw) -> bool:
    """True when a glued size suffix ("2B") counts a plural noun written after it."""
    if raw.compound_noun:
        return raw.compound_noun.lower() not in _SIZE_CLASS_NOUNS
    noun, phrase_end = counted_noun(text, raw.noun_pos)
    if noun is None or not noun.endswith("s") or noun in _SIZE_CLASS_NOUNS:
        return False
    phrase = text[raw.end : phrase_end].lower()
    return not any(w in _SIZE_CLASS_NOUNS for w in phrase.split())


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
        if not ("(" in gap or _EQUIV_WORD.search(gap)):
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
