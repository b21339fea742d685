"""Generated devices, repair tickets and service history for `shopdesk demo`.

For customers that have no device yet: most get one to three devices (valid
IMEIs from a few real type allocation codes, or serials for laptops), then
about `tickets_per_customer` repair tickets each, spread over three years.
Old tickets are collected (with a service record per device and a shop
warranty) or cancelled; recent ones sit in the open statuses, each with the
day promised at intake (some of them past by now) and a condition checklist. A few part
purchases and consultations are added outside tickets.

Rows go in with Core executemany, a batch of customers per transaction, with
one audit entry per batch naming what was generated (as `transfer` does for
imports); 100k customers give about 150k devices and 400k tickets.
Thread rule: run it from one thread (the command line); it takes the write lock
per batch.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from shopdesk.domain import tickets as workflow
from shopdesk.domain.imei import luhn_check_digit
from shopdesk.domain.permissions import Permission, Role
from shopdesk.models import (
    Customer,
    Device,
    DeviceOwner,
    RepairTicket,
    ServiceRecord,
    Staff,
    TicketDevice,
    TicketStatusChange,
)
from shopdesk.models.base import table_of
from shopdesk.services.audit import AuditTrail
from shopdesk.services.staff import StaffService
from shopdesk.services.store import Store

BATCH = 2000
DEVICE_SHARE = 0.9
MODELS = [  # (TAC, make, model, weight)
    ("35391110", "Apple", "iPhone 12", 12), ("35407115", "Apple", "iPhone 13", 12),
    ("35325911", "Apple", "iPhone 14", 8), ("35676211", "Apple", "iPhone SE", 4),
    ("35291612", "Samsung", "Galaxy S10", 6), ("35845811", "Samsung", "Galaxy A52", 9),
    ("35170516", "Samsung", "Galaxy S22", 6), ("86759305", "Xiaomi", "Redmi Note 11", 7),
    ("86881204", "Huawei", "P30 Lite", 4), ("35468510", "Google", "Pixel 7", 4),
    ("86420705", "OnePlus", "Nord 2", 3), ("35937510", "Motorola", "Moto G54", 4),
]
SERIAL_MODELS = [("Apple", "MacBook Air M1"), ("Lenovo", "ThinkPad T14"),
                 ("Apple", "iPad 9th gen"), ("Dell", "XPS 13")]
FAULTS = ["Cracked screen", "Battery drains fast", "Does not charge", "No sound from speaker",
          "Water damage", "Camera blurry", "Will not switch on", "Buttons stuck",
          "Wi-Fi keeps dropping", "Back glass broken", "Microphone not working"]
PRE_EXISTING = ["", "", "", "Scratches on the back", "Dent on the corner", "Bent frame"]
ACCESSORIES = ["", "", "case", "charger", "case and charger", "SIM tray"]
OPEN = [("received", 3), ("diagnosing", 3), ("awaiting_approval", 2), ("awaiting_parts", 2),
        ("in_repair", 3), ("ready", 2)]
PAYMENTS = (["card"] * 5 + ["cash"] * 3 + ["mobile_money", "bank_transfer"])
PROMISE_DAYS = (1, 2, 3, 3, 3, 5, 7)  # days from intake to the day promised
# Open tickets: days from today to their promise; about one in seven is late.
OPEN_PROMISE = (-3, -1, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 9)
CHECKS = {"Powers on": ("yes", "yes", "yes", "no", "not_tested"),
          "Screen cracked": ("no", "no", "yes", "not_tested"),
          "Water damage": ("no", "no", "no", "not_tested")}
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RepairDemoReport:
    devices: int
    tickets: int
    services: int
    seconds: float



def _technicians(store: Store, staff: StaffService) -> list[uuid.UUID]:
    with store.read() as session:
        ids = list(session.scalars(select(Staff.id).where(
            Staff.role == Role.TECHNICIAN.value, Staff.is_active)))
    if not ids:
        for name in ("tomas", "priya", "kwame"):
            ids.append(staff.create(name, name.capitalize(), Role.TECHNICIAN, "1234").id)
    return ids


def generate_repairs(store: Store, audit: AuditTrail, staff: StaffService,
                     tickets_per_customer: float = 4.0, seed: int = 7,
                     progress: Progress | None = None) -> RepairDemoReport:
    actor = store.require(Permission.IMPORT_EXPORT)
    started = time.perf_counter()
    rng = random.Random(seed)
    techs = _technicians(store, staff)
    with store.read() as session:
        has_device = select(Device.id).where(Device.customer_id == Customer.id).exists()
        customers = list(session.scalars(select(Customer.id).where(~has_device)))
        used = {i for i in session.scalars(select(Device.imei).where(Device.imei.is_not(None)))}
    now = store.clock()
    per_owner = tickets_per_customer / DEVICE_SHARE
    tacs = list(MODELS)
    weights = [m[3] for m in MODELS]
    totals = [0, 0, 0]

    def new_imei() -> str:
        tac = rng.choices(tacs, weights)[0][0]
        while True:
            body = f"{tac}{rng.randrange(10**6):06d}"
            number = body + str(luhn_check_digit(body))
            if number not in used:
                used.add(number)
                return number

    for start in range(0, len(customers), BATCH):
        rows: dict[str, list[dict[str, Any]]] = {k: [] for k in (
            "devices", "owners", "tickets", "ticket_devices", "changes", "services")}
        planned: list[tuple[uuid.UUID, list[dict[str, Any]], int]] = []
        for customer_id in customers[start:start + BATCH]:
            if rng.random() > DEVICE_SHARE:
                continue
            devices = []
            for _ in range(rng.choices([1, 2, 3], [50, 35, 15])[0]):
                # First seen at the shop: any day of four years, the recent ones busier.
                created = now - timedelta(days=2 + int(1500 * rng.random() ** 0.8))
                if rng.random() < 0.85:
                    number = new_imei()
                    _t, make, model, _w = next(m for m in MODELS if m[0] == number[:8])
                    ident = {"imei": number, "tac": number[:8], "serial": None}
                else:
                    make, model = rng.choice(SERIAL_MODELS)
                    ident = {"imei": None, "tac": None,
                             "serial": f"SN{uuid.uuid4().hex[:10].upper()}"}
                device = {"id": uuid.uuid4(), "make": make, "model": model, "imei2": None,
                          "purchase_date": created.date() - timedelta(days=30),
                          "manufacturer_warranty_until": created.date() + timedelta(days=335),
                          "shop_warranty_until": None,
                          "condition": rng.choice(["good", "good", "fair", "poor"]),
                          "customer_id": customer_id, "created_at": created,
                          "updated_at": created, **ident}
                devices.append(device)
                rows["devices"].append(device)
                rows["owners"].append({"id": uuid.uuid4(), "device_id": device["id"],
                                       "customer_id": customer_id, "from_at": created,
                                       "to_at": None})
            count = int(per_owner) + (1 if rng.random() < per_owner % 1 else 0)
            planned.append((customer_id, devices, count))
        with store.write() as session:
            first = store.next_sequence(session, "repair_ticket",
                                             max(1, sum(c for _i, _d, c in planned)))
            seq = first
            for customer_id, devices, count in planned:
                for _ in range(count):
                    self_number = workflow.ticket_number(store.node_tag, seq)
                    seq += 1
                    _ticket(rng, rows, self_number, customer_id, devices, techs, now, actor)
            connection = session.connection()
            for key, table in (("devices", Device), ("owners", DeviceOwner),
                               ("tickets", RepairTicket), ("ticket_devices", TicketDevice),
                               ("changes", TicketStatusChange), ("services", ServiceRecord)):
                if rows[key]:
                    connection.execute(insert(table_of(table)), rows[key])
            audit.append(session, actor, "demo_generate", "repairs", "batch", {
                "devices": len(rows["devices"]), "tickets": len(rows["tickets"]),
                "services": len(rows["services"])})
        totals[0] += len(rows["devices"])
        totals[1] += len(rows["tickets"])
        totals[2] += len(rows["services"])
        if progress:
            progress(min(start + BATCH, len(customers)), len(customers))
    return RepairDemoReport(totals[0], totals[1], totals[2], time.perf_counter() - started)


def _promise(rng: random.Random, status: str, created: datetime, now: datetime) -> date:
    """The day promised at intake: a few days after it; for a ticket still open, a day
    near today (so a few are late, as in a real shop, not all of the older ones)."""
    if status in ("collected", "cancelled"):
        return created.astimezone().date() + timedelta(days=rng.choice(PROMISE_DAYS))
    return max(created.astimezone().date(),
               now.astimezone().date() + timedelta(days=rng.choice(OPEN_PROMISE)))


def _ticket(rng: random.Random, rows: dict[str, list[dict[str, Any]]], number: str,
            customer_id: uuid.UUID, devices: list[dict[str, Any]], techs: list[uuid.UUID],
            now: datetime, actor: Any) -> None:
    on = rng.sample(devices, 2) if len(devices) > 1 and rng.random() < 0.1 else \
        [rng.choice(devices)]
    # Days ago; recent tickets are more common; never before a device on it first came in.
    arrived = max(d["created_at"] for d in on)
    age = rng.random() ** 2 * min(1000.0, (now - arrived).total_seconds() / 86400)
    created = max(arrived, now - timedelta(days=age, minutes=rng.randint(0, 600)))
    if age > 14:
        status = "collected" if rng.random() < 0.94 else "cancelled"
    else:
        status = rng.choices([s for s, _w in OPEN], [w for _s, w in OPEN])[0]
    updated = min(now, created + timedelta(days=rng.uniform(0.1, 6)))
    estimate = Decimal(rng.randrange(2000, 30000, 500)) / 100
    tech = rng.choice(techs) if status != "received" else None
    final = estimate if status == "collected" else None
    ticket_id = uuid.uuid4()
    rows["tickets"].append({
        "id": ticket_id, "number": number, "customer_id": customer_id, "status": status,
        "technician_id": tech, "estimate": estimate,
        "estimate_approved": True if status not in ("received", "diagnosing") else None,
        "approved_at": created if status not in ("received", "diagnosing") else None,
        "deposit": Decimal("10.00") if rng.random() < 0.3 else Decimal("0.00"),
        "final_amount": final,
        "payment_method": rng.choice(PAYMENTS) if final is not None else None,
        "warranty_rework": False, "created_by": actor.staff_id, "created_at": created,
        "updated_at": updated, "collected_at": updated if status == "collected" else None,
        "promised_by": _promise(rng, status, created, now)})
    for position, device in enumerate(on):
        rows["ticket_devices"].append({
            "id": uuid.uuid4(), "ticket_id": ticket_id, "device_id": device["id"],
            "position": position, "fault": rng.choice(FAULTS),
            "checklist": json.dumps({name: rng.choice(answers)
                                     for name, answers in CHECKS.items()}),
            "pre_existing_faults": rng.choice(PRE_EXISTING),
            "accessories": rng.choice(ACCESSORIES), "passcode_encrypted": None})
        if status == "collected":
            share = estimate if position == 0 else Decimal("0.00")
            rows["services"].append({
                "id": uuid.uuid4(), "customer_id": customer_id, "occurred_at": updated,
                "kind": "repair", "description": f"Repair {number}", "staff_id": None,
                "device_id": device["id"], "ticket_id": ticket_id, "technician_id": tech,
                "labour": share, "total": share,
                "payment_method": rows["tickets"][-1]["payment_method"],
                "satisfaction": rng.choice([None, None, 3, 4, 5, 5])})
            warranty = updated.date() + timedelta(days=90)
            if device["shop_warranty_until"] is None or device["shop_warranty_until"] < warranty:
                device["shop_warranty_until"] = warranty
    rows["changes"].append({"id": uuid.uuid4(), "ticket_id": ticket_id, "from_status": None,
                            "to_status": "received", "staff_id": actor.staff_id,
                            "actor": actor.name, "at": created, "note": ""})
    if status != "received":
        rows["changes"].append({"id": uuid.uuid4(), "ticket_id": ticket_id,
                                "from_status": "received", "to_status": status,
                                "staff_id": tech, "actor": "demo", "at": updated, "note": ""})
