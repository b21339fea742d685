"""Pure rules: text folding, phones, e-mails, codes, permissions, the customer form."""

from __future__ import annotations

from datetime import date

import pytest

from shopdesk.domain import codes
from shopdesk.domain.customer_rules import CustomerInput, Policy, clean_customer
from shopdesk.domain.emails import normalize_email
from shopdesk.domain.permissions import PERMISSIONS, Permission, Role, allowed
from shopdesk.domain.phones import format_phone, normalize_phone
from shopdesk.domain.text import fold
from shopdesk.errors import ValidationError

TODAY = date(2026, 11, 24)
GB = Policy(default_region="GB")


def test_fold_removes_accents_case_and_special_letters() -> None:
    assert fold("Müller") == "muller"
    assert fold("  José  ÁLVAREZ ") == "jose alvarez"
    assert fold("Øst-Ærø Straße") == "ost aero strasse"
    assert fold("Łukasz Żółć") == "lukasz zolc"


@pytest.mark.parametrize("raw", ["07400 123456", "07400-123-456", "+44 7400 123456",
                                 "0044 7400 123456", "(07400) 123456"])
def test_phone_national_and_international_forms_store_e164(raw: str) -> None:
    assert normalize_phone(raw, "GB", "phone", mobile=True) == "+447400123456"


def test_phone_rules_name_field_and_rule() -> None:
    with pytest.raises(ValidationError) as landline:
        normalize_phone("020 7946 0958", "GB", "phone", mobile=True)
    assert landline.value.errors[0].rule == "phone_not_mobile"
    assert landline.value.errors[0].field == "phone"
    with pytest.raises(ValidationError) as garbage:
        normalize_phone("hello", "GB", "whatsapp", mobile=True)
    assert (garbage.value.errors[0].field, garbage.value.errors[0].rule) == (
        "whatsapp", "phone_format")
    with pytest.raises(ValidationError) as short:
        normalize_phone("07400 12", "GB", "phone", mobile=True)
    assert short.value.errors[0].rule == "phone_invalid"
    # A landline is fine where a mobile is not required.
    assert normalize_phone("020 7946 0958", "GB", "secondary_phone", mobile=False) == \
        "+442079460958"


def test_phone_region_setting_changes_interpretation() -> None:
    assert normalize_phone("0612345678", "FR", "phone", mobile=True) == "+33612345678"
    assert format_phone("+33612345678", "FR") == "06 12 34 56 78"
    assert format_phone("+33612345678", "GB") == "+33 6 12 34 56 78"


def test_email_is_lowercased_and_checked_offline() -> None:
    assert normalize_email(" Ana.Lopez@Example.COM ") == "ana.lopez@example.com"
    for bad in ["ana@", "ana.example.com", "ana@@example.com", "ana @example.com"]:
        with pytest.raises(ValidationError) as err:
            normalize_email(bad)
        assert err.value.errors[0].rule == "email_format"


def test_codes_are_unambiguous_and_normalised() -> None:
    tag = codes.new_node_tag()
    assert len(tag) == 4 and tag[0].isalpha()
    assert not set(tag) & set("ILOU")
    code = codes.customer_code(tag, 42)
    assert code == f"{tag}-0042"
    assert codes.looks_like_code(code.lower())
    assert codes.normalize_code("k7qo-0042") == "K7Q0-0042"
    assert not codes.looks_like_code("smith")


def test_permission_table_covers_every_permission() -> None:
    assert set(PERMISSIONS) == set(Permission)
    assert allowed(Role.OWNER, Permission.MANAGE_STAFF)
    assert allowed(Role.MANAGER, Permission.READ_AUDIT)
    for role in (Role.FRONT_DESK, Role.TECHNICIAN, Role.SUPERVISOR):
        assert not allowed(role, Permission.MANAGE_STAFF)
        assert not allowed(role, Permission.READ_AUDIT)
    assert allowed(Role.FRONT_DESK, Permission.REGISTER_CUSTOMERS)
    assert not allowed(Role.FRONT_DESK, Permission.DEACTIVATE_CUSTOMERS)


def test_clean_customer_reports_every_broken_rule_at_once() -> None:
    data = CustomerInput(first_name="", last_name="Ng", phone="020 7946 0958", email="x@",
                         date_of_birth="2030-01-01", customer_type="shop", country="ZZ",
                         preferred_contact="pigeon", gender="robot", language="!!")
    with pytest.raises(ValidationError) as err:
        clean_customer(data, GB, TODAY)
    got = {(e.field, e.rule) for e in err.value.errors}
    assert got == {
        ("first_name", "required"), ("phone", "phone_not_mobile"), ("email", "email_format"),
        ("date_of_birth", "date_future"), ("customer_type", "choice"),
        ("country", "country_code"), ("preferred_contact", "choice"), ("gender", "choice"),
        ("language", "language_code"),
    }
    assert all(e.message for e in err.value.errors)


def test_clean_customer_normalises_values() -> None:
    clean = clean_customer(CustomerInput(
        first_name="  Ana  María ", last_name="López", phone="07400 123456",
        email="ANA@EXAMPLE.com", postcode="sw1a 1aa", customer_type="Business",
        company="Ana's Phones", date_of_birth="1990-05-01", preferred_contact="WhatsApp",
        whatsapp="+34 612 34 56 78"), GB, TODAY)
    assert clean["first_name"] == "Ana María"
    assert clean["phone"] == "+447400123456"
    assert clean["whatsapp"] == "+34612345678"
    assert clean["email"] == "ana@example.com"
    assert clean["postcode"] == "SW1A 1AA"
    assert clean["customer_type"] == "business"
    assert clean["date_of_birth"] == date(1990, 5, 1)
    assert clean["country"] == "GB"
    assert clean["language"] == "en"


def test_business_needs_company_and_email_contact_needs_email() -> None:
    with pytest.raises(ValidationError) as err:
        clean_customer(CustomerInput(first_name="A", last_name="B", phone="07400123456",
                                     customer_type="business", preferred_contact="email"),
                       GB, TODAY)
    assert {(e.field, e.rule) for e in err.value.errors} == {
        ("company", "required"), ("email", "required_for_contact")}


def test_policy_can_require_email_and_address() -> None:
    strict = Policy(default_region="GB", require_email=True, require_address=True)
    with pytest.raises(ValidationError) as err:
        clean_customer(CustomerInput(first_name="A", last_name="B", phone="07400123456"),
                       strict, TODAY)
    assert {e.field for e in err.value.errors} == {"email", "address_line1", "city"}
