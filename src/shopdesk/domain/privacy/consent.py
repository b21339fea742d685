"""What a customer may consent to, and how a consent is given (spec 13.1).

Pure rules: the purposes and methods are closed lists (stored values, shown labels),
and `current` derives the state of each purpose from the append-only history of
consent events: the latest event of a purpose wins (by when it was given, then by
when it was recorded), so a withdrawal recorded on one counter and a grant on
another settle the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shopdesk.domain.choices import Labelled


class Purpose(Labelled):
    SERVICE_NOTIFICATIONS = "service_notifications"
    MARKETING_WHATSAPP = "marketing_whatsapp"
    MARKETING_SMS = "marketing_sms"
    MARKETING_EMAIL = "marketing_email"
    MARKETING_PHONE = "marketing_phone"
    ID_SCAN = "id_scan"
    DATA_PROCESSING = "data_processing"

    @property
    def label(self) -> str:
        return PURPOSE_LABELS[self]


PURPOSE_LABELS = {
    Purpose.SERVICE_NOTIFICATIONS: "Service notifications",
    Purpose.MARKETING_WHATSAPP: "Marketing by WhatsApp",
    Purpose.MARKETING_SMS: "Marketing by SMS",
    Purpose.MARKETING_EMAIL: "Marketing by e-mail",
    Purpose.MARKETING_PHONE: "Marketing by phone",
    Purpose.ID_SCAN: "Storing an ID scan",
    Purpose.DATA_PROCESSING: "Data processing",
}
# Allowed until the customer says no: notifications about their own repairs are part of
# the service they asked for (they may object, which is recorded as a withdrawal).
ALLOWED_UNLESS_WITHDRAWN = frozenset({Purpose.SERVICE_NOTIFICATIONS})
MARKETING = (Purpose.MARKETING_WHATSAPP, Purpose.MARKETING_SMS, Purpose.MARKETING_EMAIL,
             Purpose.MARKETING_PHONE)
MARKETING_CHANNELS = {"whatsapp": Purpose.MARKETING_WHATSAPP, "sms": Purpose.MARKETING_SMS,
                      "email": Purpose.MARKETING_EMAIL, "phone": Purpose.MARKETING_PHONE}


class ConsentMethod(Labelled):
    """How the customer gave (or withdrew) it. `imported`: carried over from the
    marketing opt-in of an earlier version, or from an imported file."""

    SIGNED_FORM = "signed_form"
    ONLINE = "online"
    VERBAL = "verbal"
    IMPORTED = "imported"


@dataclass(frozen=True)
class ConsentEvent:
    """One recorded grant or withdrawal (a row of the register)."""

    purpose: str
    granted: bool
    method: str
    at: datetime  # when the customer gave or withdrew it
    recorded_at: datetime
    recorded_by: str | None
    note: str | None
    id: str = ""


@dataclass(frozen=True)
class ConsentState:
    """The current state of one purpose: None when nothing was ever recorded."""

    purpose: str
    granted: bool | None
    since: datetime | None = None
    method: str | None = None
    recorded_by: str | None = None
    withdrawn_at: datetime | None = None  # the latest withdrawal, if any

    @property
    def label(self) -> str:
        return Purpose(self.purpose).label

    @property
    def allowed(self) -> bool:
        """Whether the purpose is allowed now (a never-recorded one only by default)."""
        if self.granted is None:
            return Purpose(self.purpose) in ALLOWED_UNLESS_WITHDRAWN
        return self.granted


def order_key(event: ConsentEvent) -> tuple[datetime, datetime, str]:
    return (event.at, event.recorded_at, event.id)


def current(events: Iterable[ConsentEvent]) -> dict[str, ConsentState]:
    """Every purpose's state from its history (any order in)."""
    latest: dict[str, ConsentEvent] = {}
    withdrawn: dict[str, datetime] = {}
    for event in events:
        seen = latest.get(event.purpose)
        if seen is None or order_key(event) > order_key(seen):
            latest[event.purpose] = event
        if not event.granted and (event.purpose not in withdrawn
                                  or event.at > withdrawn[event.purpose]):
            withdrawn[event.purpose] = event.at
    states = {}
    for purpose in Purpose:
        last = latest.get(purpose.value)
        states[purpose.value] = ConsentState(
            purpose.value, None if last is None else last.granted,
            last.at if last else None, last.method if last else None,
            last.recorded_by if last else None, withdrawn.get(purpose.value))
    return states


def method_for_channel(channel: str) -> ConsentMethod:
    """How a choice made on the registration form was most likely given."""
    return ConsentMethod.ONLINE if channel == "online_form" else ConsentMethod.VERBAL
