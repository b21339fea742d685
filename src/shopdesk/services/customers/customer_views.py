"""Plain, immutable views of customers handed to the UI, the CLI and tests.

Built inside a read or write session from ORM rows; safe to pass across threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.models import Customer, CustomerDocument

CUSTOMER_COLUMNS = (
    "first_name", "last_name", "customer_type", "company", "phone", "secondary_phone",
    "whatsapp", "email", "address_line1", "address_line2", "city", "region", "postcode",
    "country", "date_of_birth", "gender", "occupation", "notes", "channel",
)
PREFERENCE_COLUMNS = (
    "preferred_contact", "best_time", "language", "marketing_opt_in", "service_notifications",
)


@dataclass(frozen=True)
class CustomerSummary:
    """One line of a result list."""

    id: UUID
    code: str
    first_name: str
    last_name: str
    phone: str
    email: str | None
    company: str | None
    city: str | None
    postcode: str | None
    customer_type: str
    is_active: bool
    created_at: datetime
    last_visit_at: datetime | None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Verification:
    phone_verified_at: datetime | None = None
    phone_verified_by: str | None = None
    email_verified_at: datetime | None = None
    email_verified_by: str | None = None
    address_validated_at: datetime | None = None
    address_validated_by: str | None = None
    id_document_type: str | None = None
    id_document_last_digits: str | None = None
    id_checked_at: datetime | None = None
    id_checked_by: str | None = None


@dataclass(frozen=True)
class DocumentInfo:
    id: UUID
    customer_id: UUID
    kind: str
    title: str
    filename: str
    content_hash: str
    size: int
    added_at: datetime
    added_by: str | None



@dataclass(frozen=True)
class CustomerProfile:
    """Everything the profile screen shows about one customer."""

    summary: CustomerSummary
    values: dict[str, object]  # every CUSTOMER_COLUMNS and PREFERENCE_COLUMNS value
    updated_at: datetime
    registered_by: str | None
    marketing_consent_at: datetime | None
    loyalty_points: int
    loyalty_tier: str
    verification: Verification
    documents: list[DocumentInfo] = field(default_factory=list)
    # The service history is `shop.service_records.for_customer(id)`.

    def as_input(self) -> CustomerInput:
        """The edit form's starting values."""
        return input_of(self.values)


def input_of(values: dict[str, object]) -> CustomerInput:
    """Stored values (`values_of`) as the form's typed input."""
    data = {k: ("" if v is None else v) for k, v in values.items()}
    dob = values.get("date_of_birth")
    data["date_of_birth"] = dob if isinstance(dob, date) else None
    return CustomerInput(**data)  # type: ignore[arg-type]


def summary_of(row: Customer) -> CustomerSummary:
    return CustomerSummary(
        row.id, row.code, row.first_name, row.last_name, row.phone, row.email, row.company,
        row.city, row.postcode, row.customer_type, row.is_active, row.created_at,
        row.last_visit_at,
    )


def values_of(row: Customer) -> dict[str, object]:
    values: dict[str, object] = {c: getattr(row, c) for c in CUSTOMER_COLUMNS}
    prefs = row.preferences
    for column in PREFERENCE_COLUMNS:
        values[column] = getattr(prefs, column)
    return values


def document_of(row: CustomerDocument, added_by: str | None) -> DocumentInfo:
    return DocumentInfo(row.id, row.customer_id, row.kind, row.title, row.filename,
                        row.content_hash, row.size, row.added_at, added_by)
