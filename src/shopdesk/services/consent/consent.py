"""Recording and asking the consent register (spec 13.1).

`allows(customer_id, purpose)` is what every feature that depends on a consent asks
(messaging, marketing segments and exports, storing an ID scan). A grant or a
withdrawal is a new row, never an edit: the history is kept and the current state
is derived from it. Preference flags follow the register in the same transaction.

Thread rule: any thread; writes serialize on `Store.write()`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission
from shopdesk.domain.privacy.consent import (
    ALLOWED_UNLESS_WITHDRAWN,
    MARKETING,
    MARKETING_CHANNELS,
    ConsentEvent,
    ConsentMethod,
    ConsentState,
    Purpose,
    current,
    method_for_channel,
)
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.services.audit import AuditTrail
from shopdesk.services.consent import register
from shopdesk.services.store import Actor, Store

STAFF_METHODS = (ConsentMethod.SIGNED_FORM, ConsentMethod.ONLINE, ConsentMethod.VERBAL)
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ConsentView:
    """A customer's register: the state of every purpose, and the history."""

    customer_id: UUID
    states: dict[str, ConsentState]
    history: list[ConsentEvent]
    erased: bool


@dataclass(frozen=True)
class SegmentMember:
    id: UUID
    code: str
    name: str
    contact: str  # the phone, WhatsApp number or e-mail the channel uses
    language: str
    consent_since: datetime | None


