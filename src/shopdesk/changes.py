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

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            customers=self.customers | other.customers,
            staff=self.staff or other.staff,
            settings=self.settings or other.settings,
            documents=self.documents | other.documents,
            devices=self.devices | other.devices,
            tickets=self.tickets | other.tickets,
            support=self.support | other.support,
        )

    @property
    def empty(self) -> bool:
        return not (self.customers or self.staff or self.settings or self.documents
                    or self.devices or self.tickets or self.support)
