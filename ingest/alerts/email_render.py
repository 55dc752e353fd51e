"""Alert emails: multipart text + HTML, a table of old -> new values with sources and quoted
sentences; digests grouped by metric. Pure: builds an :class:`email.message.EmailMessage`."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from ingest.alerts.payload import (
    TEST_TYPE,
    Message,
    digest_summary,
    headline,
    previous_values,
    source_name,
    subject_line,
    text_lines,
    value_text,
    when,
)

_TEST_TEXT = "Test alert from ingest: this target is configured correctly."
_CELL = 'style="border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top"'


def group_by_metric(
    findings: Sequence[Mapping[str, Any]],
) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Findings grouped under their metric label, groups in order of first appearance."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for f in findings:
        label = str(f.get("metric_label") or f.get("metric") or "Other figures")
        groups.setdefault(label, []).append(f)
    return list(groups.items())


def _row(label: str, record: Mapping[str, Any] | None) -> str:
    e = html.escape
    if record is None:
        cells = [e(label), "(removed)", "", "", ""]
    else:
        url = str(record.get("article_url") or "")
        source = e(source_name(record))
        if url.startswith(("http://", "https://")):
            source = f'<a href="{e(url)}">{source}</a>'
        cells = [
            e(label),
            f"<b>{e(value_text(record))}</b>",
            source,
            e(when(record)),
            f"<q>{e(str(record.get('sentence') or ''))}</q>",
        ]
    return "<tr>" + "".join(f"<td {_CELL}>{c}</td>" for c in cells) + "</tr>"


def finding_table(finding: Mapping[str, Any]) -> str:
    """An HTML table: each previous value, then the new one, with source, time and sentence."""
    head = "".join(
        f"<th {_CELL}>{h}</th>" for h in ("", "Value", "Source", "Published", "Sentence")
    )
    rows = [_row("before", r) for r in finding.get("previous") or ()]
    rows.append(_row("now", finding.get("figure")))
    return (
        f"<p><b>{html.escape(headline(finding))}</b></p>"
        f'<table style="border-collapse:collapse">'
        f"<tr>{head}</tr>{''.join(rows)}</table>"
    )


def render_html(findings: Sequence[Mapping[str, Any]], *, digest: bool) -> str:
    parts = ['<html><body style="font-family:sans-serif">']
    if digest:
        for label, group in group_by_metric(findings):
            parts.append(f"<h2>{html.escape(label)}</h2>")
            parts.extend(finding_table(f) for f in group)
    else:
        parts.extend(finding_table(f) for f in findings)
    parts.append("<p style='color:#888'>Sent by ingest.</p></body></html>")
    return "\n".join(parts)


def render_text(findings: Sequence[Mapping[str, Any]], *, digest: bool) -> str:
    lines: list[str] = []
    if digest:
        for label, group in group_by_metric(findings):
            lines += [label, "=" * len(label), ""]
            for f in group:
                lines += [*text_lines(f), ""]
    else:
        for f in findings:
            lines += [*text_lines(f), ""]
    return "\n".join(lines).rstrip() + "\n"


def email_subject(message: Message) -> str:
    if message.type == TEST_TYPE:
        return "[ingest] test alert"
    if message.is_digest:
        return f"[ingest] {digest_summary(message.findings)}"
    finding = message.findings[0]
    line = headline(finding)
    return f"[ingest] {line if len(line) <= SUBJECT_MAX else short_headline(finding)}"


# Longer subjects are cut by mail clients (and RFC 5322 advises lines under 78 characters).
SUBJECT_MAX = 150


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "\u2026"


def short_headline(finding: Mapping[str, Any], most: int = SUBJECT_MAX) -> str:
    """The headline within ``most`` characters, what moved first: the kind and the values
    (each value cut to a bound, so they always fit), then subject, metric and period, cut at
    the end when they do not fit."""
    kind = finding.get("kind")
    new = _cut(value_text(finding.get("figure")), 40)
    if kind == "new":
        moved = f"New: {new}"
    else:
        old = _cut(previous_values(finding), 50)
        if kind == "conflict":
            moved = f"Sources disagree: {old} vs {new}"
        else:
            change = finding.get("relative_change")
            delta = f" ({change:+.1%})" if isinstance(change, int | float) else ""
            moved = f"{'Revised' if kind == 'revised' else 'Changed'}: {old} -> {new}{delta}"
    return _cut(f"{moved} \u2014 {subject_line(finding)}", most)


def render_email(message: Message, *, sender: str, to: Sequence[str]) -> EmailMessage:
    """The whole email. Its Message-ID comes from the message id, so a resent alert is
    recognisably the same mail."""
    mail = EmailMessage()
    mail["Subject"] = email_subject(message)
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Date"] = format_datetime(message.timestamp)
    mail["Message-ID"] = f"<{message.id}@ingest.alerts>"
    mail["X-Ingest-Event"] = message.type
    if message.type == TEST_TYPE:
        mail.set_content(_TEST_TEXT + "\n")
        mail.add_alternative(f"<html><body><p>{_TEST_TEXT}</p></body></html>", subtype="html")
        return mail
    mail.set_content(render_text(message.findings, digest=message.is_digest))
    mail.add_alternative(render_html(message.findings, digest=message.is_digest), subtype="html")
    return mail
