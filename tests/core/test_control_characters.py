"""Terminal and display control codes stay out of stored text and off the terminal
(issue 10, item 10).

Every free-text field of every form refuses NUL, ESC, BEL, BS, DEL, C1 codes and the
bidi overrides (RLO...) with a FieldError naming the field and the rule; tab and
line breaks keep working. Text that got in anyway (an older version, another
counter) is printed by the command line with each control code escaped.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from shopdesk.cli import main
from shopdesk.domain.customer_rules import CustomerInput, Policy, clean_customer
from shopdesk.domain.device_rules import DeviceInput, clean_device
from shopdesk.domain.service_rules import PartInput, ServiceInput
from shopdesk.errors import ValidationError
from shopdesk.services.repairs.tickets import PickupWork, TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop

BAD = {"NUL": "\x00", "BEL": "\x07", "BS": "\x08", "ESC": "\x1b", "DEL": "\x7f",
       "CSI": "\x9b", "RLO": "\u202e", "LRI": "\u2066"}
TODAY = date(2026, 11, 24)


def rules_of(exc: pytest.ExceptionInfo[ValidationError]) -> set[tuple[str, str]]:
    return {(e.field, e.rule) for e in exc.value.errors}


@pytest.mark.parametrize("name", list(BAD))
def test_customer_fields_refuse_control_characters(name: str) -> None:
    char = BAD[name]
    for field in ("first_name", "last_name", "company", "address_line1", "city", "notes",
                  "occupation", "postcode"):
        values = {"first_name": "Ana", "last_name": "Lima", "phone": "+447400123456",
                  field: f"Ana{char}[31m"}
        data = CustomerInput(**values)
        with pytest.raises(ValidationError) as exc:
            clean_customer(data, Policy(), TODAY)
        assert (field, "control_character") in rules_of(exc)
        assert name in exc.value.for_field(field).message  # type: ignore[union-attr]


def test_whitespace_and_rtl_marks_are_still_fine() -> None:
    clean = clean_customer(CustomerInput(
        first_name="Ana\tMaria", last_name="\u200fכהן\u200f", phone="+447400123456",
        notes="line one\r\nline\ttwo"), Policy(), TODAY)
    assert clean["first_name"] == "Ana Maria"  # a pasted tab is a space, as before
    assert clean["notes"] == "line one\r\nline\ttwo"
    assert clean["last_name"] == "\u200fכהן\u200f"  # right-to-left marks are not overrides


def test_devices_and_parts_refuse_them() -> None:
    with pytest.raises(ValidationError) as exc:
        clean_device(DeviceInput(make="Apple\x07", model="iPhone\u202e31"), TODAY)
    assert rules_of(exc) >= {("make", "control_character"), ("model", "control_character")}


def test_every_form_refuses_them(shop: Shop, tmp_path: Path) -> None:
    customer = shop.customers.register(CustomerInput(
        first_name="Ana", last_name="Lima", phone="+447400123456")).customer.id
    fine = TicketDeviceIntake(fault="Cracked screen",
                              device=DeviceInput(make="Apple", model="iPhone 12"))
    cases = [
        ("devices[0].fault", lambda: shop.tickets.intake(TicketIntake(customer, [
            TicketDeviceIntake(fault="Cracked\x1b[2J", device=fine.device)]))),
        ("devices[0].accessories", lambda: shop.tickets.intake(TicketIntake(customer, [
            TicketDeviceIntake(fault="x", accessories="case\x08", device=fine.device)]))),
        ("devices[0].checklist name", lambda: shop.tickets.intake(TicketIntake(customer, [
            TicketDeviceIntake(fault="x", checklist={"Powers on\x07": True},
                               device=fine.device)]))),
        ("devices[0].make", lambda: shop.tickets.intake(TicketIntake(customer, [
            TicketDeviceIntake(fault="x", device=DeviceInput(make="A\x00", model="B"))]))),
        ("note", lambda: shop.tickets.intake(TicketIntake(customer, [fine], note="\u202e"))),
        ("subject", lambda: shop.support.open(customer, "Refund\x1b", "desc")),
        ("description", lambda: shop.support.open(customer, "Refund", "desc\x07")),
        ("display_name", lambda: shop.staff.create("tomas", "Tomas\x1b[5m", "technician",
                                                   "123456")),
        ("shop.name", lambda: shop.settings.set("shop.name", "Shop\x1b]0;pwned\x07")),
        ("description", lambda: shop.service_records.record(ServiceInput(
            customer, "part_purchase", "Cable\x7f"))),
        ("parts[0].name", lambda: shop.service_records.record(ServiceInput(
            customer, "part_purchase", "Cable", parts=[PartInput("USB\u2066C")]))),
        ("title", lambda: shop.documents.attach(customer, _doc(tmp_path), "other",
                                                "ID\x1b")),
    ]
    for field, call in cases:
        with pytest.raises(ValidationError) as exc:
            call()
        assert (field, "control_character") in rules_of(exc), field
    ticket = shop.tickets.intake(TicketIntake(customer, [fine])).ticket
    with pytest.raises(ValidationError) as exc:
        shop.tickets.change_status(ticket.summary.id, "diagnosing", note="ok\x1b")
    assert ("note", "control_character") in rules_of(exc)
    with pytest.raises(ValidationError) as exc:
        shop.tickets.pickup(ticket.summary.id, "0", None, work=[PickupWork(
            ticket.devices[0].device.id, description="Screen\x9b")])
    assert ("work[0].description", "control_character") in rules_of(exc)
    support = shop.support.open(customer, "Slow", "It is slow").ticket.ticket.id
    for call in (lambda: shop.support.add_note(support, "\x1bc"),
                 lambda: shop.support.escalate(support, "supervisor", "\x07"),
                 lambda: shop.support.resolve(support, "done\u202e")):
        with pytest.raises(ValidationError, match="control character"):
            call()
    staff = shop.staff.create("tomas", "Tomas", "technician", "123456")
    with pytest.raises(ValidationError, match="display_name: contains the control"):
        shop.staff.update(staff.id, display_name="Tomas\x1b")
    assert shop.audit.verify().ok


def _doc(tmp_path: Path) -> Path:
    path = tmp_path / "id.pdf"
    path.write_bytes(b"%PDF-1.4 test")
    return path


def test_shown_escapes_what_a_terminal_would_act_on() -> None:
    from shopdesk.cli.common import shown

    assert shown("Ana\x1b[2J\x07\u202eLima\r\n") == "Ana\\u001b[2J\\u0007\\u202eLima\\u000d\n"
    assert shown("tab\tand line\nstay") == "tab\tand line\nstay"
    assert json.loads(shown(json.dumps("a\u202eb\x9b", ensure_ascii=False))) == "a\u202eb\x9b"


def _smuggle(shop: Shop, customer: UUID, name: str) -> None:
    # As an older version or another counter could have stored it.
    with shop.store.write() as session:
        session.connection().exec_driver_sql(
            "UPDATE customers SET last_name = ? WHERE id = ?", (name, customer.hex))
        session.connection().exec_driver_sql(
            "UPDATE staff SET display_name = ?", (f"Owner{name}",))


def test_the_command_line_escapes_stored_control_characters(
        shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    customer = shop.customers.register(CustomerInput(
        first_name="Evil", last_name="Lima", phone="+447400123456")).customer.id
    name = "Lima\x1b]0;owned\x07\x1b[2J\u202e\x9b"
    _smuggle(shop, customer, name)
    home = ["--data-dir", str(shop.root)]
    for args in (["search", "+447400123456"], ["staff", "list"],
                 ["search", "+447400123456", "--json"], ["staff", "list", "--json"]):
        assert main([*args, *home]) == 0
        out, err = capsys.readouterr()
        for char in ("\x1b", "\x07", "\u202e", "\x9b"):
            assert char not in out and char not in err, args
        assert "\\u001b" in out
    assert main(["search", "+447400123456", "--json", *home]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["results"][0]["name"] == f"Evil {name}"  # JSON still says it exactly


def test_imported_rows_with_control_characters_are_rejected(shop: Shop, tmp_path: Path) -> None:
    source = tmp_path / "esc.csv"
    source.write_text("first_name,last_name,phone\nAna,\x1b[31mLima,07400 700001\n"
                      "Rui,Costa,07400 700002\n", encoding="utf-8")
    report = shop.transfer.import_csv(source)
    assert report.imported == 1
    [rejected] = report.rejected
    assert (rejected.line, rejected.field) == (2, "last_name")
    assert "control character U+001B (ESC)" in rejected.reason
