"""IMEI numbers and serial numbers: checking and normalising what staff type or scan.

An IMEI has 15 digits; the last is a Luhn check digit over the first 14, so a
mistyped or misread digit is caught at the counter. The first eight digits are
the type allocation code (TAC), which names the make and model. Staff may type
spaces, dashes or slashes (as printed on boxes); they are dropped.

Serial numbers (for devices without an IMEI) are kept upper-case with spaces
and dashes removed, so "c02-xk 12" and "C02XK12" are the same device.

Pure functions; safe from any thread.
"""

from __future__ import annotations

import re

from shopdesk.errors import FieldError, ValidationError

IMEI_LENGTH = 15
TAC_LENGTH = 8
_SEPARATORS = re.compile(r"[\s\-/.]")
_SERIAL = re.compile(r"^[A-Z0-9]{3,40}$")


def strip_separators(text: str) -> str:
    return _SEPARATORS.sub("", text or "")


def luhn_check_digit(first14: str) -> int:
    """The check digit completing 14 digits (the Luhn algorithm, as for IMEIs)."""
    total = 0
    for index, char in enumerate(reversed(first14)):
        digit = int(char)
        if index % 2 == 0:  # every second digit from the right, starting next to the check
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def is_valid_imei(text: str) -> bool:
    digits = strip_separators(text)
    return (len(digits) == IMEI_LENGTH and digits.isdigit()
            and luhn_check_digit(digits[:14]) == int(digits[14]))


def looks_like_imei(text: str) -> bool:
    """15 digits once separators are dropped (whether or not the check digit fits)."""
    digits = strip_separators(text)
    return len(digits) == IMEI_LENGTH and digits.isdigit()


def clean_imei(text: str, field: str = "imei") -> str:
    """The 15 digits, or ValidationError with rule `imei_format` / `imei_check_digit`."""
    digits = strip_separators(text)
    if not (len(digits) == IMEI_LENGTH and digits.isdigit()):
        raise ValidationError(FieldError(
            field, "imei_format",
            f"an IMEI has 15 digits (dial *#06# to show it); got '{text.strip()}'"))
    expected = luhn_check_digit(digits[:14])
    if expected != int(digits[14]):
        raise ValidationError(FieldError(
            field, "imei_check_digit",
            f"{digits} is not a valid IMEI: its check digit should be {expected}, "
            "so a digit was probably mistyped"))
    return digits


def tac(imei: str) -> str:
    """The type allocation code: the first eight digits."""
    return strip_separators(imei)[:TAC_LENGTH]


def normalize_serial(text: str) -> str:
    return strip_separators(text).upper()


def clean_serial(text: str, field: str = "serial") -> str:
    serial = normalize_serial(text)
    if not _SERIAL.match(serial):
        raise ValidationError(FieldError(
            field, "serial_format", "a serial number has 3 to 40 letters or digits"))
    return serial


def normalize_identifier(text: str) -> str:
    """What a scan or a typed IMEI/serial is looked up as."""
    return normalize_serial(text)
