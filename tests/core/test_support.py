"""Support tickets and complaints: targets, overdue list, escalation by role, steps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopdesk.domain import support as rules
from shopdesk.errors import PermissionDenied, ValidationError
from shopdesk.shop import Shop
from tests.conftest import OWNER_SECRET, Clock
from tests.core.repair_helpers import TECH_SECRET, add_staff, counts, customer


def test_open_sets_number_level_and_due_time(shop: Shop, clock: Clock) -> None:
    owner = customer(shop)
    saved = shop.support.open(owner, "Phone still overheats", "After the battery swap",
                              priority="high")
    ticket = saved.ticket.ticket
    assert ticket.number == f"S-{shop.store.node_tag}-0001"
    assert (ticket.status, ticket.level, ticket.priority) == ("open", "front_desk", "high")
    assert ticket.due_at - ticket.created_at == rules.due_at(clock.now, "high") - clock.now
    assert [e.kind for e in saved.ticket.events] == ["opened"]
    assert shop.support.get(ticket.number.lower()) == saved.ticket
    assert saved.changes.support == {ticket.id}


def test_targets_per_priority() -> None:
    assert [p.target_hours for p in rules.Priority] == [72, 24, 8, 2]


def test_overdue_list_follows_the_clock(shop: Shop, clock: Clock) -> None:
    owner = customer(shop)
    urgent = shop.support.open(owner, "No signal", "", priority="urgent").ticket.ticket
    low = shop.support.open(owner, "Receipt copy", "", priority="low").ticket.ticket
    assert shop.support.overdue() == []
    clock.advance(hours=3)
    overdue = shop.support.overdue()
    assert [t.id for t in overdue] == [urgent.id] and overdue[0].overdue
    clock.advance(hours=70)
    assert [t.id for t in shop.support.overdue()] == [urgent.id, low.id]
    shop.support.resolve(urgent.id, "Reseated the antenna")
    assert [t.id for t in shop.support.overdue()] == [low.id]
    assert [t.id for t in shop.support.list("resolved")] == [urgent.id]


def test_escalation_needs_the_role_of_the_target_level(shop: Shop) -> None:
    owner = customer(shop)
    add_staff(shop, "fiona", "front_desk")
    add_staff(shop, "sam", "supervisor")
    add_staff(shop, "max", "manager")
    ticket = shop.support.open(owner, "Disputed charge", "").ticket.ticket
    shop.sign_in("fiona", TECH_SECRET)
    before = counts(shop)
    with pytest.raises(ValidationError) as err:
        shop.support.escalate(ticket.id, "supervisor")
    assert err.value.errors[0].rule == "escalation_role"
    assert counts(shop) == before
    shop.sign_in("sam", TECH_SECRET)
    moved = shop.support.escalate(ticket.id, "supervisor", "customer upset").ticket
    assert moved.ticket.level == "supervisor"
    with pytest.raises(ValidationError, match="only a manager or above"):
        shop.support.escalate(ticket.id, "manager")
    with pytest.raises(ValidationError) as err:
        shop.support.escalate(ticket.id, "front_desk")
    assert err.value.errors[0].rule == "escalation_direction"
    shop.sign_in("max", TECH_SECRET)
    shop.support.escalate(ticket.id, "manager")
    shop.sign_in("sam", TECH_SECRET)
    with pytest.raises(PermissionDenied, match="manager level"):
        shop.support.resolve(ticket.id, "Explained the charge")
    shop.sign_in("max", TECH_SECRET)
    done = shop.support.resolve(ticket.id, "Refunded the diagnosis fee", refund="15").ticket
    assert done.ticket.refund == Decimal("15.00") and done.ticket.status == "resolved"
    events = [(e.kind, e.from_level, e.to_level) for e in done.events]
    assert ("escalation", "front_desk", "supervisor") in events


def test_refunds_need_a_manager(shop: Shop) -> None:
    owner = customer(shop)
    add_staff(shop, "sam", "supervisor")
    ticket = shop.support.open(owner, "Charged twice", "").ticket.ticket
    shop.sign_in("sam", TECH_SECRET)
    before = counts(shop)
    with pytest.raises(PermissionDenied, match="refunds"):
        shop.support.resolve(ticket.id, "Refund", refund="10")
    with pytest.raises(ValidationError):
        shop.support.resolve(ticket.id, "Refund", refund="-10")
    assert counts(shop) == before
    assert shop.support.resolve(ticket.id, "Explained").ticket.ticket.refund is None


def test_complaints_need_a_manager_to_resolve(shop: Shop) -> None:
    owner = customer(shop)
    add_staff(shop, "fiona", "front_desk")
    ticket = shop.support.open(owner, "Rude staff", "", complaint=True).ticket.ticket
    shop.sign_in("fiona", TECH_SECRET)
    with pytest.raises(PermissionDenied, match="complaint"):
        shop.support.resolve(ticket.id, "Apologised")
    shop.sign_in("owner", OWNER_SECRET)
    assert shop.support.resolve(ticket.id, "Apologised").ticket.ticket.status == "resolved"


def test_complaint_steps_in_order_only(shop: Shop) -> None:
    owner = customer(shop)
    ticket = shop.support.open(owner, "Screen broke again", "", complaint=True).ticket.ticket
    before = counts(shop)
    with pytest.raises(ValidationError, match="only be recorded after"):
        shop.support.record_complaint_step(ticket.id, "investigation")
    assert counts(shop) == before
    detail = None
    for step in rules.STEPS:
        detail = shop.support.record_complaint_step(ticket.id, step, f"did {step}").ticket
    assert detail is not None
    assert detail.complaint_steps == tuple(s.value for s in rules.STEPS)
    assert detail.next_complaint_step is None
    with pytest.raises(ValidationError, match="already recorded"):
        shop.support.record_complaint_step(ticket.id, "satisfaction")
    plain = shop.support.open(owner, "Question", "").ticket.ticket
    with pytest.raises(ValidationError, match="not a complaint"):
        shop.support.record_complaint_step(plain.id, "registration")


def test_close_after_resolve(shop: Shop) -> None:
    owner = customer(shop)
    ticket = shop.support.open(owner, "Question", "").ticket.ticket
    with pytest.raises(ValidationError):
        shop.support.close(ticket.id)
    shop.support.resolve(ticket.id, "Answered")
    assert shop.support.close(ticket.id).ticket.ticket.status == "closed"
    with pytest.raises(ValidationError):
        shop.support.escalate(ticket.id, "owner")
