"""A customer with a row in every table that can hold a customer's data (issue 15).

`full_customer` goes through the services as staff would. When a feature adds a table
that belongs to a customer, the contract test fails until this builder gives the
customer a row of it too, so erasure and export are proven on real rows of every table.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from sqlalchemy import select

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.domain.service_rules import PartInput, ServiceInput
from shopdesk.models import Message, MessageReceipt
from shopdesk.services.feedback.feedback_views import FeedbackInput
from shopdesk.services.repairs.ticket_edits import WorkLineInput
from shopdesk.services.repairs.tickets import (
    PickupWork,
    TicketDeviceIntake,
    TicketIntake,
)
from shopdesk.shop import Shop
from tests.core.repair_helpers import IPHONE, phone_input

# Personal values given to the customer: after an erasure none may be left in the file.
# (Not the fault description: the intake record is kept for warranty, see
# models/personal.py, so staff describe the device there, not the person.)
SECRETS = ("Zoltan", "Secretname", "zoltan@secret.example", "7400123456", "7911123456",
           "12 Hidden Road", "Flat 3", "LS1 4AP", "Hidden Ltd", "Locksmith", "likes cats",
           "Passport of Zoltan", "zoltan-passport.pdf", "Consent given by Zoltan himself",
           "Zoltan wants it by Friday",
           "Complaint from Zoltan", "Zoltan is unhappy", "Zoltan was refunded",
           "Zoltan called again", "4821-zoltan-pin",
           "Booked by Zoltan for the screen", "Zoltan rang about the bill")


@dataclass
class Full:
    customer: UUID
    ticket: UUID
    support: UUID
    files: list[Path] = field(default_factory=list)


def full_customer(shop: Shop, tmp_path: Path) -> Full:
    """The owner must be signed in."""
    zoltan = shop.customers.register(CustomerInput(
        first_name="Zoltan", last_name="Secretname", phone="07400 123456",
        email="zoltan@secret.example", address_line1="12 Hidden Road", address_line2="Flat 3",
        city="Leeds", postcode="LS1 4AP", company="Hidden Ltd", occupation="Locksmith",
        secondary_phone="07911 123456", whatsapp="07911 123456", date_of_birth="1980-02-03",
        gender="male", notes="likes cats", marketing_opt_in=True)).customer.id
    shop.customers.set_verified(zoltan, "phone", True)
    shop.customers.record_id_check(zoltan, "passport", "4821")
    shop.consent.record(zoltan, "id_scan", True, "signed_form",
                        note="Consent given by Zoltan himself")
    scan = tmp_path / "zoltan-passport.pdf"
    scan.write_bytes(b"%PDF-1.4 Passport of Zoltan Secretname, scanned")
    shop.documents.attach(zoltan, scan, "id_scan", "Passport of Zoltan")
    ticket = shop.tickets.intake(TicketIntake(zoltan, [TicketDeviceIntake(
        "Screen cracked, customer says it fell", device=phone_input(IPHONE),
        passcode="4821-zoltan-pin")])).ticket.summary
    shop.tickets.change_status(ticket.id, "diagnosing", note="Zoltan wants it by Friday")
    shop.tickets.change_status(ticket.id, "in_repair")
    device = shop.tickets.get(ticket.id).devices[0].device.id
    shop.tickets.set_work(ticket.id, [WorkLineInput("Screen, OEM grade", "part",
                                                    "20.00", device_id=device)])
    shop.tickets.change_status(ticket.id, "ready")
    shop.tickets.pickup(ticket.id, "30.00", "cash", [PickupWork(
        device, "New screen", [PartInput("Screen", 1, "20.00")], "10.00")])
    shop.feedback.record(FeedbackInput(ticket=ticket.id, csat=2, nps=4,
                                       comment="Zoltan says the new screen is awful"))
    shop.service_records.record(ServiceInput(zoltan, "consultation", "Advice on a case",
                                             parts=[PartInput("Case", 1, "5.00")]))
    support = shop.support.open(zoltan, "Complaint from Zoltan", "Zoltan is unhappy",
                                complaint=True).ticket.ticket.id
    shop.support.add_note(support, "Zoltan called again")
    shop.support.resolve(support, "Zoltan was refunded")
    # Messaging (issue 16): the automated messages above, a logged call, an appointment,
    # a verification code and a provider's receipt (as sync brings it from the webhook).
    shop.messaging.log_contact(zoltan, "call", "answered", "Zoltan rang about the bill")
    shop.appointments.book(zoltan, shop.store.clock() + timedelta(days=3),
                           "Booked by Zoltan for the screen")
    shop.verification.start(zoltan, "phone")
    with shop.store.write() as session:
        first = session.scalar(select(Message).where(Message.customer_id == zoltan,
                                                     Message.direction == "out"))
        assert first is not None
        session.add(MessageReceipt(id=uuid.uuid4(), message_id=first.id,
                                   provider_id="SMzoltan", status="failed",
                                   at=shop.store.clock(),
                                   error="Twilio error 30003 for 07400 123456"))
    return Full(zoltan, ticket.id, support, [scan])
