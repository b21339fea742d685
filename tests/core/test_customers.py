"""Registering, editing, deactivating and verifying customers through the facade."""

from __future__ import annotations

import re
from uuid import UUID

import pytest
from sqlalchemy import func, select

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.errors import NotFound, PermissionDenied, ValidationError
from shopdesk.models import AuditEntry, Customer
from shopdesk.shop import Shop


def ana(**overrides: object) -> CustomerInput:
    base = dict(first_name="Ana", last_name="López", phone="07400 123456",
                email="Ana@Example.com", city="Leeds", postcode="ls1 4ap",
                preferred_contact="whatsapp", channel="repair_intake")
    base.update(overrides)
    return CustomerInput(**base)  # type: ignore[arg-type]


def audit_count(shop: Shop) -> int:
    with shop.store.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_register_creates_profile_preferences_loyalty_and_history(shop: Shop) -> None:
    saved = shop.customers.register(ana(marketing_opt_in=True, best_time="evening"))
    customer = saved.customer
    assert isinstance(customer.id, UUID)
    assert re.fullmatch(rf"{shop.store.node_tag}-0001", customer.code)
    assert saved.changes.customers == {customer.id}
    profile = shop.customers.profile(customer.id)
    assert profile.values["phone"] == "+447400123456"
    assert profile.values["email"] == "ana@example.com"
    assert profile.values["channel"] == "repair_intake"
    assert profile.values["preferred_contact"] == "whatsapp"
    assert profile.values["best_time"] == "evening"
    assert profile.values["marketing_opt_in"] is True
    assert profile.marketing_consent_at is not None
    assert profile.values["service_notifications"] is True
    assert (profile.loyalty_points, profile.loyalty_tier) == (0, "bronze")
    assert shop.service_records.for_customer(customer.id) == []
    assert profile.registered_by == "Olivia Owner"
    assert profile.summary.is_active
    assert profile.summary.created_at.tzinfo is not None


def test_codes_count_up_per_counter(shop: Shop) -> None:
    first = shop.customers.register(ana()).customer.code
    second = shop.customers.register(ana(phone="07400 123457", email="")).customer.code
    assert first.endswith("-0001") and second.endswith("-0002")


@pytest.mark.parametrize("field,value", [("phone", "+44 7400 123456"),
                                         ("email", "ANA@example.COM")])
def test_one_customer_per_phone_and_email(shop: Shop, field: str, value: str) -> None:
    existing = shop.customers.register(ana()).customer
    before = (shop.customers.count(), audit_count(shop))
    other = {"phone": "07400 999999", "email": "other@example.com", field: value}
    with pytest.raises(ValidationError) as err:
        shop.customers.register(ana(first_name="Bob", **other))
    error = err.value.for_field(field)
    assert error is not None and error.rule == "unique"
    assert existing.code in error.message and error.ref == str(existing.id)
    assert (shop.customers.count(), audit_count(shop)) == before


def test_rejected_registration_writes_nothing(shop: Shop) -> None:
    before = (shop.customers.count(), audit_count(shop))
    with pytest.raises(ValidationError) as err:
        shop.customers.register(ana(phone="12", email="nope"))
    assert {e.field for e in err.value.errors} == {"phone", "email"}
    assert (shop.customers.count(), audit_count(shop)) == before


def test_update_audits_old_and_new_value_of_each_field(shop: Shop) -> None:
    customer = shop.customers.register(ana()).customer
    saved = shop.customers.update(customer.id, {"city": "York", "notes": "Prefers mornings",
                                                "language": "es"})
    assert saved.changes.customers == {customer.id}
    entry = shop.audit.entries(entity="customer", entity_id=customer.id)[0]
    assert entry.action == "update" and entry.actor == "Olivia Owner"
    assert entry.detail["fields"] == {"city": ["Leeds", "York"],
                                      "notes": [None, "Prefers mornings"],
                                      "language": ["en", "es"]}
    profile = shop.customers.profile(customer.id)
    assert profile.values["city"] == "York" and profile.values["language"] == "es"
    assert profile.updated_at > profile.summary.created_at


def test_update_without_change_writes_nothing(shop: Shop) -> None:
    customer = shop.customers.register(ana()).customer
    before = audit_count(shop)
    saved = shop.customers.update(customer.id, {"city": "Leeds"})
    assert saved.changes.empty and audit_count(shop) == before


def test_update_uses_same_validation_and_keeps_data(shop: Shop) -> None:
    first = shop.customers.register(ana()).customer
    second = shop.customers.register(ana(first_name="Bo", phone="07400 222222",
                                         email="bo@example.com")).customer
    before = audit_count(shop)
    with pytest.raises(ValidationError) as err:
        shop.customers.update(second.id, {"phone": "07400123456", "first_name": ""})
    assert {(e.field, e.rule) for e in err.value.errors} == {("first_name", "required")}
    with pytest.raises(ValidationError) as dup:
        shop.customers.update(second.id, {"phone": "07400123456"})
    assert dup.value.errors[0].ref == str(first.id)
    with pytest.raises(ValidationError) as unknown:
        shop.customers.update(second.id, {"shoe_size": "44"})
    assert unknown.value.errors[0].rule == "unknown_field"
    assert shop.customers.profile(second.id).values["phone"] == "+447400222222"
    assert audit_count(shop) == before


