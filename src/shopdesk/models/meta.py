"""Key/value tables: shop-wide settings and this counter's own bookkeeping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopdesk.models.base import Base, utcnow


class Setting(Base):
    """A shop setting (default phone region, shop name, currency...)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LocalMeta(Base):
    """Facts about this counter's database only (node tag, sequences); never synced."""

    __tablename__ = "local_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
