"""The closed lists customer fields draw from; values are stored, labels shown."""

from __future__ import annotations

from enum import StrEnum

# Where "capitalise the value" reads wrong to staff.
_LABELS = {"whatsapp": "WhatsApp", "sms": "SMS", "walk_in": "Walk-in", "id_scan": "ID scan",
           "national_id": "National ID card", "non_binary": "Non-binary",
           "in_person": "In person"}


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        return _LABELS.get(self.value) or self.value.replace("_", " ").capitalize()


class CustomerType(_Labelled):
    INDIVIDUAL = "individual"
    BUSINESS = "business"


class Channel(_Labelled):
    """How the customer came to be registered (spec 1.1)."""

    WALK_IN = "walk_in"
    ONLINE_FORM = "online_form"
    WHATSAPP = "whatsapp"
    PHONE_CALL = "phone_call"
    REPAIR_INTAKE = "repair_intake"


class ContactMethod(_Labelled):
    """Preferred contact channel (spec 4.1)."""

    WHATSAPP = "whatsapp"
    SMS = "sms"
    PHONE = "phone"
    EMAIL = "email"
    IN_PERSON = "in_person"


class Gender(_Labelled):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    OTHER = "other"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class BestTime(_Labelled):
    ANY = "any"
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


class DocumentKind(_Labelled):
    ID_SCAN = "id_scan"
    SIGNED_FORM = "signed_form"
    PHOTO = "photo"
    OTHER = "other"


class IdDocumentType(_Labelled):
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    DRIVING_LICENCE = "driving_licence"
    RESIDENCE_PERMIT = "residence_permit"
    OTHER = "other"


class LoyaltyTier(_Labelled):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class ServiceKind(_Labelled):
    """What a service record is (spec 5.1)."""

    REPAIR = "repair"
    PART_PURCHASE = "part_purchase"
    CONSULTATION = "consultation"
    WARRANTY_CLAIM = "warranty_claim"
    RETURN_EXCHANGE = "return_exchange"


class PaymentMethod(_Labelled):
    CASH = "cash"
    CARD = "card"
    MOBILE_MONEY = "mobile_money"
    BANK_TRANSFER = "bank_transfer"
    STORE_CREDIT = "store_credit"


class DeviceCondition(_Labelled):
    """A device's current condition (spec 5.3), as staff judge it at the counter."""

    NEW = "new"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"
    BROKEN = "broken"


Labelled = _Labelled  # the base of every closed list, for the other domain modules


def values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]
