"""The audit trail is append-only and its hash chain exposes tampering."""

from __future__ import annotations

import pytest

from shopdesk.cli import main as cli_main
from shopdesk.db import cipher, dbkey
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
    con = dbkey.connect(shop.db_path)
    for sql in ("UPDATE audit_log SET actor='x'", "DELETE FROM audit_log WHERE seq=3"):
        with pytest.raises(cipher.Error, match="append-only"):
            con.execute(sql)
    con.close()


def _tamper(shop: Shop, sql: str) -> None:
    # Someone with file access drops the guard triggers and edits the trail.
    con = dbkey.connect(shop.db_path)
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


# -- issue 10, item 6: truncation, reused numbers, rehashing ---------------------------

def test_removing_the_newest_entries_is_detected(shop: Shop) -> None:
    _fill(shop)
    newest = shop.audit.anchor()
    assert newest is not None
    _tamper(shop, f"DELETE FROM audit_log WHERE seq > {newest.seq - 3}")
    report = shop.audit.verify()
    assert not report.ok and "newest entries were removed" in report.problem
    assert f"#{newest.seq}" in report.problem


def test_removing_every_entry_is_detected(shop: Shop) -> None:
    _fill(shop)
    _tamper(shop, "DELETE FROM audit_log")
    report = shop.audit.verify()
    assert not report.ok and report.checked == 0 and "removed" in report.problem


def test_numbers_are_never_used_twice(shop: Shop) -> None:
    _fill(shop)
    newest = shop.audit.anchor()
    assert newest is not None
    _tamper(shop, f"DELETE FROM audit_log WHERE seq = {newest.seq}")
    shop.customers.register(CustomerInput(first_name="Bo", last_name="Li", phone="07400123457"))
    after = shop.audit.anchor()
    assert after is not None and after.seq > newest.seq


def _rehash(shop: Shop, alg: str) -> None:
    """An attacker edits an entry and recomputes every hash the way the code does,
    with plain SHA-256: the audit key is in the keyring (or a key file), not the file."""
    import hashlib

    con = dbkey.connect(shop.db_path)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET detail = replace(detail, 'Leeds', 'York')")
    prev: dict[str, str] = {}
    rows = con.execute("SELECT seq, node, at, staff_id, actor, action, entity, entity_id, "
                       "detail FROM audit_log ORDER BY seq").fetchall()
    for seq, node, at, staff, actor, action, entity, entity_id, detail in rows:
        from datetime import datetime
        at_text = datetime.fromisoformat(at).isoformat(timespec="microseconds")
        before = prev.get(node, "0" * 64)
        payload = "\x1f".join([node, at_text, staff or "", actor, action, entity, entity_id,
                               detail, before])
        digest = hashlib.sha256(payload.encode()).hexdigest()
        con.execute("UPDATE audit_log SET prev_hash = ?, hash = ?, alg = ? WHERE seq = ?",
                    (before, digest, alg, seq))
        prev[node] = digest
    con.commit()
    con.close()


@pytest.mark.parametrize("alg", ["hmac-sha256", "sha256"])
def test_an_edit_and_a_full_rehash_without_the_key_is_detected(shop: Shop, alg: str) -> None:
    """Keeping the keyed label: the HMAC does not match. Relabelling every entry as plain
    SHA-256: entries written after the key was made must be keyed."""
    _fill(shop)
    assert shop.audit.verify().ok
    _rehash(shop, alg)
    report = shop.audit.verify()
    assert not report.ok
    assert ("altered" in report.problem if alg == "hmac-sha256"
            else "without the audit key" in report.problem)
