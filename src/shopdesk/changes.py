"""What a write changed, so each screen can decide alone whether to refresh.

Like Anki's ``OpChanges``: services return one of these with their result; the
UI broadcasts it and every screen looks only at the flags it cares about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID


@dataclass(frozen=True)
class Changes:
    customers: frozenset[UUID] = field(default_factory=frozenset)
    staff: bool = False
    settings: bool = False
    documents: frozenset[UUID] = field(default_factory=frozenset)  # customer ids
    devices: frozenset[UUID] = field(default_factory=frozenset)
    tickets: frozenset[UUID] = field(default_factory=frozenset)  # repair ticket ids
    support: frozenset[UUID] = field(default_factory=frozenset)  # support ticket ids
    # Customers whose messages (outbox, contact history, appointments) changed.
    messages: frozenset[UUID] = field(default_factory=frozenset)
    loyalty: bool = False  # ledger entries (issue 17): loyalty screens refresh
    feedback: bool = False  # feedback answers or improvement actions
    # Applied by sync from another counter (not a write made here): listeners
    # that react to local writes, such as the sync nudge, skip these.
    remote: bool = False

    def __or__(self, other: Changes) -> Changes:
        return Changes.union([self, other])

    @staticmethod
    def union(parts: list[Changes]) -> Changes:
        """All `parts` in one, in one pass (chaining `|` copies the sets each time)."""
        return Changes(
            customers=frozenset().union(*(p.customers for p in parts)),
            staff=any(p.staff for p in parts), settings=any(p.settings for p in parts),
            documents=frozenset().union(*(p.documents for p in parts)),
            devices=frozenset().union(*(p.devices for p in parts)),
            tickets=frozenset().union(*(p.tickets for p in parts)),
            support=frozenset().union(*(p.support for p in parts)),
            messages=frozenset().union(*(p.messages for p in parts)),
            loyalty=any(p.loyalty for p in parts), feedback=any(p.feedback for p in parts),
            remote=bool(parts) and all(p.remote for p in parts),
        )

    @property
    def empty(self) -> bool:
        return not (self.customers or self.staff or self.settings or self.documents
                    or self.devices or self.tickets or self.support or self.messages
                    or self.loyalty or self.feedback)
