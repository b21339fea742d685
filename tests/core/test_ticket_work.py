"""Issue 12's repair fixes in the core: what is owed, the checklist's three answers, work
lines, the promised day, the board's counts and pages, money in the shop's locale."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from shopdesk.domain import checklist as checks
from shopdesk.domain import tickets as workflow
from shopdesk.domain.money import default_locale, format_money, settle
from shopdesk.domain.tickets import TicketStatus
from shopdesk.errors import ValidationError
from shopdesk.models import AuditEntry, ServicePart, TicketDevice, TicketWorkLine
from shopdesk.services.repairs.ticket_edits import WorkLineInput
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from tests.conftest import Clock
from tests.core.repair_helpers import (
    GALAXY,
    IPHONE,
    add_staff,
    counts,
    customer,
    imei,
    phone_input,
)
from tests.core.test_tickets import _no_keyring  # noqa: F401  (autouse: no real keyring)


def text(pdf: bytes) -> str:
    """The PDF's text with every run of white space as one space ("Balance due £0.00")."""
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
                    .split())


def ready_ticket(shop: Shop, owner: object = None, *, devices: int = 1, estimate: str = "89",
                 deposit: str = "20") -> tuple[object, list[object]]:
    owner = owner or customer(shop)
    items = [TicketDeviceIntake("Cracked screen", device=phone_input())]
    if devices > 1:
        items.append(TicketDeviceIntake("Battery", device=phone_input(
            GALAXY, make="Samsung", model="Galaxy S10")))
    t = shop.tickets.intake(TicketIntake(owner, items, estimate=estimate,  # type: ignore[arg-type]
                                         deposit=deposit)).ticket
    for step in ("diagnosing", "in_repair", "ready"):
        shop.tickets.change_status(t.summary.id, step)
    return t.summary.id, [d.device.id for d in t.devices]


def audit_actions(shop: Shop) -> list[str]:
    with shop.store.read() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


# -- what is owed -------------------------------------------------------------------------
def test_paid_pickup_leaves_nothing_due_on_screen_data_and_receipt(shop: Shop) -> None:
    ticket_id, _ = ready_ticket(shop)
    before = shop.tickets.get(ticket_id)
    assert before.balance_due == Decimal("69.00")  # the estimate less the deposit
    assert "Balance due £69.00" in text(shop.printing.receipt(ticket_id))
    done = shop.tickets.pickup(ticket_id, "89.00", "cash").ticket
    money = done.settlement
    assert (money.total, money.deposit, money.paid_now, money.balance) == (
        Decimal("89.00"), Decimal("20.00"), Decimal("69.00"), Decimal("0.00"))
    assert done.balance_due == Decimal("0.00")
    receipt = text(shop.printing.receipt(ticket_id))
    assert "Paid now (Cash)" in receipt and "£69.00" in receipt
    assert "Balance due £0.00" in receipt
    assert "£69.00" not in receipt.split("Balance due")[1]


def test_settle_rules() -> None:
    d = Decimal
    assert settle(d("50"), d("60"), None, False).balance == d("0.00")  # deposit covers it
    assert settle(None, d("0"), None, False).total == d("0.00")
    assert settle(d("80"), d("20"), None, True).balance == d("0.00")  # cancelled: nothing due
    assert settle(d("80"), d("20"), d("30"), True).paid_now == d("10.00")


# -- the checklist -------------------------------------------------------------------------
def test_checks_are_yes_no_or_not_tested_and_old_tickets_read_right(shop: Shop) -> None:
    owner = customer(shop)
    t = shop.tickets.intake(TicketIntake(owner, [TicketDeviceIntake(
        "No power", device=phone_input(), checklist={
            "Powers on": "not tested", "Screen cracked": checks.Check.YES,
            "Water damage": False, "Scratches": "back, left edge"})])).ticket
    stored = t.devices[0].checklist
    assert stored == {"Powers on": "not_tested", "Screen cracked": "yes",
                      "Water damage": "no", "Scratches": "back, left edge"}
    with shop.store.read() as s:
        raw = json.loads(s.scalar(select(TicketDevice.checklist)) or "{}")
    assert raw["Powers on"] == "not_tested" and raw["Water damage"] == "no"
    sheet = text(shop.printing.jobsheet(t.summary.id))
    for line in ("Powers on: Not tested", "Screen cracked: Yes", "Water damage: No",
                 "Scratches: back, left edge"):
        assert line in sheet
    # A ticket from before: booleans from tick boxes. An empty box was never an answer.
    with shop.store.write() as s:
        s.execute(update(TicketDevice).values(checklist=json.dumps(
            {"Powers on": False, "Screen cracked": True})))
    old = shop.tickets.get(t.summary.id).devices[0].checklist
    assert old == {"Powers on": "not_tested", "Screen cracked": "yes"}
    sheet = text(shop.printing.jobsheet(t.summary.id))
    assert "Powers on: Not tested" in sheet and "not:" not in sheet
    assert checks.summary(old) == "Powers on: Not tested · Screen cracked: Yes"
    with pytest.raises(ValidationError) as refused:
        shop.tickets.intake(TicketIntake(owner, [TicketDeviceIntake(
            "x", device=phone_input(GALAXY), checklist={"Powers on": 3})]))  # type: ignore[dict-item]
    assert refused.value.errors[0].field == "devices[0].checklist"


