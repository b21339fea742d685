"""Shop settings: a fixed catalogue of keys, each with a default and a rule.

The command line (`shopdesk settings set`) and the window's settings screen go
through the same `set_many`: every value is checked first (a rule that needs
another setting, such as the shop's phone against the shop's country, sees the
value being saved with it), and either all are stored, in one transaction with
their audit entry, or none is and the ValidationError names each bad field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from shopdesk.changes import Changes
from shopdesk.domain.customer_rules import Policy
from shopdesk.domain.loyalty import rules as loyalty_rules
from shopdesk.domain.money import check_locale, default_locale
from shopdesk.domain.permissions import Permission
from shopdesk.domain.phones import is_valid_region, normalize_phone
from shopdesk.domain.privacy import opening_hours
from shopdesk.domain.text import control_errors
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


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # all but the line break
LOGO_FORMATS = {"PNG": "PNG", "JPEG": "JPEG"}  # what ReportLab prints, by Pillow's name
LOGO_MAX_BYTES = 5 * 1024 * 1024


def _text(limit: int, *, lines: int = 1, required: bool = False) -> Callable[[str], str]:
    """Text of at most `limit` characters and `lines` lines (spaces at the ends of
    each line dropped), no control characters."""
    def check(value: str) -> str:
        rows = [row.strip() for row in value.replace("\r\n", "\n").replace("\r", "\n")
                .split("\n")]
        value = "\n".join(row for row in rows if row) if lines > 1 else value.strip()
        if required and not value:
            raise ValueError("is required")
        if _CONTROL.search(value) or (lines == 1 and "\n" in value):
            raise ValueError("must not contain control characters or line breaks"
                             if lines == 1 else "must not contain control characters")
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        if value.count("\n") >= lines:
            raise ValueError(f"must be at most {lines} lines")
        return value
    return check


def _url(value: str) -> str:
    value = _text(300)(value)
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError(f"'{value}' is not a web address (e.g. https://example.com/survey)")
    return value


def _logo(value: str) -> str:
    """'' (no logo), or the absolute path of a PNG or JPEG image file."""
    text = _text(500)(value)
    if not text:
        return text
    path = Path(text).expanduser()
    if not path.is_file():
        raise ValueError(f"'{text}' is not a file")
    if path.stat().st_size > LOGO_MAX_BYTES:
        raise ValueError(f"must be at most {LOGO_MAX_BYTES // (1024 * 1024)} MB")
    from PIL import Image, UnidentifiedImageError  # Pillow comes with ReportLab

    try:
        with Image.open(path) as image:
            kind = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValueError(f"'{path.name}' is not a PNG or JPEG image") from None
    if kind not in LOGO_FORMATS:
        raise ValueError(f"'{path.name}' is a {kind or 'file of another kind'}, "
                         "not a PNG or JPEG image")
    return str(path.resolve())


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


def _locale(value: str) -> str:
    return check_locale(value) if value.strip() else ""


def _percent(value: str) -> str:
    text = value.strip().rstrip("%").strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a percentage (e.g. 20 or 8.5)") from None
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise ValueError("must be between 0 and 100")
    return format(number.normalize(), "f")


def _folder(value: str) -> str:
    value = value.strip()
    if len(value) > 500:
        raise ValueError("must be at most 500 characters")
    if value and not Path(value).expanduser().is_absolute():
        raise ValueError(f"'{value}' is not a full path (e.g. E:\\shop-backups or "
                         "/media/usb/shop-backups)")
    return value


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
    """One setting: its default, its rule (value in, stored value out, ValueError
    with the reason), and what it is for. `check_with` is for a rule that needs
    the other settings (as they will be after the save): it gets them too, and
    runs again on the stored value when one of `depends_on` changes."""

    key: str
    default: str
    check: Callable[[str], str]
    help: str
    check_with: Callable[[str, Mapping[str, str]], str] | None = None
    depends_on: tuple[str, ...] = ()


def _shop_phone(value: str, settings: Mapping[str, str]) -> str:
    """'' or a phone number valid for the shop's country or with its country code
    (any kind: a landline is fine), kept as typed: it is printed as the shop wants."""
    text = _text(40)(value)
    if text:
        try:
            normalize_phone(text, settings["phone.default_region"], "shop.phone",
                            mobile=False)
        except ValidationError as exc:
            raise ValueError(exc.errors[0].message) from None
    return text


def _decimal(low: str, high: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            number = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(f"'{value}' is not a number") from None
        if not number.is_finite() or not Decimal(low) <= number <= Decimal(high):
            raise ValueError(f"must be between {low} and {high}")
        return format(number.normalize(), "f")
    return check


def _named(keys: tuple[str, ...], whole: bool = False) -> Callable[[str], str]:
    def check(value: str) -> str:
        return loyalty_rules.format_map(loyalty_rules.parse_map(value, keys, whole=whole))
    return check


def _tiers(value: str) -> str:
    names = [t.strip().lower() for t in value.split(",") if t.strip()]
    for name in names:
        if name not in loyalty_rules.TIERS:
            raise ValueError(f"'{name}' is not one of: {', '.join(loyalty_rules.TIERS)}")
    return ",".join(names)


_KINDS = ("repair", "part_purchase", "consultation", "warranty_claim", "return_exchange")
_VIP = ("visits", "spend", "years", "referrals", "business")
# Earning, expiry, tier and benefit rules of the loyalty programme (issue 17).
LOYALTY_SETTINGS = [
    SettingSpec("loyalty.points_per_unit", "1", _decimal("0", "1000"),
                "points per unit of currency paid on a completed repair or part purchase"),
    SettingSpec("loyalty.multipliers",
                "repair=1,part_purchase=1,consultation=1,warranty_claim=0,return_exchange=0",
                _named(_KINDS), "points multiplier per service type (name=factor, ...)"),
    SettingSpec("loyalty.referral_bonus", "100", _int_range(0, 100000),
                "points for the referrer when the referred customer's first paid service "
                "completes"),
    SettingSpec("loyalty.feedback_points", "20", _int_range(0, 100000),
                "points for answering a feedback survey"),
    SettingSpec("loyalty.anniversary_bonus", "50", _int_range(0, 100000),
                "points on each anniversary of registration"),
    SettingSpec("loyalty.expiry_months", "12", _int_range(1, 120),
                "points expire this many months after they were earned (oldest first)"),
    SettingSpec("loyalty.expiry_notice_days", "30", _int_range(0, 365),
                "customers are told this many days before points expire"),
    SettingSpec("loyalty.point_value", "0.01", _decimal("0", "100"),
                "what one point is worth at redemption, in the shop's currency"),
    SettingSpec("loyalty.tier_basis", "points", _choice("points", "spend"),
                "tiers from the points earned or the money spent in the last 12 months"),
    SettingSpec("loyalty.tier_thresholds", "silver=500,gold=1500,platinum=5000",
                loyalty_rules.check_thresholds,
                "12-month points (or spend) that reach each tier"),
    SettingSpec("loyalty.demotion_grace_days", "90", _int_range(0, 730),
                "a customer who qualifies for a lower tier keeps theirs this many days"),
    SettingSpec("loyalty.labour_discount", "bronze=0,silver=5,gold=10,platinum=15",
                _named(loyalty_rules.TIERS), "discount on labour per tier, in percent"),
    SettingSpec("loyalty.warranty_extra_days", "bronze=0,silver=30,gold=60,platinum=90",
                _named(loyalty_rules.TIERS, whole=True),
                "days added to the shop's repair warranty per tier"),
    SettingSpec("loyalty.priority_tiers", "gold,platinum", _tiers,
                "tiers whose tickets go first on the ticket board"),
    SettingSpec("loyalty.vip_criteria", "visits=6,spend=1000,years=3,referrals=3,business=1",
                _named(_VIP), "VIP thresholds: 12-month visits and spend, years as a "
                "customer, referrals, business customer (1 counts it, 0 not)"),
    SettingSpec("loyalty.vip_min_criteria", "2", _int_range(1, 5),
                "how many VIP criteria a customer must meet to be flagged VIP"),
]


CATALOGUE: dict[str, SettingSpec] = {s.key: s for s in [
    SettingSpec("phone.default_region", "GB", _region,
                "country whose numbers may be typed without a country code"),
    SettingSpec("shop.name", "My Repair Shop", _text(120, required=True),
                "printed on receipts"),
    SettingSpec("shop.address", "", _text(300, lines=5),
                "printed on receipts (up to five lines)"),
    SettingSpec("shop.phone", "", _text(40), "printed on receipts; a number of the shop's "
                "country or with its country code", check_with=_shop_phone,
                depends_on=("phone.default_region",)),
    SettingSpec("shop.currency", "GBP", _currency, "ISO 4217 code of the shop's currency"),
    SettingSpec("shop.locale", "", _locale,
                "how amounts and dates are written (e.g. en_GB, de_DE); empty: the usual "
                "locale of phone.default_region"),
    SettingSpec("shop.language", "en", _language, "default language of new customers"),
    SettingSpec("customers.require_email", "false", _boolean,
                "refuse registrations without an e-mail address"),
    SettingSpec("customers.require_address", "false", _boolean,
                "refuse registrations without street and city"),
    SettingSpec("shop.logo_path", "", _logo,
                "image file (PNG or JPEG) printed at the top of receipts; empty: none"),
    SettingSpec("shop.survey_url", "", _url,
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
    SettingSpec("repairs.promised_days", "3", _int_range(0, 365),
                "days from intake to the promised-by date a new ticket starts with"),
    *LOYALTY_SETTINGS,
    SettingSpec("security.max_failed_signins", "5", _int_range(1, 20),
                "failed sign-ins before an account is locked"),
    SettingSpec("security.lockout_minutes", "15", _int_range(1, 1440),
                "how long a locked account stays locked"),
    SettingSpec("security.min_pin_length", "4", _int_range(4, 8),
                "digits a PIN needs at least when it is set or reset (4 to 8)"),
    SettingSpec("backup.folder", "", _folder,
                "where backups go (a USB disk, a NAS share, a cloud-synced folder); "
                "empty: the data directory's backups folder"),
    SettingSpec("backup.auto", "true", _boolean,
                "back up once a day while the window is open"),
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



def _base_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value):
        raise ValueError(f"'{value}' is not an http(s) address")
    return value


def _optional(check: Callable[[str], str]) -> Callable[[str], str]:
    def inner(value: str) -> str:
        return check(value) if value.strip() else ""
    return inner


def _pem_file(value: str) -> str:
    from pathlib import Path

    value = value.strip()
    if not Path(value).is_file():
        raise ValueError(f"'{value}' is not a file (a CA certificate in PEM form)")
    return value


def _e164_or_empty(value: str) -> str:
    value = value.strip().replace(" ", "")
    if value and not re.fullmatch(r"\+[1-9]\d{6,14}", value):
        raise ValueError(f"'{value}' is not an international number (+ and digits)")
    return value


def _hours(value: str) -> str:
    value = value.strip()
    if value and not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d-([01]?\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f"'{value}' is not a time range such as 21:00-08:00 (empty: none)")
    return value


def _zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = value.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{value}' is not a time zone name (e.g. Europe/London)") from None
    return value


def _channels(value: str) -> str:
    parts = [p.strip().lower() for p in value.split(",") if p.strip()]
    bad = [p for p in parts if p not in ("whatsapp", "sms", "email")]
    if bad or not parts:
        raise ValueError("must list channels among whatsapp, sms, email (e.g. whatsapp,sms)")
    return ",".join(dict.fromkeys(parts))


def _template_map(value: str) -> str:
    value = value.strip()
    for pair in filter(None, (p.strip() for p in value.split(","))):
        if not re.fullmatch(r"[a-z_]+=[a-z0-9_]{1,512}", pair):
            raise ValueError(f"'{pair}' is not name=approved_template_name")
    return value


# Messaging (issue 16). Secrets are never settings: the SMTP password, the Twilio auth
# token and the WhatsApp access token live in the OS keyring or the environment.
CATALOGUE.update({s.key: s for s in [
    SettingSpec("messaging.email.smtp_host", "", _text(253), "SMTP server of outgoing mail"),
    SettingSpec("messaging.email.smtp_port", "587", _int_range(1, 65535), "SMTP port"),
    SettingSpec("messaging.email.starttls", "true", _boolean,
                "upgrade the SMTP connection with STARTTLS (true/false)"),
    SettingSpec("messaging.email.username", "", _text(254),
                "SMTP login (password: keyring or SHOPDESK_SMTP_PASSWORD)"),
    SettingSpec("messaging.email.from", "", _text(254),
                "sender address of e-mails; the shop's name is the sender's name"),
    SettingSpec("messaging.email.ca_file", "", _optional(_pem_file),
                "a CA certificate (PEM) to trust for the SMTP server besides the system's"),
    SettingSpec("messaging.email.rate_per_second", "5", _int_range(1, 1000),
                "e-mails sent per second at most"),
    SettingSpec("messaging.sms.provider", "twilio", _choice("twilio"), "SMS gateway"),
    SettingSpec("messaging.sms.account_sid", "", _text(64),
                "Twilio account SID (auth token: keyring or SHOPDESK_TWILIO_AUTH_TOKEN)"),
    SettingSpec("messaging.sms.from_number", "", _e164_or_empty, "sending number (E.164)"),
    SettingSpec("messaging.sms.base_url", "https://api.twilio.com", _base_url,
                "Twilio API address (a proxy or test server may stand in)"),
    SettingSpec("messaging.sms.rate_per_second", "1", _int_range(1, 1000),
                "SMS sent per second at most (Twilio long code: 1)"),
    SettingSpec("messaging.whatsapp.phone_number_id", "", _text(64),
                "WhatsApp Cloud API phone number id (token: keyring or "
                "SHOPDESK_WHATSAPP_TOKEN)"),
    SettingSpec("messaging.whatsapp.base_url", "https://graph.facebook.com", _base_url,
                "Graph API address (a proxy or test server may stand in)"),
    SettingSpec("messaging.whatsapp.api_version", "v21.0",
                _choice(*(f"v{n}.0" for n in range(17, 30))), "Graph API version"),
    SettingSpec("messaging.whatsapp.templates", "", _template_map,
                "approved WhatsApp templates: name=approved_name,... (business-initiated "
                "messages outside the 24-hour window need one)"),
    SettingSpec("messaging.whatsapp.language", "en", _language,
                "language code of the approved WhatsApp templates"),
    SettingSpec("messaging.whatsapp.rate_per_second", "20", _int_range(1, 1000),
                "WhatsApp messages sent per second at most"),
    SettingSpec("messaging.channels", "whatsapp,sms,email", _channels,
                "channels tried in order after the customer's preferred one"),
    SettingSpec("messaging.quiet_hours", "21:00-08:00", _hours,
                "no automated message goes out in these hours (shop's time; empty: none)"),
    SettingSpec("messaging.timezone", "Europe/London", _zone, "the shop's time zone"),
    SettingSpec("messaging.public_url", "", _optional(_base_url),
                "address of the deployed shopdesk-webhooks Edge Function (e-mail links, "
                "Twilio status callbacks)"),
]})

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
        return self.set_many({key: value})

    def set_many(self, values: Mapping[str, str]) -> Changes:
        """Check every value, then store them all in one transaction (one audit
        entry per changed key), or none: the ValidationError names each bad field."""
        actor = self._store.require(Permission.CHANGE_SETTINGS)
        errors: list[FieldError] = []
        specs = []
        for key in values:
            try:
                specs.append(self._spec(key))
            except ValidationError as exc:
                errors += exc.errors
        clean: dict[str, str] = {}
        for spec in specs:  # first the rules that stand alone...
            dirty = control_errors(values[spec.key], spec.key)
            if dirty:  # no setting holds a control character (rule control_character)
                errors += dirty
                continue
            try:
                clean[spec.key] = spec.check(values[spec.key])
            except ValueError as exc:
                errors.append(FieldError(spec.key, "setting_value", str(exc)))
        after = {**self.all(), **clean}
        for spec in CATALOGUE.values():  # ...then those that need the others, as they
            if spec.check_with is None or not (  # will be (also when only those change)
                    spec.key in clean or set(spec.depends_on) & clean.keys()):
                continue
            try:
                checked = spec.check_with(after[spec.key], after)
            except ValueError as exc:
                errors.append(FieldError(spec.key, "setting_value", str(exc)))
            else:
                if spec.key in clean:
                    clean[spec.key] = checked
        if errors:
            raise ValidationError(errors)
        with self._store.write() as session:
            for key, value in clean.items():
                row = session.get(Setting, key)
                old = row.value if row else CATALOGUE[key].default
                if row is None:
                    session.add(Setting(key=key, value=value))
                else:
                    row.value = value
                if old != value:
                    self._audit.append(session, actor, "update", "setting", key,
                                       {key: [old, value]})
        return Changes(settings=True)

    def money_format(self) -> tuple[str, str]:
        """(currency, locale) amounts are written in: `shop.currency` and `shop.locale`
        (when empty, the usual locale of `phone.default_region`)."""
        values = self.all()
        return values["shop.currency"], (values["shop.locale"]
                                          or default_locale(values["phone.default_region"]))

    def receipt_warnings(self) -> list[str]:
        """What a receipt printed now would lack (the shop's address while blank)."""
        values = self.all()
        warnings = []
        if not values["shop.address"].strip():
            warnings.append("The shop's address is blank, so receipts print without it: "
                            "a manager can set it in Shop → Settings (or `shopdesk settings "
                            "set shop.address ...`).")
        return warnings

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
