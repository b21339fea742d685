"""Customer documents stored by content hash, and shop settings with their rules."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.errors import ValidationError
from shopdesk.services.customers.documents import MAX_BYTES
from shopdesk.shop import Shop


@pytest.fixture
def customer_id(shop: Shop):  # type: ignore[no-untyped-def]
    return shop.customers.register(CustomerInput(
        first_name="Ana", last_name="Lopez", phone="07400123456")).customer.id


def test_attach_keeps_file_under_its_hash_once(shop: Shop, customer_id, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scan = tmp_path / "passport scan.png"
    scan.write_bytes(b"\x89PNG fake image bytes" * 100)
    digest = hashlib.sha256(scan.read_bytes()).hexdigest()
    shop.consent.record(customer_id, "id_scan", True, "signed_form")  # needed since issue 15
    info, changes = shop.documents.attach(customer_id, scan, "id_scan", "Passport")
    assert changes.documents == {customer_id}
    assert (info.content_hash, info.size, info.title, info.filename) == (
        digest, scan.stat().st_size, "Passport", "passport scan.png")
    stored = shop.documents.stored_path(info.id)
    assert stored == shop.root / "documents" / digest[:2] / digest
    # Encrypted at rest (issue 15): the stored bytes are not the scan, nor contain it.
    assert b"fake image" not in stored.read_bytes()
    assert shop.documents.read(info.id) == scan.read_bytes()
    viewing = shop.documents.path_of(info.id)  # a plain copy for the OS viewer
    assert viewing.read_bytes() == scan.read_bytes() and viewing.name == "passport scan.png"
    copy = tmp_path / "again.png"
    copy.write_bytes(scan.read_bytes())
    second, _ = shop.documents.attach(customer_id, copy, "photo")
    assert second.title == "again.png" and shop.documents.stored_path(second.id) == stored
    assert len(list((shop.root / "documents").rglob("*"))) == 2  # one folder, one file
    profile = shop.customers.profile(customer_id)
    assert [d.id for d in profile.documents] == [second.id, info.id]
    assert profile.documents[1].added_by == "Olivia Owner"
    assert shop.audit.entries(entity="customer", entity_id=customer_id)[0].action == "attach"


def test_bad_attachments_are_refused(shop: Shop, customer_id, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    big = tmp_path / "huge.bin"
    with big.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    empty = tmp_path / "empty.txt"
    empty.touch()
    cases = [(tmp_path / "missing.pdf", "id_scan", "missing"), (big, "photo", "too_large"),
             (empty, "photo", "empty")]
    for path, kind, rule in cases:
        with pytest.raises(ValidationError) as err:
            shop.documents.attach(customer_id, path, kind)
        assert (err.value.errors[0].field, err.value.errors[0].rule) == ("file", rule)
    ok = tmp_path / "ok.txt"
    ok.write_text("signed")
    with pytest.raises(ValidationError) as err:
        shop.documents.attach(customer_id, ok, "selfie")
    assert err.value.errors[0].field == "kind"
    assert shop.customers.profile(customer_id).documents == []
    assert not (shop.root / "documents").exists() or not any(
        p.is_file() for p in (shop.root / "documents").rglob("*"))


def test_settings_defaults_validation_and_effect(shop: Shop) -> None:
    assert shop.settings.get("phone.default_region") == "GB"
    assert shop.settings.set("phone.default_region", "fr").settings
    assert shop.settings.get("phone.default_region") == "FR"
    # A French national number now parses without a country code.
    saved = shop.customers.register(CustomerInput(first_name="Luc", last_name="Marchand",
                                                  phone="06 12 34 56 78"))
    assert saved.customer.phone == "+33612345678"
    for key, value, rule in [("phone.default_region", "Narnia", "setting_value"),
                             ("shop.currency", "pounds", "setting_value"),
                             ("security.max_failed_signins", "0", "setting_value"),
                             ("shop.colour", "red", "unknown_setting")]:
        with pytest.raises(ValidationError) as err:
            shop.settings.set(key, value)
        assert (err.value.errors[0].field, err.value.errors[0].rule) == (key, rule)
    assert shop.settings.get("shop.currency") == "GBP"
    shop.settings.set("shop.name", "Fix-It Fast")
    assert shop.settings.all()["shop.name"] == "Fix-It Fast"
    assert shop.audit.entries(entity="setting")[0].detail == {
        "shop.name": ["My Repair Shop", "Fix-It Fast"]}
