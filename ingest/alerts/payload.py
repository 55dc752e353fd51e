"""What a message looks like on the wire: webhook JSON, its Standard Webhooks signature, Slack
text. Pure functions; the email rendering is in :mod:`ingest.alerts.email_render`.

Standard Webhooks (https://www.standardwebhooks.com/, spec v1): the signed content is
``{webhook-id}.{webhook-timestamp}.{body}``; the key is the base64 part of the ``whsec_`` secret;
the signature header is ``v1,<base64 HMAC-SHA256>``. The body is the same on every retry and only
``webhook-timestamp`` (and so the signature) changes, which lets receivers both reject replays
(timestamp tolerance) and drop duplicates (same ``webhook-id``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from ingest import __version__
from ingest.alerts.settings import secret_key

USER_AGENT = f"ingest/{__version__} (alerts)"
TEST_TYPE = "ingest.test"
DIGEST_TYPE = "figure.digest"


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one target: a single finding, a digest of several, or a test."""

    id: str  # webhook-id / Message-ID: the same on every retry
    type: str  # figure.new | figure.changed | figure.conflict | figure.revised | figure.digest
    timestamp: datetime  # when the alert was made (digest: when it was formed)
    findings: tuple[Mapping[str, Any], ...]

    @property
    def is_digest(self) -> bool:
        return self.type == DIGEST_TYPE


def event_type(kind: str) -> str:
    return f"figure.{kind}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def payload(message: Message) -> dict[str, Any]:
    """The webhook JSON document: ``type``, ``timestamp``, ``data``."""
    data: Any
    if message.type == TEST_TYPE:
        data = {"message": "Test alert from ingest: this target is configured correctly."}
    elif message.is_digest:
        data = {"count": len(message.findings), "alerts": list(message.findings)}
    else:
        data = dict(message.findings[0])
    return {"type": message.type, "timestamp": _iso(message.timestamp), "data": data}


def body_bytes(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def webhook_headers(
    message: Message, body: bytes, *, secret: str | None, now: datetime
) -> dict[str, str]:
    """The headers of one delivery attempt (``webhook-timestamp`` is the attempt's time)."""
    timestamp = int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message.id,
        "webhook-timestamp": str(timestamp),
    }
    if secret:
        headers["webhook-signature"] = sign(secret, message.id, timestamp, body)
    return headers


# -- human-readable text (Slack, email, CLI) ------------------------------------------------


def source_name(record: Mapping[str, Any] | None) -> str:
    if not record:
        return "?"
    if record.get("source"):
        return str(record["source"])
    host = urlsplit(str(record.get("article_url") or "")).hostname
    return host or "?"


def when(record: Mapping[str, Any] | None) -> str:
    """``14:02 UTC, 3 Nov`` from the record's publication time, or ``""``."""
    raw = (record or {}).get("published")
    if not raw:
        return ""
    try:
        moment = datetime.fromisoformat(str(raw)).astimezone(UTC)
    except ValueError:
        return ""
    return f"{moment:%H:%M} UTC, {moment.day} {moment:%b}"


def value_text(record: Mapping[str, Any] | None) -> str:
    return str(record.get("text")) if record else "(removed)"


def subject_line(finding: Mapping[str, Any]) -> str:
    """``Alibaba: AI infrastructure commitment (FY2026)``."""
    label = finding.get("metric_label") or finding.get("metric") or "figure"
    subject = finding.get("subject")
    period = finding.get("period")
    head = f"{subject}: {label}" if subject else str(label)
    return f"{head} ({period})" if period else head


def previous_values(finding: Mapping[str, Any]) -> str:
    seen: list[str] = []
    for record in finding.get("previous") or ():
        text = value_text(record)
        if text not in seen:
            seen.append(text)
    return " / ".join(seen) or "?"


def headline(finding: Mapping[str, Any]) -> str:
    """One line saying what moved: ``Alibaba: AI capex: 380 billion yuan -> 480 billion yuan,
    Reuters, 14:02 UTC, 3 Nov``."""
    kind = finding.get("kind")
    figure = finding.get("figure")
    where = ", ".join(p for p in (source_name(figure), when(figure)) if p and p != "?")
    tail = f", {where}" if where else ""
    head = subject_line(finding)
    if kind == "new":
        return f"New: {head}: {value_text(figure)}{tail}"
    if kind == "conflict":
        return (
            f"Sources disagree on {head}: {previous_values(finding)} vs {value_text(figure)}{tail}"
        )
    prefix = "Revised: " if kind == "revised" else ""
    change = finding.get("relative_change")
    delta = f" ({change:+.1%})" if isinstance(change, int | float) else ""
    return f"{prefix}{head}: {previous_values(finding)} -> {value_text(figure)}{delta}{tail}"


def quotes(finding: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(label, source, sentence) for the previous values then the new one."""
    out = []
    for record in finding.get("previous") or ():
        out.append(("before", source_name(record), str(record.get("sentence") or "")))
    figure = finding.get("figure")
    if figure:
        out.append(("now", source_name(figure), str(figure.get("sentence") or "")))
    return out


def text_lines(finding: Mapping[str, Any]) -> list[str]:
    lines = [headline(finding)]
    for label, source, sentence in quotes(finding):
        if sentence:
            lines.append(f'  {label}, {source}: "{sentence}"')
    if finding.get("article_url"):
        lines.append(f"  {finding['article_url']}")
    return lines


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn treats these three as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: Message) -> dict[str, Any]:
    """Slack-compatible ``{"text": ...}`` (also accepted by Mattermost, Rocket.Chat, Zulip)."""
    if message.type == TEST_TYPE:
        return {"text": "Test alert from ingest: this target is configured correctly."}
    lines: list[str] = []
    if message.is_digest:
        lines.append(f"*{len(message.findings)} figure alerts*")
    for finding in message.findings:
        lines.extend(_slack_escape(line) for line in text_lines(finding))
    return {"text": "\n".join(lines)}


def digest_summary(findings: Sequence[Mapping[str, Any]]) -> str:
    labels: list[str] = []
    for f in findings:
        label = str(f.get("metric_label") or f.get("metric") or "figure")
        if label not in labels:
            labels.append(label)
    shown = ", ".join(labels[:3]) + (", …" if len(labels) > 3 else "")
    return f"{len(findings)} figure alerts: {shown}"