# -- work lines ----------------------------------------------------------------------------
def test_work_lines_edited_before_pickup_become_the_services_and_the_receipt(
        shop: Shop) -> None:
    ticket_id, (iphone, galaxy) = ready_ticket(shop, devices=2, estimate="120")
    saved = shop.tickets.set_work(ticket_id, [  # type: ignore[arg-type]
        WorkLineInput("Screen assembly", "part", "79.00", 1, "scr-13", iphone),
        WorkLineInput("Fit the screen", "labour", "30", device_id=iphone),
        WorkLineInput("Diagnosis", "labour", "10.50")]).ticket
    assert [w.description for w in saved.work] == ["Screen assembly", "Fit the screen",
                                                   "Diagnosis"]
    assert saved.work[0].sku == "SCR-13" and saved.work_total == Decimal("119.50")
    assert saved.settlement.balance == Decimal("99.50")  # the lines, less the deposit
    # edit one line, drop another, keep the ids: one audit entry per edit
    lines = [WorkLineInput(w.description, w.kind, w.unit_price, w.quantity, w.sku or "",
                           w.device_id, w.id) for w in saved.work]
    lines[1] = WorkLineInput("Fit the screen", "labour", "35", device_id=iphone,
                             id=saved.work[1].id)
    edited = shop.tickets.set_work(ticket_id, lines[:2]).ticket  # type: ignore[arg-type]
    assert [w.id for w in edited.work] == [saved.work[0].id, saved.work[1].id]
    assert edited.work_total == Decimal("114.00")
    assert audit_actions(shop).count("set_work") == 2
    with shop.store.read() as s:  # taken off, not deleted: synced rows never are
        gone = s.scalars(select(TicketWorkLine).where(
            TicketWorkLine.description == "Diagnosis")).one()
        assert gone.removed_at is not None

    before = counts(shop)
    for bad, field in (([WorkLineInput("", "part", "1")], "work[0].description"),
                       ([WorkLineInput("Glue", "part", "1", 0)], "work[0].quantity"),
                       ([WorkLineInput("Glue", "gift", "1")], "work[0].kind"),
                       ([WorkLineInput("Glue", "part", "-1")], "work[0].unit_price"),
                       ([WorkLineInput("Glue", "part", "1", device_id=ticket_id)],  # type: ignore[arg-type]
                        "work[0].device_id")):
        with pytest.raises(ValidationError) as refused:
            shop.tickets.set_work(ticket_id, bad)  # type: ignore[arg-type]
        assert refused.value.errors[0].field == field
    assert counts(shop) == before

    with pytest.raises(ValidationError, match=r"work lines add up to 114\.00"):
        shop.tickets.pickup(ticket_id, "120", "card")
    assert counts(shop) == before
    done = shop.tickets.pickup(ticket_id, "114.00", "card").ticket
    by_device = {s.device_id: s for s in done.services}
    assert by_device[iphone].total == Decimal("114.00")
    assert by_device[iphone].description == "Fit the screen"
    assert by_device[galaxy].total == Decimal("0.00")
    with shop.store.read() as s:
        assert [(p.name, p.sku) for p in s.scalars(select(ServicePart))] == [
            ("Screen assembly", "SCR-13")]
    receipt = text(shop.printing.receipt(ticket_id))
    assert "Screen assembly" in receipt and "Fit the screen" in receipt
    assert "Balance due £0.00" in receipt
    with pytest.raises(ValidationError, match="can no longer be changed"):
        shop.tickets.set_work(ticket_id, [])


def test_pickup_names_the_technician_of_an_unassigned_ticket(shop: Shop) -> None:
    tech = add_staff(shop, "tomas", "technician")
    ticket_id, _ = ready_ticket(shop)
    done = shop.tickets.pickup(ticket_id, "89", "cash", technician_id=tech).ticket
    assert done.summary.technician_id == tech and done.services[0].technician_id == tech
    assert shop.tickets.usual_payment_method() == "cash"


# -- the promised day, the next step -------------------------------------------------------------
def test_promised_day_from_the_setting_changed_and_refused_in_the_past(
        shop: Shop, clock: Clock) -> None:
    shop.settings.set("repairs.promised_days", "5")
    owner = customer(shop)
    today = clock.now.astimezone().date()
    t = shop.tickets.intake(TicketIntake(owner, [TicketDeviceIntake(
        "x", device=phone_input())])).ticket
    assert t.promised_by == today + timedelta(days=5)
    none = shop.tickets.intake(TicketIntake(owner, [TicketDeviceIntake(
        "y", device=phone_input(GALAXY, make="Samsung", model="S10"))], promised_by="")).ticket
    assert none.promised_by is None
    with pytest.raises(ValidationError, match="cannot be before today"):
        shop.tickets.set_promised_by(t.summary.id, today - timedelta(days=1))
    moved = shop.tickets.set_promised_by(t.summary.id, (today + timedelta(days=1)).isoformat())
    assert moved.ticket.promised_by == today + timedelta(days=1)
    assert "set_promised_by" in audit_actions(shop)
    clock.advance(days=3)
    assert moved.ticket.summary.overdue(clock.now.astimezone().date())


