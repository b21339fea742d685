"""Exact identifiers typed or scanned into the search box: IMEI, serial, ticket numbers.

A barcode scanner types like a keyboard and ends with Enter; the box asks
`identify` first, and opens the device or ticket it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shopdesk.domain.codes import normalize_code
from shopdesk.domain.imei import normalize_identifier
from shopdesk.domain.support import SUPPORT_PREFIX
from shopdesk.domain.tickets import TICKET_PREFIX, normalize_number
from shopdesk.models import Device, RepairTicket, SupportTicket

MIN_IDENTIFIER = 5  # shorter text is a name or digits of a phone, not a serial


@dataclass(frozen=True)
class Identified:
    """What an identifier names: kind is 'device', 'repair_ticket' or 'support_ticket'."""

    kind: str
    id: UUID
    label: str
    customer_id: UUID


def identify(session: Session, text: str) -> Identified | None:
    """The device or ticket `text` names exactly, or None (one indexed lookup)."""
    raw = text.strip()
    spaced_digits = raw.replace(" ", "").replace("-", "").isdigit()
    if len(raw) < MIN_IDENTIFIER or (" " in raw and not spaced_digits):
        return None  # words are names; only an IMEI may be typed in groups
    head = raw.upper().partition("-")[0]
    if head == TICKET_PREFIX:
        number = normalize_number(raw)
        ticket = session.execute(select(RepairTicket.id, RepairTicket.customer_id).where(
            RepairTicket.number == number)).first()
        return Identified("repair_ticket", ticket[0], number, ticket[1]) if ticket else None
    if head == SUPPORT_PREFIX:
        number = f"{SUPPORT_PREFIX}-{normalize_code(raw.partition('-')[2])}"
        support = session.execute(select(SupportTicket.id, SupportTicket.customer_id).where(
            SupportTicket.number == number)).first()
        return Identified("support_ticket", support[0], number, support[1]) if support else None
    key = normalize_identifier(raw)
    if len(key) < MIN_IDENTIFIER:
        return None
    device = session.execute(
        select(Device.id, Device.customer_id, Device.make, Device.model).where(
            or_(Device.imei == key, Device.imei2 == key, Device.serial == key)).limit(1)).first()
    if device is None:
        return None
    return Identified("device", device[0], f"{device[2]} {device[3]} ({key})", device[1])
