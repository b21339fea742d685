"""The demo shop's people and past: named staff accounts, and customers whose
history reads like a real shop's (`shopdesk demo`).

`create_demo_staff` makes the accounts a demo needs when the shop has none yet
(an owner, a manager, two at the front desk, three technicians), all with the
PIN `DEMO_PIN`, and returns them so the command can name every one.
`shape_history` runs after the customers and their repairs are generated: each
customer is registered by a front-desk member (or the manager or owner) on a
day spread over the years before their first device or ticket, last visited
the counter when their latest ticket was taken in or collected (or a service
was recorded), and was last updated some time between the two. Loyalty stays
at 0 points: the loyalty ledger that turns visits into points is a later issue.

Run it from one thread (the command line); it writes with Core executemany, one
transaction per batch, with one audit entry per batch.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission, Role
from shopdesk.models import (
    Customer,
    CustomerLoyalty,
    CustomerPreferences,
    Device,
    RepairTicket,
    ServiceRecord,
    Staff,
)
from shopdesk.models.base import table_of
from shopdesk.services.audit import AuditTrail
from shopdesk.services.staff import StaffInfo, StaffService
from shopdesk.services.store import Store

DEMO_PIN = "1234"
DEMO_STAFF = (  # username, display name, role
    ("owner", "Demo Owner", Role.OWNER), ("li", "Li Wei", Role.MANAGER),
    ("amira", "Amira Haddad", Role.FRONT_DESK), ("leo", "Leo Brennan", Role.FRONT_DESK),
    ("tomas", "Tomás Novák", Role.TECHNICIAN), ("priya", "Priya Shah", Role.TECHNICIAN),
    ("kwame", "Kwame Mensah", Role.TECHNICIAN),
)
# Who registers customers at the counter, and how often.
REGISTRARS = {Role.FRONT_DESK.value: 8, Role.MANAGER.value: 2, Role.OWNER.value: 1}
SHOP_YEARS = 6  # the oldest customer was registered this long ago at most
BATCH = 5000
Progress = Callable[[int, int], None]


def create_demo_staff(staff: StaffService) -> list[StaffInfo]:
    """The demo's accounts, if the shop has no staff yet (else none is made)."""
    if staff.count():
        return []
    made = [staff.create_owner(*DEMO_STAFF[0][:2], DEMO_PIN)]
    for username, name, role in DEMO_STAFF[1:]:
        made.append(staff.create(username, name, role, DEMO_PIN))
    return made


def shape_history(store: Store, audit: AuditTrail, registered_since: datetime,
                  seed: int = 7, progress: Progress | None = None) -> int:
    """Spread the registration, last visit and update times (and who registered
    them) of the customers registered since `registered_since`; returns how many."""
    actor = store.require(Permission.IMPORT_EXPORT)
    rng = random.Random(seed)
    now = store.clock()
    with store.read() as session:
        people = list(session.execute(
            select(Customer.id, CustomerPreferences.marketing_opt_in)
            .join(CustomerPreferences, CustomerPreferences.customer_id == Customer.id)
            .where(Customer.created_at >= registered_since).order_by(Customer.code)))
        registrars = [(staff_id, REGISTRARS[role]) for staff_id, role in session.execute(
            select(Staff.id, Staff.role).where(Staff.is_active,
                                               Staff.role.in_(list(REGISTRARS))))]
        first_seen = _per_customer(session, registered_since, [
            select(Device.customer_id, func.min(Device.created_at)),
            select(RepairTicket.customer_id, func.min(RepairTicket.created_at))], min)
        last_visit = _per_customer(session, registered_since, [
            select(RepairTicket.customer_id, func.max(RepairTicket.created_at)),
            select(RepairTicket.customer_id, func.max(RepairTicket.collected_at)),
            select(ServiceRecord.customer_id, func.max(ServiceRecord.occurred_at))], max)
    staff_ids: list[uuid.UUID | None] = [s for s, _w in registrars] or [None]
    weights = [w for _s, w in registrars] or [1]
    oldest = now - timedelta(days=365 * SHOP_YEARS)
    customers, prefs, loyalty = table_of(Customer), table_of(CustomerPreferences), \
        table_of(CustomerLoyalty)
    set_customer = customers.update().where(customers.c.id == bindparam("b_id")).values(
        created_at=bindparam("b_created"), updated_at=bindparam("b_updated"),
        last_visit_at=bindparam("b_visit"), registered_by=bindparam("b_by"))
    set_consent = prefs.update().where(prefs.c.customer_id == bindparam("b_id")).values(
        marketing_consent_at=bindparam("b_created"))
    set_opened = loyalty.update().where(loyalty.c.customer_id == bindparam("b_id")).values(
        opened_at=bindparam("b_created"))
    for start in range(0, len(people), BATCH):
        rows: list[dict[str, Any]] = []
        consents: list[dict[str, Any]] = []
        for customer_id, opted_in in people[start:start + BATCH]:
            row = _shaped(rng, customer_id, first_seen.get(customer_id),
                          last_visit.get(customer_id), now, oldest)
            row["b_by"] = rng.choices(staff_ids, weights)[0]
            rows.append(row)
            if opted_in:
                consents.append(row)
        with store.write() as session:
            connection = session.connection()
            connection.execute(set_customer, rows)
            connection.execute(set_opened, rows)
            if consents:
                connection.execute(set_consent, consents)
            audit.append(session, actor, "demo_history", "customers", "batch",
                         {"customers": len(rows)})
        store.publish(Changes(customers=frozenset(r["b_id"] for r in rows)))
        if progress:
            progress(min(start + BATCH, len(people)), len(people))
    return len(people)


def _per_customer(session: Any, since: datetime, queries: list[Any],
                  pick: Callable[[datetime, datetime], datetime]) -> dict[uuid.UUID, datetime]:
    """min or max of several per-customer times, for this run's customers."""
    found: dict[uuid.UUID, datetime] = {}
    for query in queries:
        table = query.selected_columns[0].table
        grouped = (query.join(Customer, Customer.id == table.c.customer_id)
                   .where(Customer.created_at >= since).group_by(table.c.customer_id))
        for customer_id, moment in session.execute(grouped):
            if moment is None:
                continue
            if isinstance(moment, str):  # an aggregate may come back as the stored text
                moment = datetime.fromisoformat(moment)
            found[customer_id] = pick(found[customer_id], moment) \
                if customer_id in found else moment
    return found


def _shaped(rng: random.Random, customer_id: uuid.UUID, first_seen: datetime | None,
            last_visit: datetime | None, now: datetime, oldest: datetime) -> dict[str, Any]:
    """One customer's times: registered before anything else happened (by up to
    three years; more recent years are busier), visited last at their latest ticket
    or service (a customer without either visited when registering), updated since."""
    latest = first_seen or now
    earliest = max(oldest, latest - timedelta(days=3 * 365))
    span = (latest - earliest).total_seconds()
    created = latest - timedelta(seconds=span * rng.random() ** 1.5 + 600)
    created = max(oldest, created)
    visit = last_visit if last_visit is not None and last_visit <= now else created
    updated = created + (visit - created) * rng.random()
    return {"b_id": customer_id, "b_created": created, "b_updated": updated,
            "b_visit": visit}
