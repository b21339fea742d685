"""What a pulled page means for privacy, applied in the pull's own transaction.

- Erasure tombstones another counter (or the server) recorded: the customers are
  erased here too (`ErasureService.apply_pulled`), so their personal data leaves this
  counter's tables, search index, audit keys and document files.
- Consent events and preferences from other counters: the preference flags are
  derived again from the register, so two counters that changed consents at the
  same time end with the flags the register says, not whichever row came last.

Called by the sync engine on the sync thread, inside its page transaction (capture
off: every counter derives the same values itself); `after_commit` runs once the
page is committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Connection

from shopdesk.services.consent import register
from shopdesk.services.privacy.erasure import ErasureService
from shopdesk.services.privacy.scrub import Scrubbed

Item = tuple[str, int, bool, Any]  # row id, server seq, deleted, data


@dataclass
class PageEffects:
    customers: set[UUID] = field(default_factory=set)
    scrubbed: Scrubbed | None = None


class PulledPrivacy:
    """The sync engine's privacy step for each pulled page."""

    def __init__(self, erasure: ErasureService) -> None:
        self._erasure = erasure

    def after_page(self, conn: Connection, by_table: dict[str, list[Item]]) -> PageEffects:
        effects = PageEffects()
        tombstones = [d for _, _, deleted, d in by_table.get("customer_erasures", [])
                      if not deleted and isinstance(d, dict)]
        if tombstones:
            effects.scrubbed = self._erasure.apply_pulled(conn, tombstones)
            if effects.scrubbed is not None:
                effects.customers |= {UUID(hex=c) for c in effects.scrubbed.customers}
        customers = {str(d.get("customer_id")) for table in ("customer_consents",
                                                             "customer_preferences")
                     for _, _, deleted, d in by_table.get(table, [])
                     if not deleted and isinstance(d, dict) and d.get("customer_id")}
        if customers:
            effects.customers |= {UUID(hex=c) for c in register.sync_flags(conn, customers)}
        return effects

    def after_commit(self, effects: PageEffects) -> None:
        if effects.scrubbed is not None:
            self._erasure.after_pull(effects.scrubbed)
