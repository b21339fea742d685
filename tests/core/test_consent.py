"""The consent register (issue 15, spec 13.1): history kept, state derived, enforced."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command

from shopdesk.db import dbkey, migrate
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.errors import PermissionDenied, ValidationError
from shopdesk.shop import Shop
from tests.core.repair_helpers import add_staff, counts


def _register(shop: Shop, first: str, phone: str, **extra: object) -> object:
    return shop.customers.register(CustomerInput(first_name=first, last_name="Nowak",
                                                 phone=phone, **extra)).customer.id  # type: ignore[arg-type]


def _flags(shop: Shop, customer: object) -> tuple[bool, bool]:
    values = shop.customers.profile(customer).values  # type: ignore[arg-type]
    return bool(values["marketing_opt_in"]), bool(values["service_notifications"])


def test_the_registration_form_starts_the_register(shop: Shop) -> None:
    ana = _register(shop, "Ana", "07400 123456", marketing_opt_in=True)
    bo = _register(shop, "Bo", "07400 123457", service_notifications=False, channel="online_form")
    view = shop.consent.view(ana)  # type: ignore[arg-type]
    assert {e.purpose for e in view.history} == {
        "marketing_whatsapp", "marketing_sms", "marketing_email", "marketing_phone"}
    assert {e.method for e in view.history} == {"verbal"}
    assert view.history[0].recorded_by == "Olivia Owner"
    assert shop.consent.allows(ana, "marketing_email")  # type: ignore[arg-type]
    assert shop.consent.allows(ana, "service_notifications")  # allowed unless refused
    assert not shop.consent.allows(ana, "id_scan")  # type: ignore[arg-type]
    assert not shop.consent.allows(ana, "data_processing")  # type: ignore[arg-type]
    refused = shop.consent.view(bo).history  # type: ignore[arg-type]
    assert [(e.purpose, e.granted, e.method) for e in refused] == [
        ("service_notifications", False, "online")]
    assert not shop.consent.allows(bo, "service_notifications")  # type: ignore[arg-type]
    assert _flags(shop, ana) == (True, True) and _flags(shop, bo) == (False, False)


def test_withdrawals_are_new_rows_and_the_flag_follows(shop: Shop, clock) -> None:  # type: ignore[no-untyped-def]
    ana = _register(shop, "Ana", "07400 123456", marketing_opt_in=True)
    clock.advance(days=2)
    shop.consent.record(ana, "marketing_email", False, "online", note="unsubscribed")  # type: ignore[arg-type]
    assert not shop.consent.allows(ana, "marketing_email")  # type: ignore[arg-type]
    assert shop.consent.allows(ana, "marketing_sms")  # type: ignore[arg-type]
    assert _flags(shop, ana)[0] is True  # still agrees by SMS, WhatsApp and phone
    for channel in ("whatsapp", "sms", "phone"):
        shop.consent.record(ana, f"marketing_{channel}", False, "verbal")  # type: ignore[arg-type]
    assert _flags(shop, ana)[0] is False
    view = shop.consent.view(ana)  # type: ignore[arg-type]
    assert len(view.history) == 8  # nothing was overwritten
    email = view.states["marketing_email"]
    assert email.granted is False and email.withdrawn_at is not None and email.method == "online"
    clock.advance(days=1)
    shop.consent.record(ana, "marketing_email", True, "signed_form")  # type: ignore[arg-type]
    assert _flags(shop, ana)[0] is True
    assert shop.customers.profile(ana).marketing_consent_at == \
        shop.consent.view(ana).states["marketing_email"].since  # type: ignore[arg-type]
    actions = [e.action for e in shop.audit.entries(entity="customer", entity_id=ana)]
    assert actions.count("withdraw_consent") == 4 and actions[0] == "grant_consent"


def test_editing_the_opt_in_records_consents(shop: Shop) -> None:
    ana = _register(shop, "Ana", "07400 123456")
    assert shop.consent.view(ana).history == []  # type: ignore[arg-type]
    shop.customers.update(ana, {"marketing_opt_in": True})  # type: ignore[arg-type]
    assert all(shop.consent.allows(ana, f"marketing_{c}")  # type: ignore[arg-type]
               for c in ("whatsapp", "sms", "email", "phone"))
    shop.consent.record(ana, "marketing_sms", False, "verbal")  # type: ignore[arg-type]
    shop.customers.update(ana, {"marketing_opt_in": False})  # type: ignore[arg-type]
    view = shop.consent.view(ana)  # type: ignore[arg-type]
    assert not any(view.states[f"marketing_{c}"].granted
                   for c in ("whatsapp", "sms", "email", "phone"))
    # SMS was already withdrawn: three new withdrawals, not four.
    assert [e.granted for e in view.history].count(False) == 4
    shop.customers.update(ana, {"service_notifications": False})  # type: ignore[arg-type]
    assert not shop.consent.allows(ana, "service_notifications")  # type: ignore[arg-type]


def test_bad_consents_are_refused_and_nothing_is_written(shop: Shop, clock) -> None:  # type: ignore[no-untyped-def]
    ana = _register(shop, "Ana", "07400 123456")
    before = counts(shop)
    cases = [(("telepathy", True, "verbal"), {}, "purpose"),
             (("id_scan", True, "carrier pigeon"), {}, "method"),
             (("id_scan", True, "imported"), {}, "method"),
             (("id_scan", True, "verbal"), {"at": clock.now + timedelta(days=1)}, "at"),
             (("id_scan", True, "verbal"), {"note": "x" * 501}, "note")]
    for args, extra, field in cases:
        with pytest.raises(ValidationError) as err:
            shop.consent.record(ana, *args, **extra)  # type: ignore[arg-type]
        assert err.value.errors[0].field == field
    assert counts(shop) == before


def test_an_id_scan_needs_the_id_scan_consent(shop: Shop, tmp_path: Path) -> None:
    ana = _register(shop, "Ana", "07400 123456")
    scan = tmp_path / "passport.png"
    scan.write_bytes(b"\x89PNG a passport")
    with pytest.raises(ValidationError) as err:
        shop.documents.attach(ana, scan, "id_scan")  # type: ignore[arg-type]
    assert (err.value.errors[0].field, err.value.errors[0].rule) == ("kind", "consent")
    assert not (shop.root / "documents").exists() or not any(
        p.is_file() for p in (shop.root / "documents").rglob("*"))  # the file was not kept
    shop.documents.attach(ana, scan, "photo")  # other kinds need no consent  # type: ignore[arg-type]
    shop.consent.record(ana, "id_scan", True, "signed_form")  # type: ignore[arg-type]
    shop.documents.attach(ana, scan, "id_scan")  # type: ignore[arg-type]
    shop.consent.record(ana, "id_scan", False, "verbal")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        shop.documents.attach(ana, scan, "id_scan")  # type: ignore[arg-type]


def test_marketing_lists_hold_only_consenting_customers(shop: Shop, tmp_path: Path) -> None:
    ana = _register(shop, "Ana", "07400 123456", email="ana@example.com",
                    marketing_opt_in=True)
    bo = _register(shop, "Bo", "07400 123457", email="bo@example.com")
    cy = _register(shop, "Cy", "07400 123458", email="cy@example.com", marketing_opt_in=True)
    shop.consent.record(cy, "marketing_email", False, "online")  # type: ignore[arg-type]
    dee = _register(shop, "Dee", "07400 123459", email="dee@example.com",
                    marketing_opt_in=True)
    shop.erasure.forget(dee, "Asked to be forgotten")  # type: ignore[arg-type]
    assert [m.id for m in shop.consent.marketing_segment("email")] == [ana]
    assert {m.id for m in shop.consent.marketing_segment("sms")} == {ana, cy}
    out = tmp_path / "newsletter.csv"
    assert shop.consent.export_marketing("email", out) == 1
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["email"] for r in rows] == ["ana@example.com"]
    assert "bo@example.com" not in out.read_text() and bo
    assert shop.audit.entries(entity="customers")[0].action == "marketing_export"
    with pytest.raises(ValidationError):
        shop.consent.marketing_segment("pigeon")
    front = add_staff(shop, "fred", "front_desk")
    shop.sign_in("fred", "tech-pass-1")
    assert front
    with pytest.raises(PermissionDenied):
        shop.consent.export_marketing("email", tmp_path / "x.csv")


def test_an_import_records_the_opt_ins_it_brings(shop: Shop, tmp_path: Path) -> None:
    source = tmp_path / "customers.csv"
    source.write_text("first_name,last_name,phone,marketing_opt_in\n"
                      "Ana,Lopez,07400123456,true\nBo,Li,07400123457,false\n",
                      encoding="utf-8")
    shop.transfer.import_csv(source)
    ana = shop.customers.search("Ana")[0].id
    history = shop.consent.view(ana).history
    assert len(history) == 4 and {e.method for e in history} == {"imported"}
    bo = shop.customers.search("Li")[0].id
    assert shop.consent.view(bo).history == []


def test_the_upgrade_carries_opt_ins_over_the_same_way_on_every_counter(
        tmp_path: Path) -> None:
    """Two copies of a shop's database from before the register upgrade on their own;
    each makes the very same consent rows (same ids), so sync sees one row each."""
    first = tmp_path / "one"
    with Shop.open(first) as shop:
        shop.staff.create_owner("owner", "Olivia Owner", "owner-pass-1")
        shop.sign_in("owner", "owner-pass-1")
        _register(shop, "Ana", "07400 123456", marketing_opt_in=True)
        _register(shop, "Bo", "07400 123457", service_notifications=False)
        _register(shop, "Cy", "07400 123458")
    db = shop.db_path
    command.downgrade(migrate.alembic_config(db), "0006")
    second = tmp_path / "two"
    second.mkdir()
    copy = second / db.name
    copy.write_bytes(db.read_bytes())
    rows = []
    for path in (db, copy):
        migrate.upgrade(path)
        con = dbkey.connect(Path(path))
        rows.append(sorted(con.execute(
            "SELECT id, customer_id, purpose, granted, method, at FROM customer_consents")))
        con.close()
    assert rows[0] == rows[1] and len(rows[0]) == 5  # 4 marketing grants + 1 refusal
    with Shop.open(first) as shop:
        for customer in shop.customers.search("Nowak"):
            view = shop.consent.view(customer.id)
            values = shop.customers.profile(customer.id).values
            assert values["marketing_opt_in"] == any(
                view.states[f"marketing_{c}"].granted for c in ("whatsapp", "sms", "email",
                                                                "phone"))
            assert values["service_notifications"] == view.states[
                "service_notifications"].allowed
