"""Repair tickets: intake, passcodes, the status workflow, pickup, warranty, numbers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import select

from shopdesk.domain import tickets as workflow
from shopdesk.domain.service_rules import PartInput, ServiceInput
from shopdesk.domain.tickets import TicketStatus
from shopdesk.errors import PermissionDenied, ValidationError
from shopdesk.models import TicketDevice
from shopdesk.services.repairs.tickets import PickupWork, TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from tests.conftest import OWNER_SECRET, Clock, fresh_root
from tests.core.repair_helpers import (
    GALAXY,
    IPHONE,
    IPHONE_2,
    TECH_SECRET,
    add_staff,
    counts,
    customer,
    phone_input,
)


@pytest.fixture(autouse=True)
def _no_keyring() -> Iterator[None]:
    # Never touch a developer's real keyring: the key goes to <data dir>/keys.
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def two_device_intake(shop: Shop, owner: object, **overrides: object) -> TicketIntake:
    base: dict[str, object] = dict(
        customer_id=owner, estimate="89,50", deposit="20", devices=[
            TicketDeviceIntake(fault="Cracked screen", device=phone_input(),
                               checklist={"powers_on": True, "scratches": "back"},
                               pre_existing_faults="Dent on the corner",
                               accessories="case", passcode="4821"),
            TicketDeviceIntake(fault="Battery drains", passcode="L-shape",
                               device=phone_input(GALAXY, make="Samsung",
                                                  model="Galaxy S10"))])
    base.update(overrides)
    return TicketIntake(**base)  # type: ignore[arg-type]


def test_intake_with_two_devices(shop: Shop) -> None:
    owner = customer(shop)
    saved = shop.tickets.intake(two_device_intake(shop, owner))
    ticket = saved.ticket
    assert ticket.summary.number == f"R-{shop.store.node_tag}-0001"
    assert ticket.summary.status == "received"
    assert ticket.summary.device_count == 2
    assert ticket.summary.devices == "Apple iPhone 13, Samsung Galaxy S10"
    assert ticket.summary.estimate == Decimal("89.50") and ticket.deposit == Decimal("20.00")
    # True is an explicit Yes; a note stays a note (see test_checklist_* below)
    assert ticket.devices[0].checklist == {"powers_on": "yes", "scratches": "back"}
    assert ticket.devices[0].pre_existing_faults == "Dent on the corner"
    assert all(d.has_passcode for d in ticket.devices)
    assert [(h.from_status, h.to_status, h.staff_name) for h in ticket.history] == [
        (None, "received", "Olivia Owner")]
    assert saved.changes.tickets == {ticket.summary.id}
    assert len(saved.changes.devices) == 2
    assert shop.tickets.get(ticket.summary.number.lower()) == ticket
    assert shop.tickets.get(ticket.summary.id) == ticket
    assert [t.id for t in shop.tickets.for_customer(owner)] == [ticket.summary.id]


def test_intake_of_a_known_device(shop: Shop) -> None:
    owner = customer(shop)
    device = shop.devices.register(owner, phone_input()).device
    ticket = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("No sound", device_id=device.id)])).ticket
    assert ticket.devices[0].device.id == device.id
    assert not ticket.devices[0].has_passcode


def test_passcode_encrypted_at_rest_revealed_to_the_assigned_technician_only(
        shop: Shop) -> None:
    owner = customer(shop)
    tech = add_staff(shop, "tomas", "technician")
    other = add_staff(shop, "tina", "technician")
    ticket = shop.tickets.intake(two_device_intake(shop, owner)).ticket
    device_id = ticket.devices[0].device.id
    with shop.store.read() as session:
        stored = session.scalars(select(TicketDevice.passcode_encrypted)).all()
    assert all(s and "4821" not in s and "L-shape" not in s for s in stored)
    assert (shop.root / "keys" / "passcode.key").is_file()
    with pytest.raises(PermissionDenied, match="only the technician assigned"):
        shop.tickets.reveal_passcode(ticket.summary.id, device_id)  # owner, not assigned
    shop.tickets.assign(ticket.summary.id, tech)
    shop.sign_in("tina", TECH_SECRET)
    with pytest.raises(PermissionDenied):
        shop.tickets.reveal_passcode(ticket.summary.id, device_id)
    shop.sign_in("tomas", TECH_SECRET)
    assert shop.tickets.reveal_passcode(ticket.summary.id, device_id) == "4821"
    assert other != tech
    shop.sign_in("owner", OWNER_SECRET)
    entries = shop.audit.entries("repair_ticket", ticket.summary.id)
    assert [e.action for e in entries if e.action == "reveal_passcode"] == ["reveal_passcode"]
    assert "4821" not in str([e.detail for e in entries])


def test_invalid_intake_changes_nothing(shop: Shop) -> None:
    owner = customer(shop)
    before = counts(shop)
    bad_imei = IPHONE[:-1] + str((int(IPHONE[-1]) + 1) % 10)
    with pytest.raises(ValidationError) as err:
        shop.tickets.intake(TicketIntake(owner, [
            TicketDeviceIntake("Screen", device=phone_input(bad_imei))], estimate="-5"))
    rules = {e.rule for e in err.value.errors}
    assert {"imei_check_digit", "money_negative"} <= rules
    assert err.value.for_field("devices[0].imei") is not None
    with pytest.raises(ValidationError):
        shop.tickets.intake(TicketIntake(owner, []))
    with pytest.raises(ValidationError):
        shop.tickets.intake(TicketIntake(owner, [TicketDeviceIntake("", device=phone_input())]))
    assert counts(shop) == before


@pytest.mark.parametrize("start,target", sorted(
    (a.value, b.value) for a, targets in workflow.TRANSITIONS.items() for b in targets
    if b != TicketStatus.COLLECTED))
def test_every_allowed_transition(shop: Shop, start: str, target: str) -> None:
    owner = customer(shop)
    ticket = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("Screen", device=phone_input())])).ticket
    path = _path_to(TicketStatus(start))
    for step in path:
        shop.tickets.change_status(ticket.summary.id, step)
    saved = shop.tickets.change_status(ticket.summary.id, target, note="moved")
    assert saved.ticket.summary.status == target
    last = saved.ticket.history[-1]
    assert (last.from_status, last.to_status, last.note) == (start, target, "moved")
    assert last.staff_name == "Olivia Owner"


def _path_to(status: TicketStatus) -> list[TicketStatus]:
    """A shortest way from received to `status` through the transition table."""
    frontier: list[list[TicketStatus]] = [[TicketStatus.RECEIVED]]
    while frontier:
        path = frontier.pop(0)
        if path[-1] == status:
            return path[1:]
        frontier += [[*path, n] for n in workflow.next_statuses(path[-1]) if n not in path]
    raise AssertionError(status)


@pytest.mark.parametrize("path,target,rule", [
    ([], "ready", "status_transition"),
    ([], "received", "status_transition"),
    (["cancelled"], "diagnosing", "status_transition"),
    (["diagnosing", "ready"], "collected", "use_pickup"),
    ([], "fixed", "choice"),
])
def test_forbidden_transitions_change_nothing(shop: Shop, path: list[str], target: str,
                                              rule: str) -> None:
    owner = customer(shop)
    ticket = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("Screen", device=phone_input())])).ticket
    for step in path:
        shop.tickets.change_status(ticket.summary.id, step)
    before = counts(shop)
    with pytest.raises(ValidationError) as err:
        shop.tickets.change_status(ticket.summary.id, target)
    assert err.value.errors[0].rule == rule
    assert counts(shop) == before


def test_refusal_names_both_statuses() -> None:
    with pytest.raises(ValidationError, match="received cannot move to ready"):
        workflow.check_move("received", "ready")
    with pytest.raises(ValidationError, match="collected, which is final"):
        workflow.check_move("collected", "in_repair")
    assert workflow.can_move("ready", "collected")
    assert not workflow.can_move("cancelled", "received")


def test_approval_and_estimate(shop: Shop) -> None:
    owner = customer(shop)
    ticket = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("Screen", device=phone_input())])).ticket
    with pytest.raises(ValidationError):
        shop.tickets.record_approval(ticket.summary.id, True)
    shop.tickets.set_estimate(ticket.summary.id, "120")
    approved = shop.tickets.record_approval(ticket.summary.id, True).ticket
    assert approved.estimate_approved is True and approved.approved_at is not None
    reset = shop.tickets.set_estimate(ticket.summary.id, "150").ticket
    assert reset.estimate_approved is None and reset.summary.estimate == Decimal("150.00")


def _ready(shop: Shop, ticket_id: object) -> None:
    for step in ("diagnosing", "in_repair", "ready"):
        shop.tickets.change_status(ticket_id, step)  # type: ignore[arg-type]


def test_pickup_writes_services_starts_warranty_and_erases_passcodes(
        shop: Shop, clock: Clock) -> None:
    owner = customer(shop)
    tech = add_staff(shop, "tomas", "technician")
    ticket = shop.tickets.intake(two_device_intake(shop, owner, technician_id=tech)).ticket
    ids = [d.device.id for d in ticket.devices]
    _ready(shop, ticket.summary.id)
    before = counts(shop)
    with pytest.raises(ValidationError, match=r"add up to 70\.00"):
        shop.tickets.pickup(ticket.summary.id, "99", "card", work=[
            PickupWork(ids[0], "New screen", [PartInput("Screen", 1, "50")], "20")])
    with pytest.raises(ValidationError):
        shop.tickets.pickup(ticket.summary.id, "70", "cheque")
    assert counts(shop) == before
    done = shop.tickets.pickup(ticket.summary.id, "70", "card", satisfaction=5, work=[
        PickupWork(ids[0], "New screen", [PartInput("Screen", 1, "50")], "20")]).ticket
    assert done.summary.status == "collected" and done.collected_at is not None
    # Paid in full at pickup: nothing is still due (the receipt says the same).
    assert done.final_amount == Decimal("70.00") and done.balance_due == Decimal("0.00")
    assert done.settlement.paid_now == Decimal("50.00")
    assert not any(d.has_passcode for d in done.devices)
    with shop.store.read() as session:
        assert session.scalars(select(TicketDevice.passcode_encrypted)).all() == [None, None]
    services = {s.device_id: s for s in done.services}
    assert services[ids[0]].total == Decimal("70.00")
    assert services[ids[0]].parts[0].unit_price == Decimal("50.00")
    assert services[ids[0]].technician_name == "Tomas"
    assert services[ids[1]].total == Decimal("0.00") and services[ids[1]].kind == "repair"
    assert services[ids[0]].payment_method == "card" and services[ids[0]].satisfaction == 5
    expected = clock.now.date() + timedelta(days=90)
    assert shop.devices.get(ids[0]).shop_warranty_until == expected
    assert shop.service_records.for_device(ids[0])[0].ticket_id == ticket.summary.id
    assert len(shop.service_records.for_customer(owner)) == 2
    with pytest.raises(ValidationError, match="final"):
        shop.tickets.change_status(ticket.summary.id, "in_repair")


def test_pickup_without_breakdown_splits_the_amount(shop: Shop) -> None:
    owner = customer(shop)
    ticket = shop.tickets.intake(two_device_intake(shop, owner)).ticket
    _ready(shop, ticket.summary.id)
    done = shop.tickets.pickup(ticket.summary.id, "100.01", "cash").ticket
    assert sorted(s.total for s in done.services) == [Decimal("50.00"), Decimal("50.01")]


def test_repair_under_warranty_is_flagged_as_rework(shop: Shop, clock: Clock) -> None:
    shop.settings.set("repairs.warranty_days", "30")
    owner = customer(shop)
    first = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("Screen", device=phone_input())])).ticket
    assert not first.summary.warranty_rework
    device_id = first.devices[0].device.id
    _ready(shop, first.summary.id)
    shop.tickets.pickup(first.summary.id, "80", "cash")
    clock.advance(days=20)
    again = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("Screen flickers again", device_id=device_id)])).ticket
    assert again.summary.warranty_rework
    _ready(shop, again.summary.id)
    rework = shop.tickets.pickup(again.summary.id, "0", None).ticket
    assert rework.services[0].kind == "warranty_claim"
    clock.advance(days=60)
    later = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("Water damage", device_id=device_id)])).ticket
    assert not later.summary.warranty_rework


def test_history_across_owners_newest_first(shop: Shop, clock: Clock) -> None:
    first = customer(shop)
    second = customer(shop, "07400 123457", "Ben")
    ticket = shop.tickets.intake(two_device_intake(shop, first)).ticket
    device_id = ticket.devices[0].device.id
    clock.advance(days=1)
    shop.devices.change_owner(device_id, second)
    clock.advance(days=1)
    shop.service_records.record(ServiceInput(
        second, "part_purchase", "Tempered glass", device_id=device_id,
        parts=[PartInput("Glass protector", 2, "7.5")], payment_method="cash"))
    history = shop.devices.history_of(IPHONE)
    assert [e.entry for e in history.entries] == ["service", "ticket"]
    service, repair = history.entries
    assert (service.owner_id, service.amount) == (second, Decimal("15.00"))
    assert (repair.owner_id, repair.title) == (first, ticket.summary.number)
    assert repair.pre_existing_faults == "Dent on the corner"
    assert repair.description == "Cracked screen"


def test_board_filters_and_orders(shop: Shop) -> None:
    owner = customer(shop)
    tech = add_staff(shop, "tomas", "technician")
    a = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("A", device=phone_input())])).ticket.summary.id
    b = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("B", device=phone_input(GALAXY))], technician_id=tech)
    ).ticket.summary.id
    shop.tickets.change_status(a, "diagnosing")
    assert [t.id for t in shop.tickets.board()] == [a, b]
    assert [t.id for t in shop.tickets.board(status="received")] == [b]
    assert [t.id for t in shop.tickets.board(technician_id=tech)] == [b]
    assert shop.tickets.board(technician_id=tech)[0].technician_name == "Tomas"
    shop.tickets.change_status(a, "cancelled")
    assert [t.id for t in shop.tickets.board()] == [b]
    assert len(shop.tickets.board(include_closed=True)) == 2
    assert len(shop.tickets.board(limit=1, include_closed=True)) == 1


def test_ticket_numbers_unique_across_two_counters(template_db: Path, tmp_path: Path,
                                                   clock: Clock) -> None:
    numbers = set()
    for name in ("counter-a", "counter-b"):
        shop = Shop.open(fresh_root(template_db, tmp_path / name), clock=clock)
        shop.staff.create_owner("owner", "Olivia Owner", OWNER_SECRET)
        shop.sign_in("owner", OWNER_SECRET)
        owner = customer(shop)
        for _ in range(2):
            numbers.add(shop.tickets.intake(TicketIntake(owner, [
                TicketDeviceIntake("x", device=phone_input(IPHONE, imei="",
                                                           serial=f"SN{len(numbers)}"))])
            ).ticket.summary.number)
        shop.close()
    assert len(numbers) == 4
    assert all(workflow.looks_like_ticket_number(n) for n in numbers)


def test_board_can_show_only_unassigned(shop: Shop) -> None:
    owner = customer(shop)
    tech = add_staff(shop, "tech", "technician")
    first = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("No power", device=phone_input())])).ticket.summary.id
    second = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("Cracked", device=phone_input(IPHONE_2))])).ticket.summary.id
    shop.tickets.assign(first, tech)
    assert [t.id for t in shop.tickets.board(unassigned=True)] == [second]
    assert [t.id for t in shop.tickets.board(technician_id=tech)] == [first]
    assert {t.id for t in shop.tickets.board()} == {first, second}