def test_deactivate_instead_of_delete_needs_supervisor(shop: Shop) -> None:
    customer = shop.customers.register(ana()).customer
    shop.staff.create("fd", "Front Desk", "front_desk", "1111")
    shop.sign_in("fd", "1111")
    with pytest.raises(PermissionDenied):
        shop.customers.deactivate(customer.id, "moved away")
    shop.sign_in("owner", "owner-pass-1")
    saved = shop.customers.deactivate(customer.id, "moved away")
    assert not saved.customer.is_active
    with shop.store.read() as session:
        assert session.get(Customer, customer.id) is not None  # still there
    entry = shop.audit.entries(entity="customer", entity_id=customer.id)[0]
    assert entry.action == "deactivate" and entry.detail["reason"] == "moved away"
    assert shop.customers.reactivate(customer.id).customer.is_active


def test_verification_is_recorded_with_who_and_when(shop: Shop) -> None:
    customer = shop.customers.register(ana()).customer
    shop.customers.set_verified(customer.id, "phone", True)
    shop.customers.set_verified(customer.id, "email", True)
    shop.customers.set_verified(customer.id, "address", True)
    shop.customers.record_id_check(customer.id, "passport", "4821")
    v = shop.customers.profile(customer.id).verification
    assert v.phone_verified_at and v.phone_verified_by == "Olivia Owner"
    assert v.email_verified_at and v.address_validated_at
    assert (v.id_document_type, v.id_document_last_digits, v.id_checked_by) == (
        "passport", "4821", "Olivia Owner")
    # A new number is not the verified one any more.
    shop.customers.update(customer.id, {"phone": "07400 555555"})
    v = shop.customers.profile(customer.id).verification
    assert v.phone_verified_at is None and v.email_verified_at is not None


def test_verification_input_is_checked(shop: Shop) -> None:
    customer = shop.customers.register(ana(email="")).customer
    with pytest.raises(ValidationError) as err:
        shop.customers.set_verified(customer.id, "email", True)
    assert err.value.errors[0].field == "email"
    with pytest.raises(ValidationError) as err:
        shop.customers.record_id_check(customer.id, "library card", "12345678")
    assert {e.field for e in err.value.errors} == {"id_document_type",
                                                   "id_document_last_digits"}
    with pytest.raises(ValidationError):
        shop.customers.set_verified(customer.id, "shoe", True)


def test_open_profile_records_who_viewed_whom(shop: Shop) -> None:
    customer = shop.customers.register(ana()).customer
    shop.customers.open_profile(customer.id)
    entry = shop.audit.entries(entity="customer", entity_id=customer.id)[0]
    assert entry.action == "view" and entry.actor == "Olivia Owner"
    with pytest.raises(NotFound):
        shop.customers.open_profile(UUID(int=1))


def test_find_matches_while_typing(shop: Shop) -> None:
    existing = shop.customers.register(ana(first_name="José", last_name="Müller")).customer
    by_phone = shop.customers.find_matches(phone="07400-123-456")
    assert [m.customer.id for m in by_phone] == [existing.id]
    assert by_phone[0].reasons == ("same phone",)
    by_email = shop.customers.find_matches(email="ANA@EXAMPLE.COM")
    assert by_email[0].reasons == ("same e-mail",)
    for first, last in [("jose", "muller"), ("Jose", "Mueller"), ("Müller", "José"),
                        ("Josè", "Muler")]:
        names = shop.customers.find_matches(first_name=first, last_name=last)
        assert [m.customer.id for m in names] == [existing.id], (first, last)
    assert shop.customers.find_matches(first_name="Zoë", last_name="Okafor") == []
    assert shop.customers.find_matches(phone="07400 123456", exclude=existing.id) == []
    both = shop.customers.find_matches(phone="+447400123456", first_name="Jose",
                                       last_name="Muller")
    assert both[0].reasons == ("same phone", "similar name")


def test_search_by_name_phone_email_and_code(shop: Shop) -> None:
    a = shop.customers.register(ana(first_name="José", last_name="Müller")).customer
    b = shop.customers.register(ana(first_name="Bea", last_name="Smith", phone="07911 123456",
                                    email="bea@shop.co.uk", postcode="M1 1AA")).customer
    assert [c.id for c in shop.customers.search("muller")] == [a.id]
    assert [c.id for c in shop.customers.search("jos mül")] == [a.id]
    assert [c.id for c in shop.customers.search("07911 123456")] == [b.id]
    assert [c.id for c in shop.customers.search("911123456")] == [b.id]
    assert [c.id for c in shop.customers.search("bea@")] == [b.id]
    assert [c.id for c in shop.customers.search(b.code.lower())] == [b.id]
    assert [c.id for c in shop.customers.search("m1")] == [b.id]
    assert {c.id for c in shop.customers.search("")} == {a.id, b.id}
    assert shop.customers.by_code(a.code) == shop.customers.summaries([a.id])[0]


def test_nobody_signed_in_cannot_register(bare_shop: Shop) -> None:
    with pytest.raises(PermissionDenied):
        bare_shop.customers.register(ana())
