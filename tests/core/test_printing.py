"""Printed documents read back with pypdf: receipts, labels, job sheets, feedback, reports."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from pypdf import PdfReader
from reportlab.lib.units import mm

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.domain.service_rules import PartInput
from shopdesk.printing import device_labels, summary_report
from shopdesk.printing.common import fit_code128
from shopdesk.printing.data import (
    CountRow,
    DeviceLine,
    LabelData,
    ReportData,
    ShopHeader,
    TicketRow,
)
from shopdesk.services.repairs.tickets import PickupWork, TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from tests.core.repair_helpers import GALAXY, IPHONE, imei, phone_input

NAMES = ["Łukasz Żółć", "Řehoř Dvořák", "Şükrü Güneş", "Αλέξανδρος Παπαδόπουλος",
         "Дмитрий Иванов"]


@pytest.fixture(autouse=True)
def _no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def pages(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def size_mm(pdf: bytes, index: int = 0) -> tuple[float, float]:
    box = PdfReader(io.BytesIO(pdf)).pages[index].mediabox
    return round(float(box.width) / mm, 1), round(float(box.height) / mm, 1)


def collected_ticket(shop: Shop, full_name: str = "Łukasz Żółć",
                     phone: str = "07400 123456", seq: int = 0) -> str:
    """A two-device ticket taken in, made ready and picked up through the facade."""
    first, last = full_name.split(" ", 1)
    owner = shop.customers.register(CustomerInput(first_name=first, last_name=last,
                                                  phone=phone)).customer.id
    ticket = shop.tickets.intake(TicketIntake(owner, estimate="140", deposit="20", devices=[
        TicketDeviceIntake("Cracked screen", device=phone_input(
            imei(f"3539111099{seq:04d}") if seq else IPHONE),
                           checklist={"powers_on": True, "scratches": "back"},
                           accessories="case"),
        TicketDeviceIntake("Battery drains", device=phone_input(
            imei(f"3529161299{seq:04d}") if seq else GALAXY, make="Samsung",
            model="Galaxy S10"))])).ticket
    tid = ticket.summary.id
    shop.tickets.change_status(tid, "in_repair")
    shop.tickets.change_status(tid, "ready")
    devices = [d.device.id for d in ticket.devices]
    shop.tickets.pickup(tid, "139.50", "card", work=[
        PickupWork(devices[0], "New screen", [PartInput("Screen assembly", 1, "79.00"),
                                              PartInput("Adhesive strip", 2, "2.50")], "25"),
        PickupWork(devices[1], "Battery", [], "30.50")])
    return ticket.summary.number


def configure(shop: Shop, **values: str) -> None:
    base = {"shop.name": "Fix-It Phones", "shop.address": "12 High Street, London",
            "shop.phone": "+44 20 7946 0000", "shop.tax_rate": "20"}
    base.update(values)
    for key, value in base.items():
        shop.settings.set(key, value)


def test_receipt_on_80mm_roll_has_everything(shop: Shop) -> None:
    configure(shop)
    number = collected_ticket(shop)
    pdf = shop.printing.receipt(number)
    text = pages(pdf)
    assert len(text) == 1
    width, height = size_mm(pdf)
    assert width == 80.0 and height > 100
    body = text[0]
    for expected in ("Fix-It Phones", "12 High Street, London", "+44 20 7946 0000",
                     "Łukasz Żółć", number, IPHONE, GALAXY, "Screen assembly", "£79.00",
                     "Adhesive strip", "£5.00", "£30.50", "£139.50", "£23.25", "£20.00",
                     "£119.50", "Paid now (Card)", "Balance due", "£0.00", "Warranty until",
                     "incl. tax 20%"):
        assert expected in body, expected


def test_receipt_on_a4_and_letter(shop: Shop) -> None:
    configure(shop, **{"print.receipt_paper": "a4"})
    number = collected_ticket(shop)
    pdf = shop.printing.receipt(number)
    assert size_mm(pdf) == (210.0, 297.0)
    assert "£139.50" in pages(pdf)[0] and number in pages(pdf)[0]
    assert size_mm(shop.printing.receipt(number, "letter")) == (215.9, 279.4)


def test_receipt_before_pickup_shows_deposit_against_estimate(shop: Shop) -> None:
    owner = shop.customers.register(CustomerInput(
        first_name="Ana", last_name="López", phone="07400 123456")).customer.id
    number = shop.tickets.intake(TicketIntake(owner, [TicketDeviceIntake(
        "Cracked screen", device=phone_input())], estimate="89.50", deposit="20")).ticket \
        .summary.number
    body = pages(shop.printing.receipt(number))[0]
    assert "£89.50" in body and "£20.00" in body and "£69.50" in body


@pytest.mark.parametrize("name", NAMES)
def test_names_in_every_script_print_intact(shop: Shop, name: str) -> None:
    number = collected_ticket(shop, name)
    for pdf in (shop.printing.receipt(number), shop.printing.receipt(number, "a4"),
                shop.printing.jobsheet(number), shop.printing.labels(number),
                shop.printing.feedback(number)):
        assert name in " ".join(pages(pdf))


def test_labels_one_per_device_on_62x29(shop: Shop) -> None:
    number = collected_ticket(shop)
    pdf = shop.printing.labels(number)
    text = pages(pdf)
    assert len(text) == 2
    assert all(size_mm(pdf, i) == (62.0, 29.0) for i in range(2))
    assert all(number in t and "Łukasz Żółć" in t for t in text)
    assert "Apple iPhone 13" in text[0] and "Samsung Galaxy S10" in text[1]
    assert "1/2" in text[0] and "2/2" in text[1]


def test_label_barcode_fits_the_label_whatever_the_number() -> None:
    for number in ("R-AB12-0001", "R-ABCDEFGH-12345678901234"):
        for width in (62 * mm, 2.25 * 72):
            barcode = fit_code128(number, width - 4 * mm, 8 * mm)
            assert barcode.width <= width - 4 * mm
    pdf = device_labels(LabelData("R-ABCDEFGH-1234567", "A very long customer name " * 3,
                                  (DeviceLine("Apple", "iPhone 13", IPHONE),),
                                  size="2.25x1.25in"))
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((162.0, 90.0))
    assert "R-ABCDEFGH-1234567" in pages(pdf)[0]


def test_job_sheet(shop: Shop) -> None:
    configure(shop)
    number = collected_ticket(shop, "Řehoř Dvořák")
    pdf = shop.printing.jobsheet(number)
    assert size_mm(pdf) == (210.0, 297.0)
    body = " ".join(pages(pdf))
    for expected in ("JOB SHEET", number, "Řehoř Dvořák", "+447400123456", IPHONE,
                     "Cracked screen", "Battery drains", "Scratches: back", "Powers on",
                     "case", "£140.00", "£20.00", "Terms and conditions",
                     "Customer signature", "At pickup", "At intake", "Page 1 of 1"):
        assert expected in body, expected


def test_feedback_form_with_and_without_survey(shop: Shop) -> None:
    number = collected_ticket(shop, "Şükrü Güneş")
    body = pages(shop.printing.feedback(number))[0]
    assert number in body and "Şükrü Güneş" in body and "recommend" in body
    assert "Prefer to answer online" not in body
    shop.settings.set("shop.survey_url", "https://fixit.example.com/survey")
    body = pages(shop.printing.feedback(number))[0]
    assert "https://fixit.example.com/survey" in body


def test_summary_report_from_the_database(shop: Shop) -> None:
    configure(shop)
    numbers = [collected_ticket(shop, name, f"07400 12345{i}", seq=i + 1)
               for i, name in enumerate(NAMES)]
    today = shop.store.clock().astimezone().date()
    text = pages(shop.printing.summary_report(today, today))
    body = " ".join(text)
    assert "Page 1 of" in text[0]
    for expected in ("Fix-It Phones", "New customers by registration channel", "Walk-in",
                     "Tickets by status", "Collected", "Tickets by technician",
                     "Revenue by service type", "Repair", "£697.50", *numbers, *NAMES):
        assert expected in body, expected


def test_summary_report_flows_over_many_pages() -> None:
    rows = tuple(TicketRow(f"R-AB12-{i:04d}", date(2026, 11, 1), NAMES[i % 5], "Tomasz",
                           "Collected", "Apple iPhone 13", Decimal("49.50"))
                 for i in range(400))
    data = ReportData(ShopHeader("Fix-It Phones"), date(2026, 11, 1), date(2026, 11, 30),
                      datetime(2026, 12, 1, 9, 0), (CountRow("Walk-in", 3),),
                      (CountRow("Collected", 400),), (CountRow("Tomasz", 400, Decimal(1)),),
                      (CountRow("Repair", 400, Decimal("19800.00")),), rows)
    text = pages(summary_report(data))
    count = len(text)
    assert count >= 6
    assert all(f"Page {i} of {count}" in t for i, t in enumerate(text, start=1))
    assert "R-AB12-0399" in text[-1] and "Ticket" in text[-1]  # header repeated


def test_report_refuses_reversed_dates(shop: Shop) -> None:
    from shopdesk.errors import ValidationError

    with pytest.raises(ValidationError):
        shop.printing.summary_report(date(2026, 2, 1), date(2026, 1, 1))


def test_unknown_ticket(shop: Shop) -> None:
    from shopdesk.errors import NotFound

    with pytest.raises(NotFound):
        shop.printing.receipt("R-NOPE-0001")


def test_logo_is_drawn_and_a_broken_logo_is_skipped(shop: Shop, tmp_path: Path) -> None:
    from PIL import Image

    good = tmp_path / "logo.png"
    Image.new("RGB", (300, 100), (47, 109, 181)).save(good)
    broken = tmp_path / "broken.png"
    Image.new("RGB", (300, 100), (47, 109, 181)).save(broken)
    number = collected_ticket(shop)
    plain = shop.printing.receipt(number)
    shop.settings.set("shop.logo_path", str(good))
    with_logo = shop.printing.receipt(number)
    assert len(PdfReader(io.BytesIO(with_logo)).pages[0].images) == 1
    assert size_mm(with_logo)[1] > size_mm(plain)[1]  # the roll grows to fit it
    shop.settings.set("shop.logo_path", str(broken))
    broken.write_bytes(b"not a png")  # damaged after it was set (a non-image is refused)
    assert "£139.50" in pages(shop.printing.receipt(number))[0]


def test_label_stock_follows_the_setting(shop) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader
    from reportlab.lib.units import inch

    from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
    from tests.core.repair_helpers import customer, phone_input

    owner = customer(shop)
    number = shop.tickets.intake(TicketIntake(owner, [TicketDeviceIntake(
        "No power", device=phone_input())])).ticket.summary.number
    shop.settings.set("print.label_size", "2.25x1.25in")
    page = PdfReader(io.BytesIO(shop.printing.labels(number))).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (
        round(2.25 * inch), round(1.25 * inch))
