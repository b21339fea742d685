"""The customer form: its fields and the rules every registration or edit obeys.

`clean_customer` is pure: it turns what staff typed into the values stored, or
raises one ValidationError listing every broken rule (field, rule, sentence).
Rules that need the database (one customer per phone and per e-mail) live in
`shopdesk.services.customers.customers`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers

from shopdesk.domain.choices import BestTime, Channel, ContactMethod, CustomerType, Gender
from shopdesk.domain.emails import normalize_email
from shopdesk.domain.phones import normalize_phone
from shopdesk.domain.text import collapse_spaces, control_errors
from shopdesk.errors import FieldError, ValidationError

MAX_NAME = 80
MAX_TEXT = 200
MAX_NOTES = 4000


@dataclass
class CustomerInput:
    """What staff typed, as text; every field of spec 1.2, 2.1 and 4.2."""

    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    preferred_contact: str = ContactMethod.SMS.value
    date_of_birth: date | str | None = None
    gender: str = ""
    occupation: str = ""
    company: str = ""
    secondary_phone: str = ""
    whatsapp: str = ""
    customer_type: str = CustomerType.INDIVIDUAL.value
    notes: str = ""
    channel: str = Channel.WALK_IN.value
    best_time: str = BestTime.ANY.value
    language: str = ""
    marketing_opt_in: bool = False
    service_notifications: bool = True

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    def merged(self, changes: dict[str, Any]) -> CustomerInput:
        unknown = set(changes) - set(self.field_names())
        if unknown:
            raise ValidationError(
                [FieldError(name, "unknown_field", "is not a customer field") for name in unknown]
            )
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Policy:
    """Shop settings that shape validation."""

    default_region: str = "GB"
    require_email: bool = False
    require_address: bool = False
    default_language: str = "en"


def _text(errors: list[FieldError], field: str, value: Any, limit: int,
          required: bool = False) -> str:
    text = collapse_spaces(str(value or ""))
    if required and not text:
        errors.append(FieldError(field, "required", "is required"))
    elif len(text) > limit:
        errors.append(FieldError(field, "too_long", f"must be at most {limit} characters"))
    return text


def _choice(errors: list[FieldError], field: str, value: str, enum: type[Any],
            allow_empty: bool = False) -> str | None:
    text = (value or "").strip().lower().replace(" ", "_").replace("-", "_")
    if not text and allow_empty:
        return None
    allowed = [m.value for m in enum]
    if text not in allowed:
        errors.append(FieldError(field, "choice", f"must be one of: {', '.join(allowed)}"))
        return None
    return text


def _date_of_birth(errors: list[FieldError], value: date | str | None,
                   today: date) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            errors.append(FieldError("date_of_birth", "date_format",
                                     f"'{value}' is not a date (use YYYY-MM-DD)"))
            return None
    assert isinstance(value, date)
    if value > today:
        errors.append(FieldError("date_of_birth", "date_future", "cannot be in the future"))
    elif value.year < today.year - 120:
        errors.append(FieldError("date_of_birth", "date_too_old", "is more than 120 years ago"))
    return value


def _phone(errors: list[FieldError], field: str, raw: str, region: str, *, mobile: bool,
           required: bool) -> str | None:
    if not raw.strip() and not required:
        return None
    try:
        return normalize_phone(raw, region, field, mobile=mobile)
    except ValidationError as err:
        errors.extend(err.errors)
        return None


def clean_customer(data: CustomerInput, policy: Policy, today: date) -> dict[str, Any]:
    """Stored values for `data`, or ValidationError naming every broken rule."""
    errors: list[FieldError] = control_errors(data)
    out: dict[str, Any] = {}
    out["first_name"] = _text(errors, "first_name", data.first_name, MAX_NAME, required=True)
    out["last_name"] = _text(errors, "last_name", data.last_name, MAX_NAME, required=True)
    out["customer_type"] = _choice(errors, "customer_type", data.customer_type, CustomerType)
    out["company"] = _text(errors, "company", data.company, MAX_TEXT,
                           required=out["customer_type"] == CustomerType.BUSINESS) or None
    region = policy.default_region
    out["phone"] = _phone(errors, "phone", data.phone, region, mobile=True, required=True)
    out["secondary_phone"] = _phone(errors, "secondary_phone", data.secondary_phone, region,
                                    mobile=False, required=False)
    out["whatsapp"] = _phone(errors, "whatsapp", data.whatsapp, region, mobile=True,
                             required=False)
    out["email"] = None
    if data.email.strip() or policy.require_email:
        try:
            out["email"] = normalize_email(data.email)
        except ValidationError as err:
            errors.extend(err.errors)
    out["address_line1"] = _text(errors, "address_line1", data.address_line1, MAX_TEXT,
                                 required=policy.require_address) or None
    out["address_line2"] = _text(errors, "address_line2", data.address_line2, MAX_TEXT) or None
    out["city"] = _text(errors, "city", data.city, MAX_NAME,
                        required=policy.require_address) or None
    out["region"] = _text(errors, "region", data.region, MAX_NAME) or None
    out["postcode"] = _text(errors, "postcode", data.postcode, 16).upper() or None
    country = (data.country or "").strip().upper() or policy.default_region.upper()
    if country not in phonenumbers.SUPPORTED_REGIONS:
        errors.append(FieldError("country", "country_code",
                                 f"'{data.country}' is not a two-letter country code (e.g. GB)"))
    out["country"] = country
    out["preferred_contact"] = _choice(errors, "preferred_contact", data.preferred_contact,
                                       ContactMethod)
    if out["preferred_contact"] == ContactMethod.EMAIL and not data.email.strip():
        errors.append(FieldError("email", "required_for_contact",
                                 "is required when e-mail is the preferred contact method"))
    out["date_of_birth"] = _date_of_birth(errors, data.date_of_birth, today)
    out["gender"] = _choice(errors, "gender", data.gender, Gender, allow_empty=True)
    out["occupation"] = _text(errors, "occupation", data.occupation, MAX_TEXT) or None
    out["notes"] = _text_keep_lines(errors, data.notes)
    out["channel"] = _choice(errors, "channel", data.channel, Channel)
    out["best_time"] = _choice(errors, "best_time", data.best_time, BestTime)
    language = (data.language or "").strip().lower() or policy.default_language
    if not (2 <= len(language) <= 8 and language.replace("-", "").isalpha()):
        errors.append(FieldError("language", "language_code",
                                 f"'{data.language}' is not a language code (e.g. en, fr, pt-br)"))
    out["language"] = language
    out["marketing_opt_in"] = bool(data.marketing_opt_in)
    out["service_notifications"] = bool(data.service_notifications)
    if errors:
        raise ValidationError(errors)
    return out


def _text_keep_lines(errors: list[FieldError], value: str) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_NOTES:
        errors.append(FieldError("notes", "too_long", f"must be at most {MAX_NOTES} characters"))
    return text or None
