"""The register's rows and the preference flags derived from them.

Low-level pieces shared by the consent service, registration, import and sync:
reading a customer's history, writing events, and keeping
`customer_preferences.marketing_opt_in` / `service_notifications` equal to what the
register says (the register is the one source of truth; the flags are its cached
answer for search filters and screens). Called inside the caller's transaction;
any thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, insert, text

from shopdesk.domain.privacy.consent import (
    MARKETING,
    ConsentEvent,
    ConsentMethod,
    ConsentState,
    Purpose,
    current,
    method_for_channel,
)
from shopdesk.models import CustomerConsent
from shopdesk.models.base import table_of

FLAG_PURPOSES = (*[p.value for p in MARKETING], Purpose.SERVICE_NOTIFICATIONS.value)


def _hex(value: UUID | str) -> str:
    return value.hex if isinstance(value, UUID) else str(value).replace("-", "")


def event_row(customer_id: UUID, purpose: str, granted: bool, method: str, at: datetime,
              recorded_at: datetime, recorded_by: UUID | None,
              note: str | None = None) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "customer_id": customer_id, "purpose": purpose,
            "granted": granted, "method": method, "at": at, "recorded_at": recorded_at,
            "recorded_by": recorded_by, "note": note}


def form_rows(customer_id: UUID, values: dict[str, Any], channel: str, now: datetime,
              recorded_by: UUID | None, imported: bool = False) -> list[dict[str, Any]]:
    """The register's first rows for a customer registered (or imported) with these
    preference values: a marketing opt-in grants every marketing channel; service
    notifications, allowed unless refused, are recorded only when refused."""
    method = (ConsentMethod.IMPORTED if imported else method_for_channel(channel))
    rows = []
    if values.get("marketing_opt_in"):
        rows += [event_row(customer_id, p.value, True, method.value, now, now, recorded_by)
                 for p in MARKETING]
    if not values.get("service_notifications", True):
        rows.append(event_row(customer_id, Purpose.SERVICE_NOTIFICATIONS.value, False,
                              method.value, now, now, recorded_by))
    return rows


def insert_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table_of(CustomerConsent)), rows)


def history(conn: Connection, customer_ids: Iterable[UUID | str]) -> dict[str, list[ConsentEvent]]:
    """Each customer's events (hex id -> events), oldest first."""
    ids = sorted({_hex(c) for c in customer_ids})
    out: dict[str, list[ConsentEvent]] = {i: [] for i in ids}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ", ".join(f":c{n}" for n in range(len(chunk)))
        rows = conn.execute(text(
            "SELECT k.customer_id, k.purpose, k.granted, k.method, k.at, k.recorded_at, "
            "s.display_name, k.note, k.id FROM customer_consents k LEFT JOIN staff_directory s "
            f"ON s.id = k.recorded_by WHERE k.customer_id IN ({marks}) "
            "ORDER BY k.at, k.recorded_at, k.id"), {f"c{n}": c for n, c in enumerate(chunk)})
        for r in rows:
            out[str(r[0])].append(ConsentEvent(
                r[1], bool(r[2]), r[3], datetime.fromisoformat(r[4]),
                datetime.fromisoformat(r[5]), r[6], r[7], str(r[8])))
    return out


def flags(states: dict[str, ConsentState]) -> dict[str, Any]:
    """The preference flags the register implies; a flag none of whose purposes was
    ever recorded is left out (nothing to derive it from)."""
    out: dict[str, Any] = {}
    marketing = [states[p.value] for p in MARKETING]
    if any(s.granted is not None for s in marketing):
        granted = [s for s in marketing if s.granted]
        out["marketing_opt_in"] = bool(granted)
        out["marketing_consent_at"] = max((s.since for s in granted if s.since), default=None)
    service = states[Purpose.SERVICE_NOTIFICATIONS.value]
    if service.granted is not None:
        out["service_notifications"] = bool(service.granted)
    return out


def sync_flags(conn: Connection, customer_ids: Iterable[UUID | str]) -> set[str]:
    """Make the preference flags of these customers agree with the register; returns
    the (hex) ids whose flags changed."""
    changed: set[str] = set()
    events = history(conn, customer_ids)
    for gone in erased(conn, list(events)):
        del events[gone]  # an erased customer's flags stay off, whatever the register says
    if not events:
        return changed
    marks = ", ".join(f":c{n}" for n in range(len(events)))
    stored = {str(r[0]): r for r in conn.execute(text(
        "SELECT customer_id, marketing_opt_in, marketing_consent_at, service_notifications "
        f"FROM customer_preferences WHERE customer_id IN ({marks})"),
        {f"c{n}": c for n, c in enumerate(events)})}
    for customer, history_ in events.items():
        row = stored.get(customer)
        if row is None:
            continue
        want = flags(current(history_))
        have = {"marketing_opt_in": bool(row[1]),
                "marketing_consent_at": datetime.fromisoformat(row[2]) if row[2] else None,
                "service_notifications": bool(row[3])}
        update = {k: v for k, v in want.items() if have[k] != v}
        if update:
            sets = ", ".join(f"{k} = :{k}" for k in update)
            params = {k: (v.isoformat(timespec="microseconds") if isinstance(v, datetime)
                          else v) for k, v in update.items()}
            conn.execute(text(f"UPDATE customer_preferences SET {sets} WHERE customer_id = :c"),
                         {**params, "c": customer})
            changed.add(customer)
    return changed


def erased(conn: Connection, customer_ids: list[str]) -> set[str]:
    """Which of these (hex) customers were erased."""
    found: set[str] = set()
    for i in range(0, len(customer_ids), 500):
        chunk = customer_ids[i:i + 500]
        marks = ", ".join(f":c{n}" for n in range(len(chunk)))
        found |= {str(r[0]) for r in conn.execute(text(
            f"SELECT customer_id FROM customer_erasures WHERE customer_id IN ({marks})"),
            {f"c{n}": c for n, c in enumerate(chunk)})}
    return found


def is_erased(conn: Connection, customer_id: UUID | str) -> bool:
    return conn.execute(text("SELECT 1 FROM customer_erasures WHERE customer_id = :c"),
                        {"c": _hex(customer_id)}).first() is not None


def live_id(conn: Connection, customer_id: UUID | str) -> str:
    """The customer kept, following merge redirects (a consent asked of a merged-away
    customer is the kept customer's, whose register holds the moved rows)."""
    current_id, hops = _hex(customer_id), 0
    while hops < 50:
        target = conn.execute(text("SELECT merged_into FROM customers WHERE id = :c"),
                              {"c": current_id}).scalar()
        if not target:
            break
        current_id, hops = str(target), hops + 1
    return current_id
