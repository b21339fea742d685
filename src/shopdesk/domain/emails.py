"""E-mail addresses: syntax checked offline, stored lower-case."""

from __future__ import annotations

from shopdesk.errors import FieldError, ValidationError


def normalize_email(raw: str, field: str = "email") -> str:
    """Lower-cased address, or ValidationError. No DNS or network is used."""
    # Imported here: its regex tables cost ~50 ms, paid on the first e-mail
    # typed rather than at every start-up.
    from email_validator import EmailNotValidError, validate_email

    text = raw.strip()
    if not text:
        raise _fail(field, "required", "an e-mail address is required")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise _fail(field, "email_format",
                    f"'{raw}' is not a valid e-mail address: {exc}") from None
    # Treated as case-insensitive as a whole: shops never see mailboxes that
    # differ only in case, and staff type addresses in any case.
    return result.normalized.lower()


def _fail(field: str, rule: str, message: str) -> ValidationError:
    return ValidationError(FieldError(field, rule, message))
