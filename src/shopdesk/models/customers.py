"""Customers and the profile tables every customer has from the first moment (spec 1.4, 2.2)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopdesk.models.base import Base, created_at, str80, str200, utcnow, uuid_pk


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("customer_type IN ('individual','business')", name="customer_type"),
        CheckConstraint(
            "channel IN ('walk_in','online_form','whatsapp','phone_call','repair_intake')",
            name="channel",
        ),
        CheckConstraint("phone LIKE '+%'", name="phone_e164"),
        CheckConstraint("email IS NULL OR email = lower(email)", name="email_lower"),
        Index("ix_customers_last_key", "last_key"),
        Index("ix_customers_name_key", "name_key"),
        Index("ix_customers_updated_at", "updated_at"),
        Index("ix_customers_phone_rev", "phone_rev"),
        Index("ix_customers_whatsapp", "whatsapp"),
        Index("ix_customers_secondary_phone", "secondary_phone"),
    )

    id: Mapped[uuid_pk]
    code: Mapped[str] = mapped_column(String(16), unique=True)
    first_name: Mapped[str80]
    last_name: Mapped[str80]
    # Accent- and case-folded forms, kept in step by the service for matching.
    name_key: Mapped[str] = mapped_column(String(170))
    last_key: Mapped[str] = mapped_column(String(80))
    # Search support (issue #3): field-tagged folded words, and the phone's
    # digits reversed so "last digits" becomes an indexed prefix range.
    words: Mapped[str] = mapped_column(Text, default="")
    phone_rev: Mapped[str] = mapped_column(String(20), default="")
    # Unique per counter by the service's check, not by an index: two counters
    # may register the same number offline, and sync must keep both (issue #5).
    phone: Mapped[str] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    address_line1: Mapped[str200 | None]
    address_line2: Mapped[str200 | None]
    city: Mapped[str80 | None]
    region: Mapped[str80 | None]
    postcode: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2))
    date_of_birth: Mapped[date | None]
    gender: Mapped[str | None] = mapped_column(String(20))
    occupation: Mapped[str200 | None]
    company: Mapped[str200 | None]
    secondary_phone: Mapped[str | None] = mapped_column(String(20))
    whatsapp: Mapped[str | None] = mapped_column(String(20))
    customer_type: Mapped[str] = mapped_column(String(12), default="individual")
    notes: Mapped[str | None] = mapped_column(Text, info={"max_length": 4000})
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set when staff merged this customer into another: a redirect, never deleted.
    merged_into: Mapped[uuid.UUID | None] = mapped_column(default=None)
    channel: Mapped[str] = mapped_column(String(16), default="walk_in")
    registered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_visit_at: Mapped[datetime | None]
    # Verification state (spec 1.3), recorded by staff.
    phone_verified_at: Mapped[datetime | None]
    phone_verified_by: Mapped[uuid.UUID | None]
    email_verified_at: Mapped[datetime | None]
    email_verified_by: Mapped[uuid.UUID | None]
    address_validated_at: Mapped[datetime | None]
    address_validated_by: Mapped[uuid.UUID | None]
    id_document_type: Mapped[str | None] = mapped_column(String(24))
    id_document_last_digits: Mapped[str | None] = mapped_column(String(6))
    id_checked_at: Mapped[datetime | None]
    id_checked_by: Mapped[uuid.UUID | None]

    preferences: Mapped[CustomerPreferences] = relationship(lazy="joined", uselist=False)
    loyalty: Mapped[CustomerLoyalty] = relationship(
        lazy="joined", uselist=False, foreign_keys="CustomerLoyalty.customer_id")


class CustomerPreferences(Base):
    """Communication preferences (spec 4.2); the consent time is kept for GDPR."""

    __tablename__ = "customer_preferences"
    __table_args__ = (
        CheckConstraint(
            "preferred_contact IN ('whatsapp','sms','phone','email','in_person')",
            name="preferred_contact",
        ),
        CheckConstraint("best_time IN ('any','morning','afternoon','evening')", name="best_time"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    preferred_contact: Mapped[str] = mapped_column(String(12))
    best_time: Mapped[str] = mapped_column(String(12), default="any")
    language: Mapped[str] = mapped_column(String(8), default="en")
    marketing_opt_in: Mapped[bool] = mapped_column(default=False)
    marketing_consent_at: Mapped[datetime | None]
    service_notifications: Mapped[bool] = mapped_column(default=True)


class CustomerLoyalty(Base):
    """A customer's loyalty account: the tier, when it moved, and who referred them.

    The points are not here: they are the sum of the customer's `loyalty_entries`
    (an insert-only ledger, issue 17). `below_since` starts the demotion grace period
    the first time the rolling 12 months qualify for a lower tier.
    """

    __tablename__ = "customer_loyalty"
    __table_args__ = (
        CheckConstraint("tier IN ('bronze','silver','gold','platinum')", name="tier"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tier: Mapped[str] = mapped_column(String(10), default="bronze")
    opened_at: Mapped[created_at]
    tier_since: Mapped[datetime | None]
    below_since: Mapped[datetime | None]
    referred_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))


class ServiceRecord(Base):
    """One service of a customer's history (spec 5.1, 5.2), on a device or not.

    Amounts are exact (`Money`: integer pence). `customer_id` is who was served,
    so a device's history shows the owner at the time of each service.
    """

    __tablename__ = "customer_services"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('repair','part_purchase','consultation','warranty_claim',"
            "'return_exchange')", name="kind"),
        CheckConstraint(
            "payment_method IS NULL OR payment_method IN "
            "('cash','card','mobile_money','bank_transfer','store_credit')",
            name="payment_method"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                        name="satisfaction"),
        CheckConstraint("labour >= 0 AND total >= 0", name="amounts_non_negative"),
        Index("ix_customer_services_customer", "customer_id", "occurred_at"),
        Index("ix_customer_services_device", "device_id", "occurred_at"),
        Index("ix_customer_services_ticket", "ticket_id"),
    )

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    occurred_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("repair_tickets.id"))
    technician_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    labour: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    payment_method: Mapped[str | None] = mapped_column(String(16))
    satisfaction: Mapped[int | None]


class ServicePart(Base):
    """A part used or sold in a service: name or SKU, quantity, unit price."""

    __tablename__ = "service_parts"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_non_negative"),
        Index("ix_service_parts_service", "service_id"),
    )

    id: Mapped[uuid_pk]
    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer_services.id", ondelete="CASCADE"))
    name: Mapped[str200]
    sku: Mapped[str | None] = mapped_column(String(40))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]


class CustomerDocument(Base):
    """A file attached to a customer, stored once under its SHA-256 in the data dir."""

    __tablename__ = "customer_documents"
    __table_args__ = (
        CheckConstraint("kind IN ('id_scan','signed_form','photo','other')", name="kind"),
        CheckConstraint("length(content_hash) = 64", name="hash_length"),
        Index("ix_customer_documents_customer", "customer_id", "added_at"),
    )

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str200]
    filename: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    added_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    added_at: Mapped[created_at]
