"""Alert email subjects: a long one keeps what moved (the kind and the values) first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ingest.alerts.email_render import SUBJECT_MAX, email_subject, render_email
from ingest.alerts.payload import Message, headline
from ingest.alerts.synthetic import synthetic_finding

T0 = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
LONG_SUBJECT = "Alibaba Group Holding Limited and its cloud intelligence division " * 3


def long_finding(kind: str) -> dict[str, Any]:
    finding = synthetic_finding(1, kind=kind, now=T0, metric_index=0)
    finding["subject"] = LONG_SUBJECT.strip()
    finding["period"] = "the three fiscal years ending March 2028"
    return finding


def subject(finding: dict[str, Any]) -> str:
    message = Message(id="msg_1", type=f"figure.{finding['kind']}", timestamp=T0,
                      findings=(finding,))  # fmt: skip
    return email_subject(message)


def test_long_changed_subject_keeps_kind_and_values_first() -> None:
    """A change whose headline passes 150 characters says "Changed: old -> new (+x%)" first,
    then as much of subject, metric and period as fits, in at most 150 characters."""
    got = subject(long_finding("changed"))
    assert got.startswith("[ingest] Changed: 381 billion yuan -> 481 billion yuan (+26.2%) \u2014 ")
    assert "Alibaba Group" in got and got.endswith("\u2026")
    assert len(got) <= len("[ingest] ") + SUBJECT_MAX


def test_long_subjects_of_each_kind() -> None:
    """New, conflict and revised findings keep their own kind word and values."""
    assert subject(long_finding("new")).startswith("[ingest] New: 481 billion yuan \u2014 Alibaba")
    assert subject(long_finding("conflict")).startswith(
        "[ingest] Sources disagree: 381 billion yuan vs 481 billion yuan \u2014 "
    )
    assert subject(long_finding("revised")).startswith("[ingest] Revised: 381 billion yuan -> ")


def test_short_subject_is_the_headline() -> None:
    """A headline within the bound is the subject as it is (source and time included)."""
    finding = synthetic_finding(1, now=T0, metric_index=0)
    assert subject(finding) == (
        "[ingest] Alibaba: AI infrastructure commitment: 381 billion yuan -> 481 billion yuan "
        "(+26.2%), Example Wire, 13:55 UTC, 3 Nov"
    )


@given(
    st.sampled_from(["new", "changed", "conflict", "revised"]),
    st.text(min_size=1, max_size=400),
    st.text(min_size=1, max_size=300),
    st.lists(st.text(min_size=1, max_size=200), min_size=1, max_size=6),
)
def test_any_subject_fits_and_leads_with_the_values(
    kind: str, name: str, value: str, previous: list[str]
) -> None:
    """Whatever the lengths, the subject fits the bound and, when the headline does not, it
    starts with the kind and carries the new value (cut to 40 characters at most)."""
    finding = synthetic_finding(1, kind=kind, now=T0, metric_index=0)
    finding["subject"] = name
    finding["figure"]["text"] = value
    finding["previous"] = [{**finding["figure"], "text": p} for p in previous]
    got = subject(finding)
    assert len(got) <= len("[ingest] ") + SUBJECT_MAX
    if len(headline(finding)) > SUBJECT_MAX:
        first = {"new": "New: ", "changed": "Changed: ", "conflict": "Sources disagree: ",
                 "revised": "Revised: "}[kind]  # fmt: skip
        assert got.startswith(f"[ingest] {first}")
        assert value[:39].rstrip() in got


def test_the_mail_carries_the_short_subject() -> None:
    """The rendered email's Subject header is the short form."""
    message = Message(id="msg_1", type="figure.changed", timestamp=T0,
                      findings=(long_finding("changed"),))  # fmt: skip
    mail = render_email(message, sender="a@example.org", to=["b@example.org"])
    assert str(mail["Subject"]).startswith("[ingest] Changed: 381 billion yuan -> ")
