"""`shopdesk devices history`, `shopdesk tickets list/show` and the demo's repairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopdesk.cli import main
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from tests.conftest import OWNER_SECRET
from tests.core.repair_helpers import IPHONE, customer, phone_input


@pytest.fixture
def filled(data_dir: Path) -> str:
    with Shop.open(data_dir) as shop:
        shop.staff.create_owner("owner", "Olivia Owner", OWNER_SECRET)
        shop.sign_in("owner", OWNER_SECRET)
        owner = customer(shop)
        ticket = shop.tickets.intake(TicketIntake(owner, [TicketDeviceIntake(
            "Cracked screen", device=phone_input(), pre_existing_faults="Dent")])).ticket
        return ticket.summary.number


def test_devices_history(filled: str, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "history", IPHONE, "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "Apple iPhone 13" in out and filled in out and "pre-existing: Dent" in out
    assert main(["devices", "history", IPHONE, "--json", "--data-dir", str(data_dir)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["device"]["imei"] == IPHONE
    assert data["entries"][0]["title"] == filled


def test_devices_history_unknown(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "history", IPHONE, "--data-dir", str(data_dir)]) == 1
    assert "no device with IMEI or serial" in capsys.readouterr().err


def test_tickets_list_and_show(filled: str, data_dir: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tickets", "list", "--data-dir", str(data_dir)]) == 0
    assert filled in capsys.readouterr().out
    assert main(["tickets", "list", "--status", "ready", "--json",
                 "--data-dir", str(data_dir)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["tickets", "show", filled.lower(), "--json", "--data-dir", str(data_dir)]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["summary"]["number"] == filled
    assert detail["history"][0]["to_status"] == "received"
    assert main(["tickets", "show", filled, "--data-dir", str(data_dir)]) == 0
    assert "Cracked screen" in capsys.readouterr().out
    assert main(["tickets", "list", "--status", "fixed", "--data-dir", str(data_dir)]) == 1
    assert "not a ticket status" in capsys.readouterr().err


def test_demo_creates_devices_tickets_and_history(data_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--customers", "60", "--tickets-per-customer", "3",
                 "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "repair tickets" in out
    with Shop.open(data_dir) as shop:
        board = shop.tickets.board(include_closed=True, limit=10_000)
        assert len(board) > 60
        assert {t.status for t in board} >= {"collected"}
        device = shop.tickets.get(board[0].id).devices[0].device
        assert shop.devices.history(device.id).entries
        assert shop.audit.verify().ok
    assert main(["demo", "--customers", "5", "--tickets-per-customer", "0",
                 "--data-dir", str(data_dir)]) == 0
