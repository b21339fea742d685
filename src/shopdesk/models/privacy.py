"""The consent register, erasure tombstones and the audit trail's per-customer keys.

- `customer_consents`: one row per grant or withdrawal (spec 13.1), never changed;
  a purpose's current state is its latest event (`domain.consent.current`). Synced.
- `customer_erasures`: one row per erased customer (right to be forgotten). Synced,
  written once: every counter that receives it erases the customer's personal data
  locally, and the central server refuses personal values for that customer from
  then on, so an offline counter's late edit cannot bring them back.
- `audit_keys`: the key that seals one customer's personal values in this counter's
  audit trail, wrapped with a key kept outside the database. Never synced: the trail
  stays on its counter, so its keys do too; erasing the customer deletes the row,
  and the sealed values can no longer be read while the hash chain stays whole.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopdesk.models.base import Base, uuid_pk

_PURPOSES = ("'service_notifications','marketing_whatsapp','marketing_sms','marketing_email',"
             "'marketing_phone','id_scan','data_processing'")


class CustomerConsent(Base):
    __tablename__ = "customer_consents"
    __table_args__ = (
        CheckConstraint(f"purpose IN ({_PURPOSES})", name="purpose"),
        CheckConstraint("method IN ('signed_form','online','verbal','imported')", name="method"),
        Index("ix_customer_consents_customer", "customer_id", "purpose", "at"),
        Index("ix_customer_consents_purpose", "purpose", "at"),
    )

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    purpose: Mapped[str] = mapped_column(String(24))
    granted: Mapped[bool]
    method: Mapped[str] = mapped_column(String(12))
    # When the customer gave or withdrew it (a signed form may be recorded later).
    at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    note: Mapped[str | None] = mapped_column(Text, info={"max_length": 500})


class CustomerErasure(Base):
    __tablename__ = "customer_erasures"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"),
                                                   primary_key=True)
    erased_at: Mapped[datetime]
    erased_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    # Why (the request, its date); staff are asked not to write personal data here.
    reason: Mapped[str] = mapped_column(Text, info={"max_length": 500})


class AuditKey(Base):
    __tablename__ = "audit_keys"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"),
                                                   primary_key=True)
    wrapped: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[str] = mapped_column(String(32))
