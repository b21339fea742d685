"""Shared pieces of the repair screens: amounts, status badges, lists, technicians.

Thread rule: the widgets and `load_technicians` are GUI-thread only; the
formatting functions are pure and safe anywhere. `load_technicians` reads the
staff list on the read pool through the TaskManager.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QLabel, QTreeWidget, QWidget

from shopdesk.domain.choices import DeviceCondition, PaymentMethod, ServiceKind
from shopdesk.domain.support import Level, Priority, SupportStatus
from shopdesk.domain.tickets import TicketStatus
from shopdesk.errors import PermissionDenied, ValidationError
from shopdesk.shop import Shop
from shopdesk.ui import fmt
from shopdesk.ui.taskman import TaskManager
from shopdesk.ui.widgets import Badge

ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_TONES = {
    TicketStatus.RECEIVED: "info", TicketStatus.DIAGNOSING: "info",
    TicketStatus.AWAITING_APPROVAL: "warn", TicketStatus.AWAITING_PARTS: "warn",
    TicketStatus.IN_REPAIR: "info", TicketStatus.READY: "ok",
    TicketStatus.COLLECTED: "off", TicketStatus.CANCELLED: "off",
}
_ENUMS = {"status": TicketStatus, "condition": DeviceCondition, "payment": PaymentMethod,
          "service_kind": ServiceKind, "priority": Priority, "level": Level,
          "support_status": SupportStatus}


def money(value: Decimal | None) -> str:
    """An amount as staff read it: '49.99', or a dash when unknown."""
    return fmt.DASH if value is None else f"{value:.2f}"


def label(kind: str, value: str | None) -> str:
    """The label of a stored repair/support choice ('awaiting_parts' -> 'Awaiting parts')."""
    if not value:
        return fmt.DASH
    try:
        return _ENUMS[kind](value).label  # type: ignore[attr-defined, no-any-return]
    except ValueError:
        return value


def checklist_text(checklist: dict[str, object]) -> str:
    """'Screen cracked, Water damage; Powers on: no' from a stored checklist."""
    ticked = [name for name, value in checklist.items() if value is True]
    notes = [f"{name}: {value}" for name, value in checklist.items()
             if isinstance(value, str) and value]
    unticked = [name for name, value in checklist.items() if value is False]
    parts = [", ".join(ticked)] if ticked else []
    parts += notes
    if unticked:
        parts.append("not: " + ", ".join(unticked).lower())
    return "; ".join(parts) or fmt.DASH


class StatusBadge(Badge):
    """A ticket status as a coloured tag. GUI thread only."""

    def show_status(self, status: str) -> None:
        try:
            tone = STATUS_TONES[TicketStatus(status)]
        except ValueError:
            tone = "off"
        self.show_state(label("status", status), tone)


def tree(headers: list[str], widths: list[int]) -> QTreeWidget:
    """A flat, single-selection list with a header, as the profile tabs use."""
    view = QTreeWidget()
    view.setHeaderLabels(headers)
    view.setRootIsDecorated(False)
    view.setAlternatingRowColors(True)
    view.setUniformRowHeights(True)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    for column, width in enumerate(widths):
        view.setColumnWidth(column, width)
    return view


def error_text(error: BaseException) -> str:
    """A core error as one or more sentences for a message box or banner."""
    if isinstance(error, ValidationError):
        return "\n".join(fmt.field_message(e.field.rpartition(".")[2], e.message)
                         for e in error.errors)
    message = str(error)
    return message[:1].upper() + message[1:]


def title_label(text: str = "") -> QLabel:
    heading = QLabel(text)
    heading.setStyleSheet("font-size:20px; font-weight:700; color:#111827;")
    return heading


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

    def listed(rows: list) -> None:  # type: ignore[type-arg]
        done([Technician(r.id, f"{r.display_name} ({r.role.label})") for r in rows], True)

    if actor is None:
        fallback(PermissionDenied("sign in first"))
        return
    ops.query(parent, staff.assignable, listed, fallback)


# Combo boxes keep ids as text: QComboBox.findData cannot match Python UUID objects.
def combo_id(combo: QComboBox) -> UUID | None:
    """The UUID behind the combo's current item (None for an item without one)."""
    data = combo.currentData()
    return UUID(data) if data else None


def select_id(combo: QComboBox, value: UUID | None) -> bool:
    """Make the item for `value` current; False (and the first item) if it is absent."""
    index = combo.findData(str(value) if value is not None else "")
    combo.setCurrentIndex(max(0, index))
    return index >= 0


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
