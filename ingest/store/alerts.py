"""The alert outbox: one row per alerted finding, one delivery row per (alert, target), digests.

An alert is written in the same unit of work as its finding (``record_alert`` joins the caller's
unit), so a crash either keeps both or neither. Its message id (``uid``) is drawn once and
stored, so every retry, restart and process sends it under the same ``webhook-id``. Deliveries
are claimed with a lease before sending: a second process skips them, and a process killed while
sending leaves a lease that expires (or is freed at once when its pid is gone), after which the
alert is sent again with the same id: at-least-once.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ingest.models import from_iso, to_iso
from ingest.store.base import StoreBase

if TYPE_CHECKING:
    from ingest.alerts.timing import Outcome


def create_alert_tables(conn: sqlite3.Connection | Any) -> None:
    """Create the outbox tables (idempotent). Call from a migration with ``db.conn`` or ``db``."""
    conn.executescript(
        """
        CREATE TABLE IF NOT EXISTS alerts (
            id INTEGER PRIMARY KEY,                     -- the finding's id
            uid TEXT NOT NULL UNIQUE,                   -- webhook-id, the same on every retry
            kind TEXT NOT NULL,                         -- new | changed | conflict | revised
            subject TEXT,
            metric TEXT,
            finding TEXT NOT NULL,                      -- the finding's JSON record
            created_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS alert_digests (
            id TEXT PRIMARY KEY,                        -- dig_<hash of target and member uids>
            target TEXT NOT NULL,
            status TEXT NOT NULL,                       -- pending | sent | dead | disabled
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt TEXT NOT NULL,
            horizon_from TEXT NOT NULL,
            lease_owner TEXT,
            lease_until TEXT,
            last_attempt TEXT,
            last_status INTEGER,
            last_error TEXT,
            sent_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS alert_deliveries (
            id INTEGER PRIMARY KEY,
            alert_id INTEGER NOT NULL REFERENCES alerts (id),
            target TEXT NOT NULL,                       -- target name from [alerts]
            status TEXT NOT NULL,                       -- pending | sent | dead | disabled
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt TEXT NOT NULL,
            horizon_from TEXT NOT NULL,                 -- created, or re-queued by `alerts retry`
            digest_id TEXT REFERENCES alert_digests (id),
            lease_owner TEXT,
            lease_until TEXT,
            last_attempt TEXT,
            last_status INTEGER,
            last_error TEXT,
            sent_at TEXT,
            UNIQUE (alert_id, target)
        );
        CREATE INDEX IF NOT EXISTS alert_deliveries_due
            ON alert_deliveries (target, status, next_attempt);
        CREATE INDEX IF NOT EXISTS alert_deliveries_digest ON alert_deliveries (digest_id);
        CREATE INDEX IF NOT EXISTS alert_digests_due
            ON alert_digests (target, status, next_attempt);
        CREATE TABLE IF NOT EXISTS alert_targets (
            name TEXT PRIMARY KEY,
            disabled_at TEXT,                           -- set by a 410 Gone; cleared by a retry
            reason TEXT
        );
        """
    )


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    target: str
    status: str
    attempts: int
    last_error: str | None
    last_status: int | None
    next_attempt: datetime | None
    sent_at: datetime | None
    digest_id: str | None


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    uid: str
    kind: str
    finding: Mapping[str, Any]
    created_at: datetime
    deliveries: tuple[DeliveryRecord, ...]


@dataclass(frozen=True, slots=True)
class DueItem:
    """A claimed delivery (``digest`` False) or digest, with what its message carries."""

    key: str  # delivery id as text, or digest id
    digest: bool
    uid: str
    kind: str  # the finding kind; "digest" for a digest
    findings: tuple[Mapping[str, Any], ...]
    created_at: datetime
    attempts: int
    horizon_from: datetime


def _dt(text: str | None) -> datetime:
    moment = from_iso(text)
    assert moment is not None
    return moment


def digest_id(target: str, uids: Sequence[str]) -> str:
    """A digest's message id: derived from its members, so re-forming it gives the same id."""
    digest = hashlib.sha256("\n".join([target, *sorted(uids)]).encode()).hexdigest()
    return f"dig_{digest[:32]}"


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to record: the finding's id, what it is about, and its JSON record (the payload
    every target is sent)."""

    id: int
    kind: str
    subject: str | None
    metric: str | None
    record: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """One target an alert goes to, and the state its delivery starts in (``pending``, or
    ``disabled`` with the reason, for a target a 410 Gone switched off)."""

    target: str
    status: str = "pending"
    error: str | None = None


class AlertQueries(StoreBase):
    def record_alert(
        self, alert: NewAlert, deliveries: Sequence[NewDelivery], *, due: datetime, now: datetime
    ) -> int:
        """Write an alert and its delivery rows, first due at ``due``; returns the alert id.

        Idempotent per alert id: a finding replayed after a crash writes nothing new. The
        message id is drawn here, once. Joins the caller's unit of work, so the alert commits
        with its finding or not at all; which findings alert, to whom and when is the alerts
        stage's decision (:mod:`ingest.alerts.enqueue`).
        """
        stamp = to_iso(now)
        with self._atomic():
            cursor = self._execute(
                """INSERT OR IGNORE INTO alerts
                     (id, uid, kind, subject, metric, finding, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (alert.id, f"msg_{uuid.uuid4().hex}", alert.kind, alert.subject, alert.metric,
                 json.dumps(alert.record, ensure_ascii=False, default=str), stamp),
            )  # fmt: skip
            if cursor.rowcount == 0:
                return alert.id
            self._executemany(
                """INSERT INTO alert_deliveries (alert_id, target, status, next_attempt,
                     horizon_from, last_error) VALUES (?, ?, ?, ?, ?, ?)""",
                [(alert.id, d.target, d.status, to_iso(due), stamp, d.error) for d in deliveries],
            )
        return alert.id

    # -- targets -----------------------------------------------------------------------------
    def disabled_targets(self) -> dict[str, str]:
        rows = self._rows("SELECT name, reason FROM alert_targets WHERE disabled_at IS NOT NULL")
        return {r["name"]: r["reason"] or "disabled" for r in rows}

    def targets_due(self, targets: Iterable[str], *, now: datetime) -> set[str]:
        """Which of ``targets`` have a pending delivery or digest due by ``now``, leased or
        not (a lease left by a dead process is freed by the delivery pass itself). One indexed
        probe per target: the outbox keeps every sent alert, so no scan of it."""
        stamp = to_iso(now)
        due = set()
        for target in targets:
            row = self._one(
                """SELECT EXISTS (SELECT 1 FROM alert_deliveries WHERE target = ?
                     AND status = 'pending' AND next_attempt <= ? AND digest_id IS NULL)
                   OR EXISTS (SELECT 1 FROM alert_digests WHERE target = ?
                     AND status = 'pending' AND next_attempt <= ?) AS due""",
                (target, stamp, target, stamp),
            )
            if row is not None and row["due"]:
                due.add(target)
        return due

    def disable_target(self, name: str, reason: str, *, now: datetime) -> None:
        """Stop delivering to a target; what was pending for it is marked ``disabled``."""
        error = f"target disabled: {reason}"
        with self._atomic():
            self._execute(
                """INSERT INTO alert_targets (name, disabled_at, reason) VALUES (?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET disabled_at = excluded.disabled_at,
                     reason = excluded.reason""",
                (name, to_iso(now), reason),
            )
            for table in ("alert_deliveries", "alert_digests"):
                self._execute(
                    f"""UPDATE {table} SET status = 'disabled', last_error = ?, lease_owner = NULL,
                          lease_until = NULL WHERE target = ? AND status = 'pending'""",
                    (error, name),
                )

    # -- claiming ----------------------------------------------------------------------------
    def _lease_free(self) -> str:
        return "(lease_until IS NULL OR lease_until <= :now OR lease_owner = :owner)"

    def form_digests(self, target: str, *, now: datetime, max_size: int) -> list[str]:
        """Group the due, undigested pending deliveries of a target into digests (frozen: a
        digest keeps its members and id through every retry)."""
        stamp = to_iso(now)
        made = []
        with self._atomic():
            rows = self._rows(
                """SELECT d.id, a.uid FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
                   WHERE d.target = ? AND d.status = 'pending' AND d.digest_id IS NULL
                     AND d.next_attempt <= ? ORDER BY d.alert_id""",
                (target, stamp),
            )
            for start in range(0, len(rows), max_size):
                chunk = rows[start : start + max_size]
                key = digest_id(target, [r["uid"] for r in chunk])
                self._execute(
                    """INSERT OR IGNORE INTO alert_digests (id, target, status, next_attempt,
                         horizon_from, created_at) VALUES (?, ?, 'pending', ?, ?, ?)""",
                    (key, target, stamp, stamp, stamp),
                )
                marks = ",".join("?" * len(chunk))
                self._execute(
                    f"UPDATE alert_deliveries SET digest_id = ? WHERE id IN ({marks})",
                    (key, *[r["id"] for r in chunk]),
                )
                made.append(key)
        return made

    def claim_due(
        self, target: str, *, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[DueItem]:
        """Lease the target's due digests, then its due single deliveries, oldest first."""
        params = {"target": target, "now": to_iso(now), "owner": owner, "limit": limit}
        until = to_iso(now + lease)
        with self._atomic():
            digests = self._rows(
                f"""SELECT * FROM alert_digests WHERE target = :target AND status = 'pending'
                      AND next_attempt <= :now AND {self._lease_free()}
                    ORDER BY next_attempt, created_at LIMIT :limit""",
                params,
            )
            singles = self._rows(
                f"""SELECT d.*, a.uid, a.kind, a.finding, a.created_at
                    FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
                    WHERE d.target = :target AND d.status = 'pending' AND d.digest_id IS NULL
                      AND d.next_attempt <= :now AND {self._lease_free()}
                    ORDER BY d.next_attempt, d.id LIMIT :limit""",
                params,
            )
            items: list[DueItem] = []
            for row in digests:
                self._execute(
                    "UPDATE alert_digests SET lease_owner = ?, lease_until = ? WHERE id = ?",
                    (owner, until, row["id"]),
                )
                members = self._rows(
                    """SELECT a.finding FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
                       WHERE d.digest_id = ? ORDER BY a.id""",
                    (row["id"],),
                )
                items.append(
                    DueItem(key=row["id"], digest=True, uid=row["id"], kind="digest",
                            findings=tuple(json.loads(m["finding"]) for m in members),
                            created_at=_dt(row["created_at"]), attempts=row["attempts"],
                            horizon_from=_dt(row["horizon_from"]))
                )  # fmt: skip
            for row in singles:
                self._execute(
                    "UPDATE alert_deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?",
                    (owner, until, row["id"]),
                )
                items.append(
                    DueItem(key=str(row["id"]), digest=False, uid=row["uid"], kind=row["kind"],
                            findings=(json.loads(row["finding"]),),
                            created_at=_dt(row["created_at"]), attempts=row["attempts"],
                            horizon_from=_dt(row["horizon_from"]))
                )  # fmt: skip
        return items

    def release(self, items: Sequence[DueItem], *, not_before: datetime | None = None) -> None:
        """Give back claimed items that were not attempted (the target is down this pass);
        with ``not_before`` (the target's Retry-After), none is tried before that time."""
        later = to_iso(not_before) if not_before else None
        with self._atomic():
            for item in items:
                table = "alert_digests" if item.digest else "alert_deliveries"
                self._execute(
                    f"UPDATE {table} SET lease_owner = NULL, lease_until = NULL,"
                    " next_attempt = MAX(next_attempt, COALESCE(?, next_attempt)) WHERE id = ?",
                    (later, item.key),
                )

    def record_attempt(
        self, item: DueItem, outcome: Outcome, *, now: datetime, status: int | None,
        error: str | None,
    ) -> None:  # fmt: skip
        """Write the result of one attempt at a delivery or a digest (and its members)."""
        stamp = to_iso(now)
        sent = stamp if outcome.status == "sent" else None
        table = "alert_digests" if item.digest else "alert_deliveries"
        with self._atomic():
            self._execute(
                f"""UPDATE {table} SET status = ?, attempts = attempts + 1, next_attempt =
                      COALESCE(?, next_attempt), last_attempt = ?, last_status = ?, last_error = ?,
                      sent_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?""",
                (outcome.status, to_iso(outcome.next_attempt), stamp, status, error, sent,
                 item.key),
            )  # fmt: skip
            if item.digest:
                self._execute(
                    """UPDATE alert_deliveries SET status = ?, attempts = attempts + 1,
                         last_attempt = ?, last_status = ?, last_error = ?, sent_at = ?
                       WHERE digest_id = ?""",
                    (outcome.status, stamp, status, error, sent, item.key),
                )

    def alert_lease_owners(self) -> list[str]:
        rows = self._rows(
            """SELECT lease_owner FROM alert_deliveries WHERE lease_owner IS NOT NULL
               UNION SELECT lease_owner FROM alert_digests WHERE lease_owner IS NOT NULL"""
        )
        return [r[0] for r in rows]

    def release_alert_leases(self, owner: str) -> None:
        with self._atomic():
            for table in ("alert_deliveries", "alert_digests"):
                self._execute(
                    f"UPDATE {table} SET lease_owner = NULL, lease_until = NULL "
                    "WHERE lease_owner = ?",
                    (owner,),
                )

    # -- listing and operator actions ---------------------------------------------------------
    def list_alerts(self, *, failed: bool = False, limit: int = 100) -> list[AlertRecord]:
        """Alerts, newest first, with their deliveries; ``failed``: only dead or disabled ones."""
        where = (
            """WHERE a.id IN (SELECT alert_id FROM alert_deliveries
                               WHERE status IN ('dead', 'disabled'))"""
            if failed
            else ""
        )
        rows = self._rows(f"SELECT a.* FROM alerts a {where} ORDER BY a.id DESC LIMIT ?", (limit,))
        out = []
        for row in rows:
            deliveries = tuple(
                DeliveryRecord(
                    target=d["target"],
                    status=d["status"],
                    attempts=d["attempts"],
                    last_error=d["last_error"],
                    last_status=d["last_status"],
                    next_attempt=from_iso(d["next_attempt"]) if d["status"] == "pending" else None,
                    sent_at=from_iso(d["sent_at"]),
                    digest_id=d["digest_id"],
                )
                for d in self._rows(
                    "SELECT * FROM alert_deliveries WHERE alert_id = ? ORDER BY target",
                    (row["id"],),
                )
            )
            out.append(
                AlertRecord(id=row["id"], uid=row["uid"], kind=row["kind"],
                            finding=json.loads(row["finding"]), created_at=_dt(row["created_at"]),
                            deliveries=deliveries)
            )  # fmt: skip
        return out

    def retry_alert(self, alert_id: int, *, now: datetime) -> list[str] | None:
        """Re-queue the dead or disabled deliveries of an alert, due now with a fresh horizon,
        and re-enable their targets. Returns the targets re-queued, or None for no such alert.

        The alert keeps its id; a delivery that was part of a digest is sent on its own.
        """
        if self._one("SELECT 1 FROM alerts WHERE id = ?", (alert_id,)) is None:
            return None
        stamp = to_iso(now)
        with self._atomic():
            rows = self._rows(
                """SELECT id, target FROM alert_deliveries
                   WHERE alert_id = ? AND status IN ('dead', 'disabled')""",
                (alert_id,),
            )
            for row in rows:
                self._execute(
                    """UPDATE alert_deliveries SET status = 'pending', attempts = 0,
                         next_attempt = ?, horizon_from = ?, digest_id = NULL,
                         lease_owner = NULL, lease_until = NULL WHERE id = ?""",
                    (stamp, stamp, row["id"]),
                )
                self._execute(
                    "UPDATE alert_targets SET disabled_at = NULL, reason = NULL WHERE name = ?",
                    (row["target"],),
                )
        return sorted({r["target"] for r in rows})

    def alert_counts(self) -> dict[str, int]:
        """Deliveries by status (for ``ingest status`` and metrics)."""
        rows = self._rows("SELECT status, COUNT(*) FROM alert_deliveries GROUP BY status")
        return {r[0]: r[1] for r in rows}
