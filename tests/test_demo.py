"""``ingest demo`` runs the alerts scenario offline; its receiver verifies signatures itself."""

from __future__ import annotations

import os

from alerts_support import SECRET, verify_signature
from click.testing import CliRunner

import ingest.cli.commands_demo  # noqa: F401  (registers the command)
from ingest.alerts.payload import sign
from ingest.cli import main
from ingest.cli.commands_demo import SECRET_ENV
from ingest_demo.receiver import new_secret, summary, verify


def test_demo_shows_new_no_repeat_changed_revised() -> None:
    """The demo prints figure.new, nothing for repeats, figure.changed, then figure.revised."""
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    step = {n: out.index(f"\n{n}. ") for n in range(1, 5)}
    first, repeats, change, revision = (
        out[step[1] : step[2]], out[step[2] : step[3]], out[step[3] : step[4]], out[step[4] :]
    )  # fmt: skip
    assert first.count("received ") == 1 and "received figure.new" in first
    assert "380 billion yuan (Harbour Ledger)" in first
    assert "no alert" in repeats and "received" not in repeats
    assert "received figure.changed" in change
    assert "380 billion yuan -> 480 billion yuan (Harbour Ledger)" in change
    assert "received figure.revised" in revision
    assert "39.8 billion yuan -> 38.9 billion yuan (Harbour Ledger)" in revision
    alerts = out.count("received figure.")
    assert out.count("signature verified: yes") == alerts and "verified: NO" not in out
    assert SECRET_ENV not in os.environ, "the generated secret does not outlive the demo"


def test_demo_receiver_verification_matches_the_spec() -> None:
    """The demo's verifier accepts what ingest signs, agrees with the tests' own, rejects edits."""
    headers = {"webhook-id": "msg_1", "webhook-timestamp": "1700000000"}
    body = b'{"type":"figure.new"}'
    headers["webhook-signature"] = sign(SECRET, "msg_1", 1700000000, body)
    assert verify(SECRET, headers, body) and verify_signature(SECRET, headers, body)
    assert not verify(SECRET, headers, body + b" ")
    assert not verify(new_secret(), headers, body)


def test_summary_reads_old_to_new_with_source() -> None:
    """A finding is summarised as 'label: old -> new (source)'; a new one without the arrow."""
    finding = {
        "subject": "Alibaba", "metric_label": "AI capex", "period": None,
        "figure": {"text": "480 billion yuan", "source": "Harbour Ledger"},
        "previous": [{"text": "380 billion yuan"}],
    }  # fmt: skip
    assert (
        summary(finding)
        == "Alibaba: AI capex: 380 billion yuan -> 480 billion yuan (Harbour Ledger)"
    )
    assert (
        summary({**finding, "previous": []})
        == "Alibaba: AI capex: 480 billion yuan (Harbour Ledger)"
    )
