"""decide(): new, consistent, changed, conflict, stale; revision_changes(): revised figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest.figures import Figure
from ingest.findings import FindingSettings
from ingest.findings.claims import ClaimKey, interval_of, normalise_period
from ingest.findings.compare import (
    KnownClaim,
    KnownValue,
    Observation,
    ValueStatus,
    VerdictKind,
    decide,
    revision_changes,
)
from ingest.findings.model import FigureRef

S = FindingSettings()
T0 = datetime(2026, 9, 24, 8, tzinfo=UTC)


def obs(
    text: str, value: float, *, source: str = "Ledger", hours: float = 0, unit: str = "CNY",
    period: str | None = None, metric: str = "ai_investment_commitment",
) -> Observation:  # fmt: skip
    """An observation of a figure stated by ``source`` ``hours`` after T0."""
    usd = value * 0.1396 if unit == "CNY" else value if unit == "USD" else None
    figure = Figure(
        text=text, start=0, end=len(text), sentence=f"It said {text}.", value=value, unit=unit,
        subject="Alibaba", metric=metric, period=period, value_usd=usd,
    )  # fmt: skip
    when = T0 + timedelta(hours=hours)
    ref = FigureRef(figure, 1, f"https://{source.lower()}.example/a", source, when)
    key = ClaimKey("Alibaba", metric, normalise_period(period))
    return Observation(ref, key, interval_of(figure, S), source, when)


def known(o: Observation, status: ValueStatus = "current", vid: int = 1,
          sources: tuple[str, ...] = ()) -> KnownValue:  # fmt: skip
    return KnownValue(vid, o.ref, o.interval, sources or (o.source,), o.when, o.when, status)


def claim(*values: KnownValue, period: str = "") -> KnownClaim:
    key = ClaimKey("Alibaba", "ai_investment_commitment", period)
    return KnownClaim(1, key, values, max(v.as_of for v in values))


FIRST = obs("380 billion yuan", 380e9)


def test_first_value_is_new() -> None:
    """With no claim for the key the figure is new."""
    assert decide(FIRST, [], S).kind is VerdictKind.NEW


def test_repeat_in_other_currency_is_consistent() -> None:
    """$53 billion from another outlet corroborates 380 billion yuan."""
    verdict = decide(obs("$53 billion", 53e9, source="Wire", unit="USD", hours=2),
                     [claim(known(FIRST))], S)  # fmt: skip
    assert verdict.kind is VerdictKind.CONSISTENT
    assert verdict.matched is not None and verdict.matched.id == 1


def test_later_different_value_is_changed() -> None:
    """480 billion yuan three weeks later changes the claim, carrying the previous value."""
    verdict = decide(obs("480 billion yuan", 480e9, source="Wire", hours=500),
                     [claim(known(FIRST))], S)  # fmt: skip
    assert verdict.kind is VerdictKind.CHANGED
    assert [v.ref.figure.text for v in verdict.against] == ["380 billion yuan"]


def test_disagreement_within_window_is_conflict() -> None:
    """Another source with a different value within 48 h is a conflict, not a change."""
    other = obs("480 billion yuan", 480e9, source="Wire", hours=47)
    assert decide(other, [claim(known(FIRST))], S).kind is VerdictKind.CONFLICT
    narrow = FindingSettings(conflict_window_hours=24)
    assert decide(other, [claim(known(FIRST))], narrow).kind is VerdictKind.CHANGED


def test_same_source_within_window_is_changed() -> None:
    """A source changing its own number soon after is a change (it corrected itself)."""
    again = obs("480 billion yuan", 480e9, source="Ledger", hours=3)
    assert decide(again, [claim(known(FIRST))], S).kind is VerdictKind.CHANGED


def test_much_older_report_is_stale() -> None:
    """A report older than the current value by more than the window is history: stale."""
    old = obs("300 billion yuan", 300e9, source="Archive", hours=-100)
    assert decide(old, [claim(known(FIRST))], S).kind is VerdictKind.STALE


def test_value_agreeing_with_contender_corroborates_it() -> None:
    """After a conflict, a third source stating the contending value corroborates it."""
    contender = known(obs("480 billion yuan", 480e9, source="Wire", hours=5), "contender", vid=2)
    verdict = decide(obs("RMB480bn", 480e9, source="Third", hours=6),
                     [claim(known(FIRST), contender)], S)  # fmt: skip
    assert verdict.kind is VerdictKind.CONSISTENT
    assert verdict.matched is not None and verdict.matched.id == 2


def test_conflict_lists_current_then_contenders() -> None:
    """A third disagreeing value in the window lists the current value first, then contenders."""
    contender = known(obs("480 billion yuan", 480e9, source="Wire", hours=5), "contender", vid=2)
    verdict = decide(obs("600 billion yuan", 600e9, source="Third", hours=6),
                     [claim(known(FIRST), contender)], S)  # fmt: skip
    assert verdict.kind is VerdictKind.CONFLICT
    assert [v.id for v in verdict.against] == [1, 2]


def test_changed_carries_previous_values_newest_first() -> None:
    """A change lists the current value, then earlier values, newest first, up to max_previous."""
    older = known(obs("300 billion yuan", 300e9, hours=-900), "previous", vid=3)
    verdict = decide(obs("480 billion yuan", 480e9, source="Wire", hours=500),
                     [claim(known(FIRST), older)], S)  # fmt: skip
    assert [v.id for v in verdict.against] == [1, 3]
    short = FindingSettings(max_previous=1)
    verdict = decide(obs("480 billion yuan", 480e9, source="Wire", hours=500),
                     [claim(known(FIRST), older)], short)  # fmt: skip
    assert [v.id for v in verdict.against] == [1]


def test_other_period_is_another_claim() -> None:
    """A figure for another stated period starts a new claim; without a period it is compared."""
    quarter = claim(known(obs("$5 billion", 5e9, unit="USD", period="in the june quarter")),
                    period="june quarter")  # fmt: skip
    other = obs("$9 billion", 9e9, unit="USD", period="in the september quarter", hours=900)
    assert decide(other, [quarter], S).kind is VerdictKind.NEW
    bare = obs("$9 billion", 9e9, unit="USD", hours=900)
    assert decide(bare, [quarter], S).kind is VerdictKind.CHANGED


def test_exact_period_claim_preferred() -> None:
    """With a period-less and a same-period claim, a disagreeing figure is judged on the latter."""
    general = KnownClaim(7, ClaimKey("Alibaba", "ai_investment_commitment", ""),
                         (known(FIRST, vid=70),), T0 + timedelta(hours=10))  # fmt: skip
    dated = obs("380 billion yuan", 380e9, period="over three years")
    specific = KnownClaim(8, dated.key, (known(dated, vid=80),), T0)
    verdict = decide(obs("480 billion yuan", 480e9, period="over three years", hours=900),
                     [general, specific], S)  # fmt: skip
    assert verdict.claim is not None and verdict.claim.id == 8


def test_revision_pairs_changed_removed_added() -> None:
    """A corrected figure is changed, a dropped one removed, an extra one added, the rest kept."""
    keep = obs("380 billion yuan", 380e9)
    growth_old = obs("26%", 26, unit="%", metric="cloud_revenue_growth")
    growth_new = obs("28%", 28, unit="%", metric="cloud_revenue_growth")
    users = obs("300 million", 3e8, unit="count", metric="users")
    models = obs("200", 200, unit="count", metric="derivative_models")
    diff = revision_changes([keep, growth_old, users], [keep, growth_new, models], S)
    assert [(c.old.ref.figure.text, c.new.ref.figure.text if c.new else None)
            for c in diff.changes] == [("26%", "28%"), ("300 million", None)]  # fmt: skip
    assert [o.ref.figure.text for o in diff.added] == ["200"]
    assert [o.ref.figure.text for o in diff.unchanged] == ["380 billion yuan"]


def test_revision_with_same_figures_changes_nothing() -> None:
    """Two revisions with the same figures (reworded) give no change."""
    diff = revision_changes([FIRST], [obs("RMB380bn", 380e9)], S)
    assert diff.changes == () and diff.added == ()
