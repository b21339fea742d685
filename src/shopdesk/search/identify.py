"""Exact identifiers typed or scanned into the search box: IMEI, serial, ticket numbers.

A barcode scanner types like a keyboard and ends with Enter; the box asks
`identify` first, and opens the device or ticket it names. People write them
in groups ("35 391110 119191 5", "35-391110-119191-5", "r ab12 0007"), any
case, with stray spaces or a scanner's CR/LF around them: all of those name
the same thing.
"""

from __future__ import annotations

import re
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
FEEDBACK_PREFIX = "FB"  # printed feedback forms carry FB-<ticket number> as a QR code
_GROUPED = re.compile(r"^[0-9A-Za-z]+(?:[\s.\-/_]+[0-9A-Za-z]+)*$")
_SEPARATORS = re.compile(r"[\s.\-/_]+")


def looks_like_identifier(text: str) -> bool:
    """Could `text` be an IMEI, serial or ticket number (so worth a lookup)?

    One run of letters and digits, or several separated by spaces, dashes,
    dots or slashes when there is a digit among them ("john smith" is a name).
    """
    raw = text.strip()
    if len(raw) < MIN_IDENTIFIER or not _GROUPED.match(raw):
        return False
    return not _SEPARATORS.search(raw) or any(c.isdigit() for c in raw)


@dataclass(frozen=True)
class Identified:
    """What an identifier names: kind is 'device', 'repair_ticket', 'support_ticket' or
    'feedback_form' (the QR code of a feedback form: `id` is its repair ticket)."""

    kind: str
    id: UUID
    label: str
    customer_id: UUID


def identify(session: Session, text: str) -> Identified | None:
    """The device or ticket `text` names exactly, or None (one indexed lookup)."""
    raw = text.strip()
    if not looks_like_identifier(raw):
        return None
    groups = _SEPARATORS.split(raw.upper())
    head = groups[0]
    if head == FEEDBACK_PREFIX and len(groups) > 2 and groups[1] == TICKET_PREFIX:
        # The QR code of a printed feedback form: its ticket, to type the answers in.
        found = identify(session, "-".join(groups[1:]))
        return Identified("feedback_form", found.id, found.label, found.customer_id) \
            if found else None
    if head == TICKET_PREFIX and len(groups) > 1:
        number = normalize_number("-".join(groups))
        ticket = session.execute(select(RepairTicket.id, RepairTicket.customer_id).where(
            RepairTicket.number == number)).first()
        return Identified("repair_ticket", ticket[0], number, ticket[1]) if ticket else None
    if head == SUPPORT_PREFIX and len(groups) > 1:
        number = f"{SUPPORT_PREFIX}-{normalize_code('-'.join(groups[1:]))}"
        support = session.execute(select(SupportTicket.id, SupportTicket.customer_id).where(
            SupportTicket.number == number)).first()
        return Identified("support_ticket", support[0], number, support[1]) if support else None
    key = normalize_identifier("".join(groups))
    if len(key) < MIN_IDENTIFIER:
        return None
    device = session.execute(
        select(Device.id, Device.customer_id, Device.make, Device.model).where(
            or_(Device.imei == key, Device.imei2 == key, Device.serial == key)).limit(1)).first()
    if device is None:
        return None
    return Identified("device", device[0], f"{device[2]} {device[3]} ({key})", device[1])
