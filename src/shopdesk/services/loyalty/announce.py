"""Loyalty news through the messaging outbox (issue 17): points about to expire, a tier
that moved. Hooks on the events the ledger emits inside its own transaction, so the
message commits with the entry it announces; one message per fact whatever counter
writes it (the outbox's dedupe key), and none where consent or settings forbid it.

Thread rule: the hooks run on the writer's thread, inside its transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

from sqlalchemy.orm import Session

from shopdesk.errors import ValidationError
from shopdesk.models import Customer
from shopdesk.services.messaging.outbox import Composer, Skipped
from shopdesk.services.store import Actor, Store

log = logging.getLogger(__name__)


class LoyaltyMessages:
    """Registers `loyalty_points_expiring` and `loyalty_tier_changed` on `store`."""

    def __init__(self, store: Store, composer: Composer) -> None:
        self._store, self._composer = store, composer
        store.on_event("loyalty_points_expiring", self.points_expiring)
        store.on_event("loyalty_tier_changed", self.tier_changed)

    def points_expiring(self, session: Session, actor: Actor, customer_id: UUID, points: int,
                        expires_at: datetime, lot: str) -> None:
        self._send(session, actor, customer_id, "points_expiring", f"points_expiring:{lot}",
                   {"points": str(points), "expiry_date": f"{expires_at:%d %b %Y}"})

    def tier_changed(self, session: Session, actor: Actor, customer_id: UUID, before: str,
                     after: str, day: str) -> None:
        self._send(session, actor, customer_id, "tier_changed",
                   f"tier_changed:{customer_id.hex}:{before}:{after}:{day}",
                   {"tier": after.capitalize()})

    def _send(self, session: Session, actor: Actor, customer_id: UUID, template: str,
              key: str, extra: dict[str, str]) -> None:
        customer = session.get(Customer, customer_id)
        if customer is None:
            return
        try:
            self._composer.enqueue(session, actor, customer, template,
                                   now=self._store.clock(), dedupe_key=key, automatic=True,
                                   extra=extra)
        except (Skipped, ValidationError) as why:
            log.info("no %s message for %s: %s", template, customer.code, why)
