"""Devices (spec 5.3) and who owned them when, so history follows the device."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shopdesk.models.base import Base, created_at, utcnow, uuid_pk


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (
        CheckConstraint("imei IS NULL OR length(imei) = 15", name="imei_length"),
        CheckConstraint("imei2 IS NULL OR length(imei2) = 15", name="imei2_length"),
        CheckConstraint("condition IN ('new','good','fair','poor','broken')", name="condition"),
        Index("ix_devices_imei2", "imei2"),
        Index("ix_devices_serial", "serial"),
        Index("ix_devices_tac", "tac"),
        Index("ix_devices_customer", "customer_id"),
    )

    id: Mapped[uuid_pk]
    make: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(80))
    imei: Mapped[str | None] = mapped_column(String(15), index=True)
    imei2: Mapped[str | None] = mapped_column(String(15))
    serial: Mapped[str | None] = mapped_column(String(40))
    tac: Mapped[str | None] = mapped_column(String(8))
    purchase_date: Mapped[date | None]
    manufacturer_warranty_until: Mapped[date | None]
    shop_warranty_until: Mapped[date | None]
    condition: Mapped[str] = mapped_column(String(12), default="good")
    # The current owner; earlier owners are in device_owners.
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeviceOwner(Base):
    """One period of ownership; `to_at` is empty for the current owner."""

    __tablename__ = "device_owners"
    __table_args__ = (
        Index("ix_device_owners_device", "device_id", "from_at"),
        Index("ix_device_owners_customer", "customer_id"),
    )

    id: Mapped[uuid_pk]
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    from_at: Mapped[datetime]
    to_at: Mapped[datetime | None]