class ConsentService:
    """The consent register's use cases. Any thread."""

    def __init__(self, store: Store, audit: AuditTrail) -> None:
        self._store, self._audit = store, audit

    # -- asking ----------------------------------------------------------------------
    def allows(self, customer_id: UUID, purpose: Purpose | str) -> bool:
        """Whether the customer's current consent covers `purpose` (False for a purpose
        never recorded, a withdrawn one, or an erased customer)."""
        purpose = _purpose(purpose)
        with self._store.read() as session:
            return allows_in(session.connection(), customer_id, purpose)

    def view(self, customer_id: UUID) -> ConsentView:
        with self._store.read() as session:
            conn = session.connection()
            live = register.live_id(conn, customer_id)
            if conn.execute(text("SELECT 1 FROM customers WHERE id = :c"),
                            {"c": live}).first() is None:
                raise NotFound(f"no customer with id {customer_id}")
            events = register.history(conn, [live])[live]
            return ConsentView(UUID(hex=live), current(events), events,
                               register.is_erased(conn, live))

    # -- recording -------------------------------------------------------------------
    def record(self, customer_id: UUID, purpose: Purpose | str, granted: bool,
               method: ConsentMethod | str, at: datetime | None = None,
               note: str = "") -> tuple[ConsentView, Changes]:
        """Record that the customer gave (or withdrew) a consent, how and when."""
        actor = self._store.require(Permission.RECORD_CONSENT)
        purpose = _purpose(purpose)
        now = self._store.clock()
        errors = []
        if method not in [m.value for m in STAFF_METHODS]:
            errors.append(FieldError("method", "choice", "must be one of: "
                                     + ", ".join(m.value for m in STAFF_METHODS)))
        when = at or now
        if when.tzinfo is None:
            errors.append(FieldError("at", "timezone", "must include its time zone"))
        elif when > now + CLOCK_SKEW:
            errors.append(FieldError("at", "future", "cannot be in the future"))
        elif when.year < 2000:
            errors.append(FieldError("at", "range", "must be in 2000 or later"))
        note = note.strip()
        if len(note) > 500:
            errors.append(FieldError("note", "too_long", "must be at most 500 characters"))
        if errors:
            raise ValidationError(errors)
        with self._store.write() as session:
            live = self._checked(session, customer_id)
            self.write_events(session, actor, live, [register.event_row(
                UUID(hex=live), purpose, granted, str(method), when, now, actor.staff_id,
                note or None)])
        changes = Changes(customers=frozenset({UUID(hex=live)}))
        return self.view(UUID(hex=live)), self._store.publish(changes)

    def write_events(self, session: Session, actor: Actor, customer: str,
                     rows: list[dict[str, Any]], via: str = "") -> None:
        """Append events in the caller's transaction, keep the preference flags in step,
        and record each in the audit trail."""
        if not rows:
            return
        conn = session.connection()
        register.insert_events(conn, rows)
        register.sync_flags(conn, [customer])
        self._audit.append_many(session, actor, [
            ("grant_consent" if r["granted"] else "withdraw_consent", "customer",
             r["customer_id"], {"purpose": r["purpose"], "method": r["method"],
                                "at": r["at"].isoformat(), "note": r["note"],
                                **({"via": via} if via else {})}) for r in rows])

    def follow_preferences(self, session: Session, actor: Actor, customer_id: UUID,
                           diff: dict[str, list[Any]], channel: str) -> None:
        """An edit changed the marketing opt-in or service-notification flag: record the
        grants or withdrawals that make the register say the same (called by
        `CustomerService.update` in its transaction)."""
        wanted = {k: v[1] for k, v in diff.items()
                  if k in ("marketing_opt_in", "service_notifications")}
        if not wanted:
            return
        conn = session.connection()
        live = customer_id.hex
        states = current(register.history(conn, [live])[live])
        now = self._store.clock()
        method = method_for_channel(channel)
        rows = []
        if "marketing_opt_in" in wanted:
            for p in MARKETING:
                if bool(states[p.value].granted) != bool(wanted["marketing_opt_in"]):
                    rows.append(register.event_row(customer_id, p.value,
                                                   bool(wanted["marketing_opt_in"]),
                                                   method.value, now, now, actor.staff_id))
        if "service_notifications" in wanted:
            state = states[Purpose.SERVICE_NOTIFICATIONS.value]
            if state.allowed is not bool(wanted["service_notifications"]):
                rows.append(register.event_row(
                    customer_id, Purpose.SERVICE_NOTIFICATIONS.value,
                    bool(wanted["service_notifications"]), method.value, now, now,
                    actor.staff_id))
        self.write_events(session, actor, live, rows, via="edit")

    # -- marketing -------------------------------------------------------------------
    def marketing_segment(self, channel: str) -> list[SegmentMember]:
        """Active customers whose current consent covers marketing on `channel`."""
        purpose = MARKETING_CHANNELS.get(channel)
        if purpose is None:
            raise ValidationError(FieldError("channel", "choice", "must be one of: "
                                             + ", ".join(MARKETING_CHANNELS)))
        contact = {"whatsapp": "coalesce(c.whatsapp, c.phone)", "sms": "c.phone",
                   "phone": "c.phone", "email": "c.email"}[channel]
        with self._store.read() as session:
            rows = session.connection().execute(text(
                # The latest event of the purpose per customer decides (as `current`).
                "SELECT c.id, c.code, c.first_name || ' ' || c.last_name, "
                f"{contact}, p.language, k.at, k.granted FROM customer_consents k "
                "JOIN customers c ON c.id = k.customer_id "
                "JOIN customer_preferences p ON p.customer_id = c.id "
                "WHERE k.purpose = :p AND c.is_active = 1 AND c.merged_into IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM customer_erasures e WHERE e.customer_id = c.id) "
                "AND NOT EXISTS (SELECT 1 FROM customer_consents later WHERE "
                "later.customer_id = k.customer_id AND later.purpose = k.purpose AND "
                "(later.at > k.at OR (later.at = k.at AND (later.recorded_at > k.recorded_at "
                "OR (later.recorded_at = k.recorded_at AND later.id > k.id))))) "
                "ORDER BY c.code"), {"p": purpose.value}).all()
        return [SegmentMember(UUID(hex=str(r[0])), r[1], r[2], r[3], r[4],
                              datetime.fromisoformat(r[5])) for r in rows if r[6] and r[3]]

    def export_marketing(self, channel: str, path: Path) -> int:
        """Write the consenting customers of `channel` to a CSV (for a mailing tool);
        only they are in it. Recorded in the audit trail."""
        actor = self._store.require(Permission.IMPORT_EXPORT)
        path = Path(path)
        if path.suffix.lower() != ".csv":
            raise ValidationError(FieldError("file", "file_type", "must end in .csv"))
        members = self.marketing_segment(channel)
        tmp = path.with_name(path.name + ".partial")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["code", "name", channel, "language", "consent_since"])
            for m in members:
                writer.writerow([m.code, m.name, m.contact, m.language,
                                 m.consent_since.isoformat() if m.consent_since else ""])
        tmp.replace(path)
        with self._store.write() as session:
            self._audit.append(session, actor, "marketing_export", "customers", "*",
                               {"channel": channel, "count": len(members), "file": path.name})
        return len(members)

    # -- helpers -----------------------------------------------------------------------
    @staticmethod
    def _checked(session: Session, customer_id: UUID) -> str:
        conn = session.connection()
        live = register.live_id(conn, customer_id)
        if conn.execute(text("SELECT 1 FROM customers WHERE id = :c"),
                        {"c": live}).first() is None:
            raise NotFound(f"no customer with id {customer_id}")
        if register.is_erased(conn, live):
            raise ValidationError(FieldError("customer", "erased", "this customer's data was "
                                             "erased; register the person anew"))
        return live


def allows_in(conn: Connection, customer_id: UUID | str, purpose: Purpose | str) -> bool:
    """`allows` inside a caller's transaction (a check that must hold as the write
    that depends on it commits)."""
    purpose = _purpose(purpose)
    live = register.live_id(conn, customer_id)
    if register.is_erased(conn, live):
        return False
    row = conn.execute(text(
        "SELECT granted FROM customer_consents WHERE customer_id = :c AND purpose = :p "
        "ORDER BY at DESC, recorded_at DESC, id DESC LIMIT 1"),
        {"c": live, "p": purpose.value}).first()
    if row is None:
        return purpose in ALLOWED_UNLESS_WITHDRAWN
    return bool(row[0])


def _purpose(value: Purpose | str) -> Purpose:
    try:
        return Purpose(value)
    except ValueError:
        raise ValidationError(FieldError("purpose", "choice", "must be one of: "
                                         + ", ".join(p.value for p in Purpose))) from None
