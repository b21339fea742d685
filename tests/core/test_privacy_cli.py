"""The privacy verbs of the command line (issue 15) and the access log they feed."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from shopdesk.cli import main
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop
from tests.core.repair_helpers import IPHONE, phone_input


@pytest.fixture
def coded(shop: Shop, tmp_path: Path) -> tuple[Shop, str, str]:
    """A customer with a document and a merged-away copy, by code; the shop is closed."""
    ana = shop.customers.register(CustomerInput(
        first_name="Ana", last_name="López", phone="07400 123456", email="ana@example.com",
        marketing_opt_in=True)).customer
    old = shop.customers.register(CustomerInput(
        first_name="Ana", last_name="Lopez", phone="07400 111222",
        notes="registered twice")).customer
    shop.sync.merge(ana.id, old.id)
    photo = tmp_path / "signed form.pdf"
    photo.write_bytes(b"%PDF signed by Ana")
    shop.documents.attach(ana.id, photo, "signed_form", "Repair terms")
    shop.devices.register(ana.id, phone_input(IPHONE))
    root = str(shop.root)
    shop.close()
    return shop, root, ana.code


def test_export_data_writes_everything_held(coded: tuple[Shop, str, str], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _, root, code = coded
    out = tmp_path / "ana.zip"
    assert main(["customers", "export-data", code, "--out", str(out), "--data-dir", root]) == 0
    assert out.name in capsys.readouterr().out
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        data = json.loads(z.read("data.json"))
        readme = z.read("README.txt").decode()
        doc = next(n for n in names if n.startswith("documents/"))
        stored = z.read(doc)
    assert data["format"] == "shopdesk-personal-data/1"
    people = {(r["first_name"], r["last_name"]) for r in data["tables"]["customers"]}
    assert people == {("Ana", "López"), ("Ana", "Lopez")}  # the merged copy too
    assert data["tables"]["devices"][0]["imei"] == IPHONE
    # the person's consents, whichever of the merged records holds them
    assert {c["purpose"] for held in data["consents"].values() for c in held["history"]} >= {
        "marketing_email"}
    assert any(e["action"] == "create" and e["detail"]["fields"]["first_name"][1] == "Ana"
               for e in data["audit"])
    assert hashlib.sha256(stored).hexdigest() == data["documents"][0]["sha256"]
    assert "data.json" in readme and code in readme
    with Shop.open(root) as shop:
        shop.act_as_system("test")
        assert shop.audit.entries(entity="customer")[0].action == "export_data"
    assert main(["customers", "export-data", code, "--out", str(tmp_path / "x.txt"),
                 "--data-dir", root]) == 1
    err = capsys.readouterr().err
    assert err.startswith("shopdesk: error: file: must end in .zip") and err.count("\n") == 1


def test_forget_from_the_command_line(coded: tuple[Shop, str, str],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    _, root, code = coded
    assert main(["customers", "forget", code, "--data-dir", root]) == 1
    assert "needs --reason" in capsys.readouterr().err
    assert main(["customers", "forget", "NOPE-0001", "--reason", "x y z",
                 "--data-dir", root]) == 1
    assert "no customer with code NOPE-0001" in capsys.readouterr().err
    assert main(["customers", "forget", code, "--reason", "Letter of 2026-11-20", "--json",
                 "--data-dir", root]) == 0
    done = json.loads(capsys.readouterr().out)
    assert [e["why"] for e in done["erased"]] == ["asked", "merged record"]
    assert done["queued_for_sync"] is False and done["documents_deleted"] == 1
    assert main(["search", "ana", "--data-dir", root]) == 1  # found nothing
    assert main(["audit", "verify", "--offline", "--data-dir", root]) == 0


def test_consents_and_marketing_lists(coded: tuple[Shop, str, str], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    _, root, code = coded
    assert main(["customers", "consent", code, "--withdraw", "marketing_email",
                 "--method", "online", "--data-dir", root]) == 0
    out = capsys.readouterr().out
    assert "Marketing by e-mail" in out and "withdrawn" in out
    assert main(["customers", "consent", code, "--grant", "id_scan", "--data-dir", root]) == 1
    assert "--method is required" in capsys.readouterr().err
    assert main(["customers", "marketing", "email", "--json", "--data-dir", root]) == 0
    assert json.loads(capsys.readouterr().out) == []
    listed = tmp_path / "sms.csv"
    assert main(["customers", "marketing", "sms", "--out", str(listed),
                 "--data-dir", root]) == 0
    assert "+447400123456" in listed.read_text()
    assert main(["customers", "marketing", "fax", "--data-dir", root]) == 1


def test_views_and_prints_reach_the_audit_trail(shop: Shop, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Ticket and device views, result lists and prints are queued and written in one go
    (by the window's timer, or when the command line closes the shop)."""
    from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake

    ana = shop.customers.register(CustomerInput(first_name="Ana", last_name="López",
                                                phone="07400 123456")).customer
    ticket = shop.tickets.intake(TicketIntake(ana.id, [TicketDeviceIntake(
        "Cracked", device=phone_input(IPHONE))])).ticket.summary
    before = len(shop.audit.entries(limit=1000))
    shop.access.record("view", "repair_ticket", ticket.id, {"number": ticket.number})
    shop.access.viewed_list([ana.id])
    shop.printing.receipt(ticket.number)
    assert shop.access.pending == 3
    assert len(shop.audit.entries(limit=1000)) == before  # nothing written yet
    assert shop.access.flush() == 3
    entries = shop.audit.entries(limit=3)
    assert [(e.action, e.entity) for e in entries] == [
        ("print", "repair_ticket"), ("view_list", "customers"), ("view", "repair_ticket")]
    assert entries[1].detail["codes"] == [ana.code]
    assert entries[0].detail["document"] == "receipt"
    root = str(shop.root)
    shop.close()
    out = tmp_path / "labels.pdf"
    assert main(["print", "labels", ticket.number, "--out", str(out), "--data-dir", root]) == 0
    capsys.readouterr()
    assert main(["audit", "list", "--did", "print", "--json", "--data-dir", root]) == 0
    page = json.loads(capsys.readouterr().out)
    assert [r["detail"]["document"] for r in page["records"]] == ["labels", "receipt"]
    assert page["total"] == 2
    assert main(["audit", "list", "--from", "2026-13-01", "--data-dir", root]) == 1
    assert "--from '2026-13-01' is not a date" in capsys.readouterr().err
