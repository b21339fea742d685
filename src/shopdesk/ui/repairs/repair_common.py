"""Shared pieces of the repair screens: status badges, checklists, technicians.

Thread rule: the widgets and `load_technicians` are GUI-thread only;
`checklist_text` is pure and safe anywhere. `load_technicians` reads the
staff list on the read pool through the TaskManager.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from uuid import UUID

from PySide6.QtWidgets import QComboBox, QWidget

from shopdesk.domain import checklist as checks
from shopdesk.domain.tickets import TicketStatus
from shopdesk.errors import PermissionDenied
from shopdesk.services.staff import StaffInfo
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import label
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import Badge, combo_id, select_id

STATUS_TONES = {
    TicketStatus.RECEIVED: "info", TicketStatus.DIAGNOSING: "info",
    TicketStatus.AWAITING_APPROVAL: "warn", TicketStatus.AWAITING_PARTS: "warn",
    TicketStatus.IN_REPAIR: "info", TicketStatus.READY: "ok",
    TicketStatus.COLLECTED: "off", TicketStatus.CANCELLED: "off",
}


def checklist_text(checklist: Mapping[str, str]) -> str:
    """'Powers on: Yes · Screen cracked: No · Water damage: Not tested' (stored answers)."""
    return checks.summary(checklist) or fmt.DASH


class StatusBadge(Badge):
    """A ticket status as a coloured tag. GUI thread only."""

    def show_status(self, status: str) -> None:
        try:
            tone = STATUS_TONES[TicketStatus(status)]
        except ValueError:
            tone = "off"
        self.show_state(label("status", status), tone)


@dataclass(frozen=True)
class Technician:
    id: UUID
    name: str


def load_technicians(shop: Shop, ops: TaskManager, parent: QWidget,
                     done: Callable[[list[Technician], bool], None]) -> None:
    """Call `done(staff, complete)` on the GUI thread with the staff who can be assigned
    (`shop.staff.assignable()`, readable by everyone signed in); if that fails,
    the list is only the signed-in staff member ("complete" is then False).
    """
    actor = shop.actor
    staff = shop.staff

    def fallback(_error: BaseException) -> None:
        me = [Technician(actor.staff_id, f"Me ({actor.name})")] \
            if actor is not None and actor.staff_id is not None else []
        done(me, False)

    def listed(rows: list[StaffInfo]) -> None:
        done([Technician(r.id, f"{r.display_name} ({r.role.label})") for r in rows], True)

    if actor is None:
        fallback(PermissionDenied("sign in first"))
        return
    ops.query(parent, staff.assignable, listed, fallback)


def fill_staff(combo: QComboBox, staff: list[Technician], first: str) -> None:
    """`first` (no one) then the staff, keeping the current choice when still listed."""
    current = combo_id(combo)
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(first, "")
    for person in staff:
        combo.addItem(person.name, str(person.id))
    select_id(combo, current)
    combo.blockSignals(False)
