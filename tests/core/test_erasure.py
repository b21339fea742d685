"""The right to be forgotten on one counter (issue 15): who may, what it reaches, what
stays, and that nothing brings the data back. (Across counters: tests/sync.)"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from shopdesk.db import dbkey
from shopdesk.db.cipher import sqlcipher
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.errors import PermissionDenied, ValidationError
from shopdesk.shop import Shop
from tests.core.repair_helpers import add_staff, counts


def _customer(shop: Shop, first: str, phone: str, **extra: object) -> UUID:
    return shop.customers.register(CustomerInput(
        first_name=first, last_name="Secretname", phone=phone, **extra)).customer.id  # type: ignore[arg-type]


def test_only_a_manager_erases_and_says_why(shop: Shop) -> None:
    zed = _customer(shop, "Zed", "07400 123456")
    add_staff(shop, "sam", "supervisor")
    before = counts(shop)
    for reason in ("", "ok", "x" * 501):
        with pytest.raises(ValidationError) as err:
            shop.erasure.forget(zed, reason)
        assert err.value.errors[0].field == "reason"
    assert counts(shop) == before
    shop.sign_in("sam", "tech-pass-1")
    before = counts(shop)
    with pytest.raises(PermissionDenied):
        shop.erasure.forget(zed, "Written request")
    with pytest.raises(PermissionDenied):
        shop.erasure.plan(zed)
    assert counts(shop) == before
    shop.sign_in("owner", "owner-pass-1")
    shop.erasure.forget(zed, "Written request")
    with pytest.raises(ValidationError, match="already erased"):
        shop.erasure.forget(zed, "Again")


def test_the_search_index_forgets_the_words(shop: Shop) -> None:
    zed = _customer(shop, "Zebulon", "07400 123456", email="zeb@example.com",
                    postcode="LS1 4AP", city="Leeds")
    other = _customer(shop, "Ann", "07400 654321", city="Leeds")
    shop.search_engine.warm()  # built before the erasure, kept current by its Changes
    assert [h.id for h in shop.search("zebulon")] == [zed]
    assert [h.id for h in shop.search("+447400123456")] == [zed]
    shop.erasure.forget(zed, "Request in person")
    for query in ("zebulon", "zebulon secretname", "zeb@example.com", "07400 123456",
                  "123456", "LS1 4AP", "zebulen"):
        assert zed not in [h.id for h in shop.search(query)], query
    assert [h.id for h in shop.search("ann")] == [other]


def test_sealed_audit_values_become_unreadable_and_the_chain_still_verifies(
        shop: Shop) -> None:
    zed = _customer(shop, "Zebulon", "07400 123456", email="zeb@example.com")
    shop.customers.update(zed, {"notes": "allergic to latex", "city": "Leeds"})
    shop.customers.deactivate(zed, "moved to Spain")
    entries = {e.action: e.detail for e in shop.audit.entries(entity="customer", entity_id=zed)}
    assert entries["create"]["fields"]["first_name"] == [None, "Zebulon"]
    assert entries["update"]["fields"]["notes"] == [None, "allergic to latex"]
    assert entries["deactivate"]["reason"] == "moved to Spain"
    count = len(shop.audit.entries())
    shop.erasure.forget(zed, "Erasure request")
    after = {e.action: e.detail for e in shop.audit.entries(entity="customer", entity_id=zed)}
    assert after["create"]["fields"]["first_name"] == ["(erased)", "(erased)"]
    assert after["update"]["fields"]["notes"] == ["(erased)", "(erased)"]
    assert after["update"]["fields"]["city"] == [None, "Leeds"]  # not personal: readable
    assert after["deactivate"]["reason"] == "(erased)" and after["create"]["erased"]
    assert after["erase"]["reason"] == "Erasure request"
    assert len(shop.audit.entries()) == count + 1  # nothing removed, one entry added
    report = shop.audit.verify()
    assert report.ok and report.checked >= count + 1


def test_a_shared_document_file_stays_for_the_other_customer(shop: Shop,
                                                               tmp_path: Path) -> None:
    zed = _customer(shop, "Zed", "07400 123456")
    ann = _customer(shop, "Ann", "07400 654321")
    form = tmp_path / "terms.pdf"
    form.write_bytes(b"%PDF shop terms signed by both")
    own = tmp_path / "zed.pdf"
    own.write_bytes(b"%PDF only Zed's")
    zed_doc, _ = shop.documents.attach(zed, form, "signed_form")
    ann_doc, _ = shop.documents.attach(ann, form, "signed_form")
    mine, _ = shop.documents.attach(zed, own, "photo")
    kept = shop.documents.stored_path(ann_doc.id)  # the encrypted files
    gone = shop.documents.stored_path(mine.id)
    result = shop.erasure.forget(zed, "Erasure request")
    assert result.documents_deleted == 1
    assert shop.documents.read(ann_doc.id) == form.read_bytes() and not gone.exists()
    assert shop.documents.stored_path(ann_doc.id) == kept and kept.exists()
    shown = {d.id: d for d in shop.documents.list(zed)}
    assert shown[zed_doc.id].title == "erased document" and shown[zed_doc.id].filename == "erased"


def test_nothing_brings_the_data_back(shop: Shop, tmp_path: Path) -> None:
    zed = _customer(shop, "Zed", "07400 123456")
    shop.erasure.forget(zed, "Erasure request")
    for call in (lambda: shop.customers.update(zed, {"first_name": "Zed"}),
                 lambda: shop.customers.set_verified(zed, "phone", True),
                 lambda: shop.customers.reactivate(zed),
                 lambda: shop.consent.record(zed, "marketing_sms", True, "verbal")):
        with pytest.raises(ValidationError, match="erased"):
            call()
    photo = tmp_path / "p.png"
    photo.write_bytes(b"\x89PNG")
    with pytest.raises(ValidationError, match="erased"):
        shop.documents.attach(zed, photo, "photo")
    assert not shop.consent.allows(zed, "service_notifications")
    # Below the services, the database itself refuses it (a script, an import...).
    con = dbkey.connect(Path(shop.db_path))
    for sql in ("UPDATE customers SET email = 'zed@example.com'",
                "UPDATE customer_preferences SET marketing_opt_in = 1",
                "UPDATE customers SET phone = '+447400123456'"):
        with pytest.raises(sqlcipher.IntegrityError, match="erased"):
            con.execute(sql)
    con.close()


def test_a_merged_record_and_an_open_duplicate_are_erased_with_the_person(
        shop: Shop) -> None:
    """On one counter: a record merged into the customer (by a merge made here) and
    one that sync reported as a possible duplicate, not yet resolved."""
    zed = _customer(shop, "Zed", "07400 123456", email="zed@example.com")
    old = _customer(shop, "Zedd", "07400 111222")
    dup = _customer(shop, "Zed", "07400 333444")
    ann = _customer(shop, "Ann", "07400 555666")
    shop.sync.merge(zed, old)
    with shop.store.write() as session:  # as a pull would store the server's report
        session.connection().exec_driver_sql(
            "INSERT INTO sync_conflicts (id, kind, table_name, row_a, row_b, column_name, "
            "details, status) VALUES ('c1', 'duplicate_phone', 'customers', ?, ?, 'phone', "
            "'{\"value\": \"+447400123456\"}', 'open')", (zed.hex, dup.hex))
    plan = shop.erasure.plan(old)
    others = sorted([(zed, "merged record"), (dup, "suspected duplicate (same phone)")],
                    key=lambda x: x[0].hex)
    assert [(t.id, t.why) for t in plan] == [(old, "asked"), *others]
    shop.erasure.forget(old, "Erasure request")
    for customer in (zed, old, dup):
        assert shop.customers.profile(customer).summary.first_name == "Erased"
    assert shop.customers.profile(ann).summary.first_name == "Ann"
    assert shop.sync.conflicts() == []
    resolved = shop.sync.conflicts(include_resolved=True)[0]
    assert (resolved.resolution, resolved.status) == ("erased", "resolved")
