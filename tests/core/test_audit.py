"""The audit trail is append-only and its hash chain exposes tampering."""

from __future__ import annotations

import sqlite3

import pytest

from shopdesk.cli import main as cli_main
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop


def _fill(shop: Shop) -> None:
    c = shop.customers.register(CustomerInput(first_name="Ana", last_name="Lopez",
                                              phone="07400123456")).customer
    shop.customers.update(c.id, {"city": "Leeds"})
    shop.customers.open_profile(c.id)
    shop.customers.deactivate(c.id, "test")


def test_every_customer_change_and_view_is_logged(shop: Shop) -> None:
    _fill(shop)
    actions = [e.action for e in shop.audit.entries(entity="customer")]
    assert actions == ["deactivate", "view", "update", "create"]
    report = shop.audit.verify()
    assert report.ok and report.checked == 6  # + owner creation and sign-in


def test_database_refuses_update_and_delete(shop: Shop) -> None:
    _fill(shop)
    con = sqlite3.connect(shop.db_path)
    for sql in ("UPDATE audit_log SET actor='x'", "DELETE FROM audit_log WHERE seq=3"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(sql)
    con.close()


def _tamper(shop: Shop, sql: str) -> None:
    # Someone with file access drops the guard triggers and edits the trail.
    con = sqlite3.connect(shop.db_path)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("DROP TRIGGER audit_log_no_delete")
    con.execute(sql)
    con.commit()
    con.close()


def test_altered_entry_is_detected(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    _fill(shop)
    _tamper(shop, "UPDATE audit_log SET detail = replace(detail, 'Leeds', 'York') "
                  "WHERE action = 'update'")
    report = shop.audit.verify()
    assert not report.ok and "altered" in report.problem
    assert report.bad_seq == 4 and report.checked == 3
    assert cli_main(["audit", "verify", "--data-dir", str(shop.root)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("shopdesk: error: audit trail broken at entry #4")
    assert "\n" not in err


def test_removed_entry_is_detected(shop: Shop) -> None:
    _fill(shop)
    _tamper(shop, "DELETE FROM audit_log WHERE action = 'view'")
    report = shop.audit.verify()
    assert not report.ok and "removed" in report.problem and report.bad_seq == 6


def test_cli_verify_passes_on_intact_trail(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    _fill(shop)
    assert cli_main(["audit", "verify", "--data-dir", str(shop.root)]) == 0
    assert "audit trail intact" in capsys.readouterr().out
