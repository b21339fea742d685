"""`shopdesk tickets new|move|pickup` and `shopdesk support list|show`, run as scripts and
support staff run them: `python -m shopdesk ...` in real subprocesses on a real data dir.

Each refusal is the window's own (the same service call), one line on stderr naming
the field and the rule, exit 1, and nothing written; a missing or contradictory
option is a usage error, exit 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from shopdesk.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from shopdesk.shop import Shop
from tests.conftest import OWNER_SECRET
from tests.core.repair_helpers import GALAXY, IPHONE, counts, customer

NO_KEYRING = "keyring.backends.fail.Keyring"


def run(root: Path, *args: str, code: int = EXIT_OK) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHON_KEYRING_BACKEND=NO_KEYRING)
    done = subprocess.run([sys.executable, "-m", "shopdesk", *args, "--data-dir", str(root)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == code, (args, done.returncode, done.stdout, done.stderr)
    if code != EXIT_OK:
        assert done.stderr.startswith("shopdesk: error: "), done.stderr
        assert done.stderr.count("\n") == 1, done.stderr  # one line, with the reason
    return done


@pytest.fixture
def shop_dir(data_dir: Path) -> tuple[Path, str]:
    """A data directory with an owner and one customer; returns it and the customer's code."""
    with Shop.open(data_dir) as shop:
        shop.staff.create_owner("owner", "Olivia Owner", OWNER_SECRET)
        shop.sign_in("owner", OWNER_SECRET)
        ana = customer(shop)
        code = shop.customers.profile(ana).summary.code
    return data_dir, code


def table_counts(root: Path) -> dict[str, int]:
    with Shop.open(root) as shop:
        return counts(shop)


def test_new_move_pickup_from_the_command_line(shop_dir: tuple[Path, str]) -> None:
    root, code = shop_dir
    made = run(root, "tickets", "new", "--customer", code.lower(), "--imei", IPHONE,
               "--make", "Apple", "--model", "iPhone 13", "--fault", "Cracked screen",
               "--estimate", "89", "--deposit", "20", "--json")
    ticket = json.loads(made.stdout)
    number = ticket["summary"]["number"]
    assert ticket["summary"]["status"] == "received"
    assert ticket["summary"]["customer_code"] == code
    assert (ticket["summary"]["estimate"], ticket["deposit"]) == ("89.00", "20.00")
    assert ticket["devices"][0]["device"]["imei"] == IPHONE
    # the shop's default promise: today plus repairs.promised_days (3)
    promised = date.fromisoformat(ticket["summary"]["promised_by"])
    assert promised - date.today() in (timedelta(days=3), timedelta(days=2))
    assert ticket["settlement"]["balance"] == "69.00"

    # an IMEI alone names the customer's device on file: no second device
    again = json.loads(run(root, "tickets", "new", "--customer", code, "--imei", IPHONE,
                           "--fault", "Battery drains", "--json").stdout)
    assert again["devices"][0]["device"]["id"] == ticket["devices"][0]["device"]["id"]
    assert table_counts(root)["devices"] == 1

    for status in ("diagnosing", "in_repair", "ready"):
        moved = run(root, "tickets", "move", number, status)
        assert status in moved.stdout
    before = table_counts(root)
    bad = run(root, "tickets", "pickup", number, "--amount", "abc", "--method", "cash",
              code=EXIT_FAILURE)
    assert "final_amount:" in bad.stderr and "(rule: money_format)" in bad.stderr
    bad = run(root, "tickets", "pickup", number, "--amount", "89", "--method", "cheque",
              code=EXIT_FAILURE)
    assert "payment_method:" in bad.stderr and "(rule: choice)" in bad.stderr
    assert table_counts(root) == before

    done = json.loads(run(root, "tickets", "pickup", number, "--amount", "89.00",
                          "--method", "cash", "--json").stdout)
    assert done["summary"]["status"] == "collected"
    assert (done["final_amount"], done["payment_method"]) == ("89.00", "cash")
    # the receipt's figures: paid at pickup 69.00, nothing left to pay
    assert done["settlement"] == {"total": "89.00", "deposit": "20.00", "paid_now": "69.00",
                                  "balance": "0.00"}
    assert done["services"][0]["total"] == "89.00"
    shown = run(root, "tickets", "show", number)
    assert "balance due £0.00" in shown.stdout and "final £89.00" in shown.stdout


