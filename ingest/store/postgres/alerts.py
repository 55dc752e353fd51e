"""The alert outbox on PostgreSQL (see ``store/alerts.py``): alerts, deliveries, digests.

Claiming locks the rows it leases (``FOR UPDATE SKIP LOCKED``): two workers claiming at once
each get their own items, never the same one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ingest.models import from_iso, to_iso
from ingest.store.alerts import (
    AlertRecord,
    DeliveryRecord,
    DueItem,
    NewAlert,
    NewDelivery,
    _dt,
    digest_id,
)
from ingest.store.postgres.base import PostgresBase

if TYPE_CHECKING:
    from ingest.alerts.timing import Outcome

_LEASE_FREE = "(lease_until IS NULL OR lease_until <= %(now)s OR lease_owner = %(owner)s)"


class PgAlertQueries(PostgresBase):
    def record_alert(
        self, alert: NewAlert, deliveries: Sequence[NewDelivery], *, due: datetime, now: datetime
    ) -> int:
        stamp = to_iso(now)
        with self._atomic():
            added = self._count(
                """INSERT INTO alerts (id, uid, kind, subject, metric, finding, created_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
                (alert.id, f"msg_{uuid.uuid4().hex}", alert.kind, alert.subject, alert.metric,
                 json.dumps(alert.record, ensure_ascii=False, default=str), stamp),
            )  # fmt: skip
            if added == 0:
                return alert.id
            self._executemany(
                """INSERT INTO alert_deliveries (alert_id, target, status, next_attempt,
                     horizon_from, last_error) VALUES (%s, %s, %s, %s, %s, %s)""",
                [(alert.id, d.target, d.status, to_iso(due), stamp, d.error) for d in deliveries],
            )
        return alert.id

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
                """SELECT EXISTS (SELECT 1 FROM alert_deliveries WHERE target = %s
                     AND status = 'pending' AND next_attempt <= %s AND digest_id IS NULL)
                   OR EXISTS (SELECT 1 FROM alert_digests WHERE target = %s
                     AND status = 'pending' AND next_attempt <= %s) AS due""",
                (target, stamp, target, stamp),
            )
            if row is not None and row["due"]:
                due.add(target)
        return due

    def disable_target(self, name: str, reason: str, *, now: datetime) -> None:
        error = f"target disabled: {reason}"
        with self._atomic():
            self._count(
                """INSERT INTO alert_targets (name, disabled_at, reason) VALUES (%s, %s, %s)
                   ON CONFLICT (name) DO UPDATE SET disabled_at = excluded.disabled_at,
                     reason = excluded.reason""",
                (name, to_iso(now), reason),
            )
            for table in ("alert_deliveries", "alert_digests"):
                self._count(
                    f"""UPDATE {table} SET status = 'disabled', last_error = %s,
                          lease_owner = NULL, lease_until = NULL
                        WHERE target = %s AND status = 'pending'""",
                    (error, name),
                )

    def form_digests(self, target: str, *, now: datetime, max_size: int) -> list[str]:
        stamp = to_iso(now)
        made = []
        with self._atomic():
            rows = self._rows(
                """SELECT d.id, a.uid FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
                   WHERE d.target = %s AND d.status = 'pending' AND d.digest_id IS NULL
                     AND d.next_attempt <= %s ORDER BY d.alert_id
                   FOR UPDATE OF d SKIP LOCKED""",
                (target, stamp),
            )
            for start in range(0, len(rows), max_size):
                chunk = rows[start : start + max_size]
                key = digest_id(target, [r["uid"] for r in chunk])
                self._count(
                    """INSERT INTO alert_digests (id, target, status, next_attempt,
                         horizon_from, created_at) VALUES (%s, %s, 'pending', %s, %s, %s)
                       ON CONFLICT DO NOTHING""",
                    (key, target, stamp, stamp, stamp),
                )
                self._count(
                    "UPDATE alert_deliveries SET digest_id = %s WHERE id = ANY(%s::bigint[])",
                    (key, [r["id"] for r in chunk]),
                )
                made.append(key)
        return made

    def claim_due(
        self, target: str, *, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[DueItem]:
        params = {"target": target, "now": to_iso(now), "owner": owner, "limit": limit}
        until = to_iso(now + lease)
        with self._atomic():
            digests = self._rows(
                f"""SELECT * FROM alert_digests WHERE target = %(target)s AND status = 'pending'
                      AND next_attempt <= %(now)s AND {_LEASE_FREE}
                    ORDER BY next_attempt, created_at LIMIT %(limit)s
                    FOR UPDATE SKIP LOCKED""",
                params,
            )
            singles = self._rows(
                f"""SELECT d.*, a.uid, a.kind, a.finding, a.created_at
                    FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
                    WHERE d.target = %(target)s AND d.status = 'pending' AND d.digest_id IS NULL
                      AND d.next_attempt <= %(now)s AND {_LEASE_FREE}
                    ORDER BY d.next_attempt, d.id LIMIT %(limit)s
                    FOR UPDATE OF d SKIP LOCKED""",
                params,
            )
            items: list[DueItem] = []
            for row in digests:
                self._count(
                    "UPDATE alert_digests SET lease_owner = %s, lease_until = %s WHERE id = %s",
                    (owner, until, row["id"]),
                )
                members = self._rows(
                    """SELECT a.finding FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
                       WHERE d.digest_id = %s ORDER BY a.id""",
                    (row["id"],),
                )
                items.append(
                    DueItem(key=row["id"], digest=True, uid=row["id"], kind="digest",
                            findings=tuple(json.loads(m["finding"]) for m in members),
                            created_at=_dt(row["created_at"]), attempts=row["attempts"],
                            horizon_from=_dt(row["horizon_from"]))
                )  # fmt: skip
            for row in singles:
                self._count(
                    "UPDATE alert_deliveries SET lease_owner = %s, lease_until = %s WHERE id = %s",
                    (owner, until, row["id"]),
                )
                items.append(
                    DueItem(key=str(row["id"]), digest=False, uid=row["uid"], kind=row["kind"],
                            findings=(json.loads(row["finding"]),),
                            created_at=_dt(row["created_at"]), attempts=row["attempts"],
                            horizon_from=_dt(row["horizon_from"]))
                )  # fmt: skip
        return items

    def _key(self, item: DueItem) -> str | int:
        """The row id of an item: a digest's text id, a delivery's number."""
        return item.key if item.digest else int(item.key)

    def release(self, items: Sequence[DueItem], *, not_before: datetime | None = None) -> None:
        later = to_iso(not_before) if not_before else None
        with self._atomic():
            for item in items:
                table = "alert_digests" if item.digest else "alert_deliveries"
                self._count(
                    f"UPDATE {table} SET lease_owner = NULL, lease_until = NULL,"
                    " next_attempt = GREATEST(next_attempt, COALESCE(%s, next_attempt))"
                    " WHERE id = %s",
                    (later, self._key(item)),
                )

    def record_attempt(
        self, item: DueItem, outcome: Outcome, *, now: datetime, status: int | None,
        error: str | None,
    ) -> None:  # fmt: skip
        stamp = to_iso(now)
        sent = stamp if outcome.status == "sent" else None
        table = "alert_digests" if item.digest else "alert_deliveries"
        with self._atomic():
            self._count(
                f"""UPDATE {table} SET status = %s, attempts = attempts + 1, next_attempt =
                      COALESCE(%s, next_attempt), last_attempt = %s, last_status = %s,
                      last_error = %s, sent_at = %s, lease_owner = NULL, lease_until = NULL
                    WHERE id = %s""",
                (outcome.status, to_iso(outcome.next_attempt), stamp, status, error, sent,
                 self._key(item)),
            )  # fmt: skip
            if item.digest:
                self._count(
                    """UPDATE alert_deliveries SET status = %s, attempts = attempts + 1,
                         last_attempt = %s, last_status = %s, last_error = %s, sent_at = %s
                       WHERE digest_id = %s""",
                    (outcome.status, stamp, status, error, sent, item.key),
                )

    def alert_lease_owners(self) -> list[str]:
        rows = self._rows(
            """SELECT lease_owner FROM alert_deliveries WHERE lease_owner IS NOT NULL
               UNION SELECT lease_owner FROM alert_digests WHERE lease_owner IS NOT NULL
               ORDER BY lease_owner"""
        )
        return [r["lease_owner"] for r in rows]

    def release_alert_leases(self, owner: str) -> None:
        with self._atomic():
            for table in ("alert_deliveries", "alert_digests"):
                self._count(
                    f"UPDATE {table} SET lease_owner = NULL, lease_until = NULL"
                    " WHERE lease_owner = %s",
                    (owner,),
                )

    def list_alerts(self, *, failed: bool = False, limit: int = 100) -> list[AlertRecord]:
        where = (
            """WHERE a.id IN (SELECT alert_id FROM alert_deliveries
                               WHERE status IN ('dead', 'disabled'))"""
            if failed
            else ""
        )
        out = []
        with self._atomic():
            rows = self._rows(
                f"SELECT a.* FROM alerts a {where} ORDER BY a.id DESC LIMIT %s", (limit,)
            )
            for row in rows:
                deliveries = tuple(
                    DeliveryRecord(
                        target=d["target"],
                        status=d["status"],
                        attempts=d["attempts"],
                        last_error=d["last_error"],
                        last_status=d["last_status"],
                        next_attempt=(
                            from_iso(d["next_attempt"]) if d["status"] == "pending" else None
                        ),
                        sent_at=from_iso(d["sent_at"]),
                        digest_id=d["digest_id"],
                    )
                    for d in self._rows(
                        "SELECT * FROM alert_deliveries WHERE alert_id = %s ORDER BY target",
                        (row["id"],),
                    )
                )
                out.append(
                    AlertRecord(id=row["id"], uid=row["uid"], kind=row["kind"],
                                finding=json.loads(row["finding"]),
                                created_at=_dt(row["created_at"]), deliveries=deliveries)
                )  # fmt: skip
        return out

    def retry_alert(self, alert_id: int, *, now: datetime) -> list[str] | None:
        stamp = to_iso(now)
        with self._atomic():
            if self._one("SELECT 1 AS found FROM alerts WHERE id = %s", (alert_id,)) is None:
                return None
            rows = self._rows(
                """SELECT id, target FROM alert_deliveries
                   WHERE alert_id = %s AND status IN ('dead', 'disabled')""",
                (alert_id,),
            )
            for row in rows:
                self._count(
                    """UPDATE alert_deliveries SET status = 'pending', attempts = 0,
                         next_attempt = %s, horizon_from = %s, digest_id = NULL,
                         lease_owner = NULL, lease_until = NULL WHERE id = %s""",
                    (stamp, stamp, row["id"]),
                )
                self._count(
                    "UPDATE alert_targets SET disabled_at = NULL, reason = NULL WHERE name = %s",
                    (row["target"],),
                )
        return sorted({r["target"] for r in rows})

    def alert_counts(self) -> dict[str, int]:
        rows = self._rows("SELECT status, COUNT(*) AS n FROM alert_deliveries GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}
