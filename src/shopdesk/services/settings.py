"""Shop settings: a fixed catalogue of keys, each with a default and a rule."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from shopdesk.changes import Changes
from shopdesk.domain.customer_rules import Policy
from shopdesk.domain.permissions import Permission
from shopdesk.domain.phones import is_valid_region
from shopdesk.domain.privacy import opening_hours
from shopdesk.errors import FieldError, ValidationError
from shopdesk.models import Setting
from shopdesk.services.audit import AuditTrail
from shopdesk.services.store import Store


def _region(value: str) -> str:
    value = value.strip().upper()
    if not is_valid_region(value):
        raise ValueError(f"'{value}' is not a two-letter country code known for phone numbers")
    return value


def _currency(value: str) -> str:
    value = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError(f"'{value}' is not a three-letter ISO 4217 currency code (e.g. GBP)")
    return value


def _boolean(value: str) -> str:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return "true"
    if text in ("0", "false", "no", "off"):
        return "false"
    raise ValueError(f"'{value}' is not true or false")


def _text(limit: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip()
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return value
    return check


def _int_range(low: int, high: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return str(number)
    return check


def _language(value: str) -> str:
    value = value.strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,4})?", value):
        raise ValueError(f"'{value}' is not a language code (e.g. en, fr, pt-br)")
    return value


def _percent(value: str) -> str:
    text = value.strip().rstrip("%").strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a percentage (e.g. 20 or 8.5)") from None
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise ValueError("must be between 0 and 100")
    return format(number.normalize(), "f")


def _opening_hours(value: str) -> str:
    text = " ".join(value.lower().split())
    opening_hours.parse(text)  # ValueError with the reason
    return text


def _choice(*choices: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip().lower()
        if value not in choices:
            raise ValueError(f"'{value}' is not one of: {', '.join(choices)}")
        return value
    return check


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: str
    check: Callable[[str], str]
    help: str


CATALOGUE: dict[str, SettingSpec] = {s.key: s for s in [
    SettingSpec("phone.default_region", "GB", _region,
                "country whose numbers may be typed without a country code"),
    SettingSpec("shop.name", "My Repair Shop", _text(120), "printed on receipts"),
    SettingSpec("shop.address", "", _text(300), "printed on receipts"),
    SettingSpec("shop.phone", "", _text(40), "printed on receipts"),
    SettingSpec("shop.currency", "GBP", _currency, "ISO 4217 code of the shop's currency"),
    SettingSpec("shop.language", "en", _language, "default language of new customers"),
    SettingSpec("customers.require_email", "false", _boolean,
                "refuse registrations without an e-mail address"),
    SettingSpec("customers.require_address", "false", _boolean,
                "refuse registrations without street and city"),
    SettingSpec("shop.logo_path", "", _text(500),
                "image file (PNG or JPEG) printed at the top of receipts; empty: none"),
    SettingSpec("shop.survey_url", "", _text(300),
                "online survey address printed as a QR code on feedback forms"),
    SettingSpec("shop.tax_rate", "0", _percent, "tax rate in percent, included in prices"),
    SettingSpec("print.label_size", "62x29mm", _choice("62x29mm", "2.25x1.25in"),
                "device label stock: 62 x 29 mm (Brother) or 2.25 x 1.25 in (Dymo/Zebra)"),
    SettingSpec("print.receipt_paper", "80mm", _choice("80mm", "a4", "letter"),
                "paper of receipts: 80 mm thermal roll, A4 or Letter"),
    SettingSpec("repairs.warranty_terms",
                "Repairs are guaranteed for the warranty period from pickup. The warranty "
                "covers the parts replaced and the work done; it does not cover liquid or "
                "impact damage after pickup.", _text(2000),
                "warranty terms printed on receipts and job sheets"),
    SettingSpec("repairs.warranty_days", "90", _int_range(0, 3650),
                "days of the shop's repair warranty, counted from pickup"),
    SettingSpec("security.max_failed_signins", "5", _int_range(1, 20),
                "failed sign-ins before an account is locked"),
    SettingSpec("security.lockout_minutes", "15", _int_range(1, 1440),
                "how long a locked account stays locked"),
    SettingSpec("security.lock_minutes", "5", _int_range(0, 240),
                "minutes without use before the window locks itself (0: never)"),
    SettingSpec("security.opening_hours", "mon-sat 08:00-19:00", _opening_hours,
                "opening hours, e.g. 'mon-fri 09:00-18:00, sat 10:00-16:00'; an export "
                "outside them raises an alert"),
    SettingSpec("security.alert_view_factor", "3", _int_range(2, 50),
                "alert when someone opens this many times more profiles in a day than usual"),
    SettingSpec("security.alert_min_views", "40", _int_range(5, 100000),
                "and only when they opened at least this many profiles that day"),
    SettingSpec("security.alert_failed_signins", "3", _int_range(2, 100),
                "alert after this many failed sign-ins for one account within an hour"),
    SettingSpec("privacy.retention_months", "72", _int_range(6, 600),
                "months without activity after which the data-quality report lists a "
                "customer for review"),
]}


class SettingsService:
    """Read from any thread; `set` needs the change-settings permission."""

    def __init__(self, store: Store, audit: AuditTrail) -> None:
        self._store = store
        self._audit = audit

    def all(self) -> dict[str, str]:
        with self._store.read() as session:
            stored = {s.key: s.value for s in session.scalars(select(Setting))}
        return {key: stored.get(key, spec.default) for key, spec in CATALOGUE.items()}

    def get(self, key: str) -> str:
        spec = self._spec(key)
        with self._store.read() as session:
            row = session.get(Setting, key)
            return row.value if row else spec.default

    def set(self, key: str, value: str) -> Changes:
        actor = self._store.require(Permission.CHANGE_SETTINGS)
        spec = self._spec(key)
        try:
            clean = spec.check(value)
        except ValueError as exc:
            raise ValidationError(FieldError(key, "setting_value", str(exc))) from None
        with self._store.write() as session:
            row = session.get(Setting, key)
            old = row.value if row else spec.default
            if row is None:
                session.add(Setting(key=key, value=clean))
            else:
                row.value = clean
            if old != clean:
                self._audit.append(session, actor, "update", "setting", key,
                                   {key: [old, clean]})
        return Changes(settings=True)

    def policy(self) -> Policy:
        values = self.all()
        return Policy(
            default_region=values["phone.default_region"],
            require_email=values["customers.require_email"] == "true",
            require_address=values["customers.require_address"] == "true",
            default_language=values["shop.language"],
        )

    @staticmethod
    def _spec(key: str) -> SettingSpec:
        spec = CATALOGUE.get(key)
        if spec is None:
            raise ValidationError(FieldError(
                key, "unknown_setting", f"is not a setting; known: {', '.join(CATALOGUE)}"))
        return spec
