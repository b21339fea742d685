"""Read-only views for the sync screens: two customers side by side, merge redirects,
short labels for the ids in conflicts and rejected changes.

Promises: plain frozen dataclasses, safe to hand across threads; every function
opens its own read session, so any thread may call them (the UI calls them on
its read pool or inside a writer job).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from shopdesk.errors import NotFound
from shopdesk.models import Customer, Device, RepairTicket, Staff
from shopdesk.models.loyalty import balance_query
from shopdesk.services.store import Store
from shopdesk.sync.service import SyncService
from shopdesk.sync.views import Conflict

# The values staff choose between in the merge screen: one choice each, copied
# from the loser (the `take` of a merge) when the loser's value is chosen.
# "address" stands for all its columns, so an address is never half-mixed.
ADDRESS = ("address_line1", "address_line2", "city", "region", "postcode", "country")
CHOICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("first_name", ("first_name",)),
    ("last_name", ("last_name",)),
    ("phone", ("phone",)),
    ("email", ("email",)),
    ("whatsapp", ("whatsapp",)),
    ("company", ("company",)),
    ("address", ADDRESS),
)
_MAX_HOPS = 20  # a redirect chain longer than this would be a loop


@dataclass(frozen=True)
class MergeSide:
    """One customer as the merge screen shows it."""

    id: UUID
    code: str
    name: str
    values: dict[str, Any]  # every CHOICES column
    created_at: Any  # datetime
    channel: str
    registered_by: str | None
    counter_tag: str  # the code's tag: which counter registered the customer
    this_counter: bool
    tickets: int
    devices: int
    loyalty_points: int
    merged_into: UUID | None
    is_active: bool

    def choice(self, key: str) -> tuple[Any, ...]:
        """The stored values behind one choice (several for the address)."""
        return tuple(self.values.get(c) for c in dict(CHOICES)[key])

    def shown(self, key: str) -> str:
        """One choice as text: the address on one line, empty parts left out."""
        parts = [str(v) for v in self.choice(key) if v not in (None, "")]
        return ", ".join(parts)


@dataclass(frozen=True)
class ProfileNotes:
    """What the profile page says about sync: possible duplicates and a merge redirect."""

    duplicates: tuple[tuple[str, UUID, str], ...]  # (conflict id, other customer, label)
    merged_into: tuple[UUID, str] | None  # (survivor, label)


def _label(row: Any) -> str:
    return f"{row.code} {row.first_name} {row.last_name}"


def merge_sides(store: Store, left: UUID, right: UUID) -> tuple[MergeSide, MergeSide]:
    """The two customers of a possible duplicate, with their ticket and device counts."""
    with store.read() as session:
        sides = []
        for customer_id in (left, right):
            row = session.get(Customer, customer_id)
            if row is None:
                raise NotFound(f"customer {customer_id} is not on this counter (yet)")
            tickets = session.scalar(select(func.count()).select_from(RepairTicket).where(
                RepairTicket.customer_id == customer_id)) or 0
            devices = session.scalar(select(func.count()).select_from(Device).where(
                Device.customer_id == customer_id)) or 0
            by = session.scalar(select(Staff.display_name).where(
                Staff.id == row.registered_by)) if row.registered_by else None
            tag = row.code.partition("-")[0]
            sides.append(MergeSide(
                id=row.id, code=row.code, name=f"{row.first_name} {row.last_name}",
                values={c: getattr(row, c) for _, cols in CHOICES for c in cols},
                created_at=row.created_at, channel=row.channel, registered_by=by,
                counter_tag=tag, this_counter=tag == store.node_tag, tickets=int(tickets),
                devices=int(devices),
                loyalty_points=int(session.scalar(balance_query(row.id)) or 0),
                merged_into=row.merged_into, is_active=row.is_active))
    return sides[0], sides[1]


def redirect_of(store: Store, customer_id: UUID) -> UUID | None:
    """The customer a merged customer now lives on (following merges of merges);
    None when `customer_id` was never merged away."""
    seen = {customer_id}
    current = customer_id
    with store.read() as session:
        for _ in range(_MAX_HOPS):
            target = session.scalar(select(Customer.merged_into).where(Customer.id == current))
            if target is None or target in seen:
                break
            seen.add(target)
            current = target
    return None if current == customer_id else current


def customer_labels(store: Store, ids: set[str]) -> dict[str, str]:
    """'K7QX-0042 Ann Nowak' for each customer id (hex, as conflicts name them)."""
    uuids = []
    for hex_id in ids:
        try:
            uuids.append(UUID(hex=hex_id))
        except (TypeError, ValueError):
            continue
    if not uuids:
        return {}
    with store.read() as session:
        rows = session.execute(select(Customer.id, Customer.code, Customer.first_name,
                                      Customer.last_name).where(Customer.id.in_(uuids)))
        return {r.id.hex: _label(r) for r in rows}


def profile_notes(store: Store, sync: SyncService, customer_id: UUID) -> ProfileNotes:
    """The duplicates still open for `customer_id`, and where it was merged to."""
    duplicates: list[Conflict] = sync.duplicates_of(customer_id)
    others = {c.row_b if c.row_a == customer_id.hex else c.row_a for c in duplicates}
    target = redirect_of(store, customer_id)
    labels = customer_labels(store, {o for o in others if o} | (
        {target.hex} if target else set()))
    found = []
    for c in duplicates:
        other = c.row_b if c.row_a == customer_id.hex else c.row_a
        if other:
            found.append((c.id, UUID(hex=other), labels.get(other, other)))
    merged = (target, labels.get(target.hex, str(target))) if target else None
    return ProfileNotes(tuple(found), merged)