def test_next_step_follows_the_usual_path() -> None:
    S = TicketStatus
    assert workflow.next_step(S.RECEIVED, None) == S.DIAGNOSING
    assert workflow.next_step(S.DIAGNOSING, None) == S.AWAITING_APPROVAL
    assert workflow.next_step(S.DIAGNOSING, True) == S.IN_REPAIR
    assert workflow.next_step(S.AWAITING_PARTS, None) == S.IN_REPAIR
    assert workflow.next_step(S.IN_REPAIR, None) == S.READY
    assert workflow.next_step(S.READY, True) is None  # only by pickup
    assert workflow.next_step(S.COLLECTED, True) is None


# -- the board ---------------------------------------------------------------------------------
def test_board_counts_every_ticket_and_reads_it_by_pages(shop: Shop, clock: Clock) -> None:
    owner = customer(shop)
    numbers = []
    for n in range(60):
        t = shop.tickets.intake(TicketIntake(owner, [TicketDeviceIntake(
            f"fault {n}", device=phone_input(imei(f"35391110{n:06d}")))],
            promised_by=(clock.now.astimezone().date() + timedelta(days=1 + n % 3)))).ticket
        numbers.append(t.summary.number)
    shop.tickets.change_status(numbers[0], "diagnosing")
    clock.advance(days=2)  # a third are now past their promised day
    assert shop.tickets.count() == 60 and len(shop.tickets.board(limit=25)) == 25
    today = clock.now.astimezone().date()
    groups = {g.status: g for g in shop.tickets.board_groups(today=today)}
    assert groups["received"].count == 59 and groups["diagnosing"].count == 1
    assert groups["received"].overdue + groups["diagnosing"].overdue == 20
    assert groups["collected"].count == 0
    pages = [shop.tickets.board_page("received", offset, 25) for offset in (0, 25, 50)]
    assert [len(p) for p in pages] == [25, 25, 9]
    seen = [t.number for p in pages for t in p]
    assert len(set(seen)) == 59 and set(seen) == set(numbers[1:])
    promised = [t.promised_by for t in seen_rows(pages)]
    assert promised == sorted(promised)  # the earliest promise first
    assert all(t.overdue(today) for t in pages[0][:10])


def seen_rows(pages: list[list]) -> list:  # type: ignore[type-arg]
    return [t for p in pages for t in p]


# -- money in the shop's locale ------------------------------------------------------------------
def test_money_in_the_shops_currency_and_locale(shop: Shop) -> None:
    assert shop.settings.money_format() == ("GBP", "en_GB")
    shop.settings.set("phone.default_region", "DE")
    shop.settings.set("shop.currency", "EUR")
    assert shop.settings.money_format() == ("EUR", "de_DE")  # the region's usual locale
    assert format_money(Decimal("1234.5"), "EUR", "de_DE") == "1.234,50\xa0€"
    shop.settings.set("shop.locale", "fr-FR")
    assert shop.settings.get("shop.locale") == "fr_FR"
    with pytest.raises(ValidationError, match=r"shop\.locale"):
        shop.settings.set("shop.locale", "xx_nowhere")
    assert default_locale("GB") == "en_GB" and default_locale("FR") == "fr_FR"
    ticket_id, _ = ready_ticket(shop, customer(shop, phone="+44 7400 123456"))
    receipt = text(shop.printing.receipt(ticket_id))
    assert "89,00" in receipt and "€" in receipt


# -- devices on file -----------------------------------------------------------------------------
def test_intake_reuses_the_customers_device_and_names_another_owner(shop: Shop) -> None:
    ana = customer(shop)
    bob = customer(shop, "07400 654321", first="Bob")
    first = shop.tickets.intake(TicketIntake(ana, [TicketDeviceIntake(
        "x", device=phone_input())])).ticket
    again = shop.tickets.intake(TicketIntake(ana, [TicketDeviceIntake(
        "y", device=phone_input(make="", model=""))])).ticket  # the IMEI alone
    assert again.devices[0].device.id == first.devices[0].device.id
    before = counts(shop)
    with pytest.raises(ValidationError, match="already registered") as refused:
        shop.tickets.intake(TicketIntake(bob, [TicketDeviceIntake(
            "z", device=phone_input(IPHONE, make="", model=""))]))
    assert refused.value.errors[0].field == "imei"
    assert counts(shop) == before
    code = shop.customers.profile(ana).summary.code
    by_code = shop.tickets.intake(TicketIntake(code.lower(), [TicketDeviceIntake(
        "w", device_id=first.devices[0].device.id)])).ticket
    assert by_code.summary.customer_id == ana