def test_refusals_are_the_windows_and_write_nothing(shop_dir: tuple[Path, str]) -> None:
    root, code = shop_dir
    before = table_counts(root)
    wrong = IPHONE[:-1] + str((int(IPHONE[-1]) + 1) % 10)
    bad = run(root, "tickets", "new", "--customer", code, "--imei", wrong, "--make", "Apple",
              "--model", "iPhone 13", "--fault", "x", code=EXIT_FAILURE)
    assert "devices[0].imei:" in bad.stderr and "(rule: imei_check_digit)" in bad.stderr
    bad = run(root, "tickets", "new", "--customer", code, "--imei", GALAXY, "--fault", "x",
              code=EXIT_FAILURE)  # not on file, and no make or model to register it
    assert "devices[0].make:" in bad.stderr and "(rule: required)" in bad.stderr
    bad = run(root, "tickets", "new", "--customer", "ZZZZ-9999", "--imei", GALAXY,
              "--make", "Samsung", "--model", "S10", "--fault", "x", code=EXIT_FAILURE)
    assert "no customer with code ZZZZ-9999" in bad.stderr
    bad = run(root, "tickets", "new", "--customer", code, "--imei", GALAXY, "--make", "S",
              "--model", "S10", "--fault", "x", "--estimate", "-5", code=EXIT_FAILURE)
    assert "estimate:" in bad.stderr and "(rule: money_negative)" in bad.stderr
    bad = run(root, "tickets", "new", "--customer", code, "--imei", GALAXY, "--make", "S",
              "--model", "S10", "--fault", "x", "--promised-by", "2001-01-01",
              code=EXIT_FAILURE)
    assert "promised_by:" in bad.stderr and "(rule: date_past)" in bad.stderr
    assert table_counts(root) == before

    usage = run(root, "tickets", "new", "--customer", code, "--imei", GALAXY, code=EXIT_USAGE)
    assert "--fault" in usage.stderr
    usage = run(root, "tickets", "new", "--customer", code, "--imei", GALAXY, "--serial",
                "C02XK12", "--fault", "x", code=EXIT_USAGE)
    assert "--serial" in usage.stderr and "--imei" in usage.stderr
    run(root, "tickets", code=EXIT_USAGE)  # no action

    number = json.loads(run(root, "tickets", "new", "--customer", code, "--serial",
                            "c02-xk 12", "--make", "Apple", "--model", "MacBook Air",
                            "--fault", "Keyboard", "--json").stdout)["summary"]["number"]
    bad = run(root, "tickets", "move", number, "ready", code=EXIT_FAILURE)
    assert "status:" in bad.stderr and "(rule: status_transition)" in bad.stderr
    bad = run(root, "tickets", "move", number, "collected", code=EXIT_FAILURE)
    assert "(rule: use_pickup)" in bad.stderr
    bad = run(root, "tickets", "pickup", number, "--amount", "10", "--method", "cash",
              code=EXIT_FAILURE)  # not ready yet
    assert "(rule: status_transition)" in bad.stderr
    bad = run(root, "tickets", "move", "R-ZZZZ-0404", "diagnosing", code=EXIT_FAILURE)
    assert "no repair ticket numbered R-ZZZZ-0404" in bad.stderr
    with Shop.open(root) as shop:
        assert shop.tickets.get(number).summary.status == "received"
        assert shop.audit.verify().ok


def test_support_list_and_show(shop_dir: tuple[Path, str]) -> None:
    root, _code = shop_dir
    long_ago = datetime.now(UTC) - timedelta(days=10)
    with Shop.open(root, clock=lambda: long_ago) as shop:  # opened ten days ago
        shop.sign_in("owner", OWNER_SECRET)
        ana = shop.customers.search_ids("", 1)[0]
        late = shop.support.open(ana, "Charger missing after repair", "Left it at intake",
                                 priority="high", complaint=True).ticket.ticket
    with Shop.open(root) as shop:
        shop.sign_in("owner", OWNER_SECRET)
        fresh = shop.support.open(ana, "Invoice copy", "For the insurer").ticket.ticket
        shop.support.add_note(late.id, "Called the customer back")

    listed = json.loads(run(root, "support", "list", "--json").stdout)
    assert {t["number"] for t in listed} == {late.number, fresh.number}
    overdue = json.loads(run(root, "support", "list", "--overdue", "--json").stdout)
    assert [t["number"] for t in overdue] == [late.number]
    assert overdue[0]["overdue"] is True and overdue[0]["complaint"] is True
    plain = run(root, "support", "list", "--overdue")
    assert late.number in plain.stdout and "OVERDUE" in plain.stdout
    assert fresh.number not in plain.stdout

    shown = json.loads(run(root, "support", "show", late.number.lower(), "--json").stdout)
    assert shown["ticket"]["subject"] == "Charger missing after repair"
    assert [e["kind"] for e in shown["events"]] == ["opened", "note"]
    text = run(root, "support", "show", fresh.number).stdout
    assert "Invoice copy" in text and "For the insurer" in text
    missing = run(root, "support", "show", "S-ZZZZ-0001", code=EXIT_FAILURE)
    assert "no support ticket numbered S-ZZZZ-0001" in missing.stderr
