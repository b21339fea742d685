"""Staff accounts (role, hashed PIN or password, lock-out state) and the staff directory.

`staff` stays on its counter: credentials never leave it. `staff_directory` is the
part every counter may know (id, name, role, active) and it syncs, so a ticket
pulled from another counter names its technician and its reference is a real
foreign key. SQLite triggers (migration 0005) keep the directory in step with
every write to `staff`, whatever path made it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from shopdesk.models.base import Base, created_at, utcnow, uuid_pk


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint(
            "role IN ('front_desk','technician','supervisor','manager','owner')", name="role"
        ),
        CheckConstraint("secret_kind IN ('pin','password')", name="secret_kind"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts"),
    )

    id: Mapped[uuid_pk]
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    secret_kind: Mapped[str] = mapped_column(String(8))
    secret_hash: Mapped[str] = mapped_column(String(200))
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by: Mapped[uuid.UUID | None]


class StaffDirectory(Base):
    """Who a staff id is, on every counter; never a credential."""

    __tablename__ = "staff_directory"
    __table_args__ = (
        CheckConstraint(
            "role IN ('front_desk','technician','supervisor','manager','owner')", name="role"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    # The counter that holds the account (its node tag): the only one that changes it.
    node: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
