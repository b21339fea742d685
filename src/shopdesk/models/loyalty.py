"""The loyalty ledger (spec 9, issue 17): every change of a customer's points is a row.

Rows are inserted once and never changed (synced in mode "append"), so two counters
earning and redeeming offline merge by union; the balance is the sum of `points`.

- `earn`, `opening`, and positive `adjust`/`reverse` rows are *lots*: they carry
  `expires_at` and are consumed oldest first (`shopdesk.domain.loyalty.rules.replay`).
- `redeem` and negative `adjust` rows consume lots FIFO; `expire` consumes the lot
  it names (`ref_id`); `reverse` undoes the rows of a refunded ticket.
- `tier` and `notice` rows carry no points: a tier move, an expiry notice due.

Rows that must exist at most once whatever counter writes them (an expiry, a
referral bonus, a reversal, a tier move, a notice) have ids derived from what they
are about (`uuid5`), so the same fact written on two counters is one row.

Personal columns (for the privacy registry): `customer_id` (link), `reason`
(free text staff typed), `actor` (a staff name).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Select, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from shopdesk.models.base import Base, uuid_pk

ENTRY_KINDS = ("opening", "earn", "redeem", "expire", "adjust", "reverse", "tier", "notice")
SOURCES = ("migration", "ticket", "purchase", "referral", "feedback", "anniversary", "social",
           "staff", "refund", "expiry", "tier", "merge")


class LoyaltyEntry(Base):
    __tablename__ = "loyalty_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('opening','earn','redeem','expire','adjust','reverse',"
                        "'tier','notice')", name="kind"),
        CheckConstraint("source IN ('migration','ticket','purchase','referral','feedback',"
                        "'anniversary','social','staff','refund','expiry','tier','merge')",
                        name="source"),
        CheckConstraint("points BETWEEN -100000000 AND 100000000", name="points_range"),
        CheckConstraint("spend >= 0", name="spend_non_negative"),
        Index("ix_loyalty_entries_customer", "customer_id", "created_at"),
        # Covers the balance (a sum read from the index alone, never the table).
        Index("ix_loyalty_entries_balance", "customer_id", "points"),
        Index("ix_loyalty_entries_ticket", "ticket_id"),
        Index("ix_loyalty_entries_ref", "ref_id"),
        Index("ix_loyalty_entries_expiry", "expires_at"),
        # The nightly pass finds the last days' redemptions without a scan.
        Index("ix_loyalty_entries_kind", "kind", "created_at"),
    )

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(12))
    points: Mapped[int]
    # Money paid that earned these points (spend-based tiers); 0 otherwise.
    spend: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    reason: Mapped[str] = mapped_column(Text, default="")
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("repair_tickets.id"))
    # The row this one is about: the lot an expiry or notice concerns, the row a
    # reversal undoes, the feedback that earned points, the customer referred.
    ref_id: Mapped[str | None] = mapped_column(String(36))
    expires_at: Mapped[datetime | None]
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    actor: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime]


def balance_query(customer_id: uuid.UUID) -> Select[Any]:
    """The customer's balance: the sum of their entries (one indexed range read)."""
    return select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
        LoyaltyEntry.customer_id == customer_id)


def money_sum(value: object) -> Decimal:
    """A SUM over a Money column: SQLAlchemy hands back Decimal when it knows the type,
    integer pence when it does not (a CASE or raw SQL)."""
    if isinstance(value, Decimal):
        return value
    return (Decimal(int(value or 0)) / 100).quantize(Decimal("0.01"))  # type: ignore[call-overload]
