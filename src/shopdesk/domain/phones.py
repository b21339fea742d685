"""Phone numbers: parsed with Google's libphonenumber, stored as E.164."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from shopdesk.errors import FieldError, ValidationError

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_phone(raw: str, region: str, field: str, *, mobile: bool) -> str:
    """Return the E.164 form of `raw`, or raise ValidationError naming `field`.

    `region` (ISO 3166 alpha-2) interprets numbers typed without a country code.
    With `mobile`, the number must be a mobile number (countries that cannot
    tell mobiles from landlines, such as the US, are accepted).
    """
    text = raw.strip()
    if not text:
        raise _fail(field, "required", "a phone number is required")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region.upper())
    except NumberParseException:
        raise _fail(
            field, "phone_format",
            f"'{raw}' is not a phone number (type it with its country code, "
            f"e.g. {example_mobile(region, international=True)})",
        ) from None
    # number_type() is UNKNOWN exactly when the number is invalid for its
    # region; asking it alone halves the cost of is_valid_number() + number_type().
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN:
        raise _fail(
            field, "phone_invalid",
            f"'{raw}' is not a valid phone number for "
            f"{phonenumbers.region_code_for_number(number) or region}",
        )
    if mobile and kind not in _MOBILE_TYPES:
        raise _fail(field, "phone_not_mobile", f"'{raw}' is not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)  # the same numbers are drawn again and again (lists, repaints)
def format_phone(e164: str | None, region: str) -> str:
    """Human form: national format at home, international format otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == region.upper():
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def example_mobile(region: str, *, international: bool = False) -> str:
    """A mobile number of `region` that passes `normalize_phone`, written as people
    there type it ('07400 123456' for GB), or with its country code
    ('+44 7400 123456'). libphonenumber's own example, so it is valid by definition."""
    example = phonenumbers.example_number_for_type(region.upper(), PhoneNumberType.MOBILE)
    if example is None:  # a region without mobiles of its own (never for the shop's)
        example = phonenumbers.example_number_for_type("GB", PhoneNumberType.MOBILE)
        international = True
    assert example is not None  # libphonenumber has one for GB
    form = (phonenumbers.PhoneNumberFormat.INTERNATIONAL if international
            else phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(example, form)


def try_normalize(raw: str, region: str) -> str | None:
    """E.164 if `raw` parses as a valid number of any type, else None (for lookups)."""
    try:
        return normalize_phone(raw, region, "phone", mobile=False)
    except ValidationError:
        return None


def is_valid_region(region: str) -> bool:
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


def _fail(field: str, rule: str, message: str) -> ValidationError:
    return ValidationError(FieldError(field, rule, message))
