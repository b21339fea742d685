"""One support ticket or complaint: header badges, complaint steps, actions, events.

Every action is a `TaskManager.write`; a refusal from the core (an escalation
by a role below the target level, a refund without a manager, a step out of
order, closing an open ticket) is shown in the red line under the header and
nothing changes. The "Record next step" button always offers exactly the
core's `next_complaint_step`. The page reloads itself when a write touches its
ticket (`changes.support`).

Thread rule: GUI thread only.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any
from uuid import UUID

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.support import STEPS, ComplaintStep, Level, Priority, SupportStatus
from shopdesk.services.repairs.repair_views import SupportDetail, SupportEventInfo, SupportSaved
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import error_text, label, money
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import (
    Badge,
    Card,
    ErrorLabel,
    Heading,
    fill_with_scrolled,
    muted,
    title_label,
    tree,
)
from shopdesk.ui.support.support_dialogs import NoteDialog, ResolveDialog

STATUS_TONES = {SupportStatus.OPEN: "info", SupportStatus.RESOLVED: "ok",
                SupportStatus.CLOSED: "off"}
PRIORITY_TONES = {Priority.LOW: "off", Priority.NORMAL: "info", Priority.HIGH: "warn",
                  Priority.URGENT: "warn"}


def event_text(e: SupportEventInfo) -> str:
    """What an event did, as staff read it: 'Escalated: Front desk → Manager'."""
    if e.kind == "escalation":
        return f"Escalated: {label('level', e.from_level)} → {label('level', e.to_level)}"
    if e.kind == "complaint_step" and e.step:
        step = ComplaintStep(e.step)
        return f"Step {STEPS.index(step) + 1}: {step.label}"
    return {"opened": "Opened", "note": "Note", "resolved": "Resolved",
            "closed": "Closed"}.get(e.kind, e.kind.replace("_", " ").capitalize())


class SupportTicketPage(QWidget):
    """Shows and works one support ticket. GUI thread only.

    Signals: `loaded(SupportDetail)` after each render, `open_customer(UUID)`,
    `open_ticket(UUID)` (the related repair ticket).
    """

    loaded = Signal(object)
    open_customer = Signal(object)
    open_ticket = Signal(object)

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.support_id: UUID | None = None
        self.detail: SupportDetail | None = None
        self._seq = 0  # loads asked for; only the newest is shown
        self._shown = 0
        self.dialog: NoteDialog | ResolveDialog | None = None
        self.title = title_label()
        self.status = Badge()
        self.priority = Badge()
        self.level = Badge("", "off")
        self.complaint = Badge("Complaint", "warn")
        self.overdue = Badge("Overdue", "warn")
        self.repair_button = QPushButton()
        self.repair_button.setToolTip("Open the related repair ticket")
        self.repair_button.clicked.connect(self._open_repair)
        self.customer_button = QPushButton()
        self.customer_button.clicked.connect(
            lambda: self.detail and self.open_customer.emit(self.detail.ticket.customer_id))
        self.subject = Heading("", 15)
        self.subject.setWordWrap(True)
        self.subject.setTextFormat(Qt.TextFormat.PlainText)
        self.meta = muted("")
        self.error = ErrorLabel()
        header = Card()
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.title)
        for badge in (self.status, self.priority, self.level, self.complaint, self.overdue):
            top.addWidget(badge)
        top.addStretch(1)
        second = QHBoxLayout()
        second.setSpacing(8)
        second.addWidget(self.subject, 1)
        second.addWidget(self.repair_button)
        second.addWidget(self.customer_button)
        header.body.addLayout(top)
        header.body.addLayout(second)
        header.body.addWidget(self.meta)
        header.body.addWidget(self.error)

        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setTextFormat(Qt.TextFormat.PlainText)
        self.description.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.resolution = QLabel()
        self.resolution.setWordWrap(True)
        self.resolution.setTextFormat(Qt.TextFormat.RichText)
        header.body.insertWidget(2, self.description)
        header.body.insertWidget(3, self.resolution)

        actions = Card("Work the ticket")
        self.note = QLineEdit()
        self.note.setPlaceholderText("note for an escalation, a note or closing")
        escalate = QHBoxLayout()
        self.escalate_to = QComboBox()
        self.escalate_to.setMinimumWidth(150)
        self.escalate_button = QPushButton("Escalate")
        self.escalate_button.clicked.connect(self.escalate_selected)
        escalate.addWidget(QLabel("Escalate to"))
        escalate.addWidget(self.escalate_to, 1)
        escalate.addWidget(self.escalate_button)
        row = QHBoxLayout()
        self.note_button = QPushButton("Add note")
        self.note_button.clicked.connect(self.add_note)
        self.resolve_button = QPushButton("Resolve…")
        self.resolve_button.setProperty("primary", True)
        self.resolve_button.clicked.connect(self.open_resolve)
        self.close_button = QPushButton("Close ticket")
        self.close_button.clicked.connect(self.close_ticket)
        row.addWidget(self.note_button)
        row.addStretch(1)
        row.addWidget(self.close_button)
        row.addWidget(self.resolve_button)
        actions.body.addWidget(self.note)
        actions.body.addLayout(escalate)
        actions.body.addLayout(row)
        actions.body.addStretch(1)

        self.steps_card = Card("Complaint steps")
        self.steps_grid = QGridLayout()
        self.steps_grid.setHorizontalSpacing(12)
        self.steps_grid.setColumnStretch(2, 1)
        self.step_marks: list[QLabel] = []
        self.step_info: list[QLabel] = []
        for n, step in enumerate(STEPS):
            mark, info = QLabel(), muted("")
            mark.setMinimumWidth(58)
            self.step_marks.append(mark)
            self.step_info.append(info)
            self.steps_grid.addWidget(mark, n, 0)
            self.steps_grid.addWidget(QLabel(f"{n + 1}. {step.label}"), n, 1)
            self.steps_grid.addWidget(info, n, 2)
        self.step_button = QPushButton("Record next step…")
        self.step_button.setProperty("primary", True)
        self.step_button.clicked.connect(self.open_step)
        step_row = QHBoxLayout()
        step_row.addStretch(1)
        step_row.addWidget(self.step_button)
        self.steps_card.body.addLayout(self.steps_grid)
        self.steps_card.body.addLayout(step_row)

        events = Card("Events")
        self.events = tree(["When", "Who", "What", "Note"], [140, 130, 340])
        self.events.setMinimumHeight(170)
        events.body.addWidget(self.events)

        middle = QHBoxLayout()
        middle.setSpacing(12)
        middle.addWidget(self.steps_card, 5)
        middle.addWidget(actions, 3)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(16, 14, 16, 14)
        column.setSpacing(12)
        column.addWidget(header)
        column.addLayout(middle)
        column.addWidget(events)
        column.addStretch(1)
        fill_with_scrolled(self, content)
        ops.bus.ops_did_execute.connect(self._on_changes)

    # -- loading -----------------------------------------------------------------
    def show_support(self, support_id: UUID) -> None:
        if support_id != self.support_id:
            self.error.show_message("")
            self.note.clear()
        self.support_id = support_id
        self.reload()

    @property
    def loading(self) -> bool:
        return self._shown != self._seq

    def reload(self) -> None:
        if self.support_id is None:
            return
        self._seq += 1
        seq, support_id, support = self._seq, self.support_id, self.shop.support
        self.ops.query(self, lambda: support.get(support_id),
                       lambda detail: self._render(seq, detail),
                       lambda error: self._failed(seq, error))

    def _failed(self, seq: int, error: BaseException) -> None:
        if seq == self._seq:
            self._shown = seq
            self._show_error(error)

    def _on_changes(self, changes: Changes) -> None:
        if self.support_id is not None and self.support_id in changes.support:
            self.reload()

    def _render(self, seq: int, d: SupportDetail) -> None:
        if seq != self._seq:
            return  # a newer load (or another ticket) is on its way
        self._shown = seq
        self.detail = d
        t = d.ticket
        is_open = t.status == SupportStatus.OPEN.value
        self.title.setText(t.number)
        self.status.show_state(label("support_status", t.status),
                               STATUS_TONES.get(SupportStatus(t.status), "off"))
        self.priority.show_state(f"{label('priority', t.priority)} priority",
                                 PRIORITY_TONES.get(Priority(t.priority), "off"))
        self.level.setText(f"Level: {label('level', t.level)}")
        self.complaint.setVisible(t.complaint)
        self.overdue.setVisible(t.overdue)
        self.repair_button.setVisible(t.repair_ticket_id is not None)
        self.repair_button.setText(f"Repair {t.repair_ticket_number or ''}")
        self.customer_button.setText(f"{t.customer_name}  ·  {t.customer_code}")
        self.subject.setText(t.subject)
        target = Priority(t.priority).target_hours
        due = f"due {fmt.local_time(t.due_at)} (target {target} h)"
        if t.resolved_at is not None:
            due = f"resolved {fmt.local_time(t.resolved_at)}"
        self.meta.setText(f"Opened {fmt.local_time(t.created_at)}   ·   {due}   ·   "
                          f"updated {fmt.local_time(t.updated_at)}")
        self.description.setText(t.description or "No description.")
        resolution = ""
        if t.resolution:
            resolution = f"<b>Resolution:</b> {html.escape(t.resolution)}"
            if t.refund is not None:
                resolution += f"<br><b>Refund:</b> {money(t.refund)}"
        self.resolution.setText(resolution)
        self.resolution.setVisible(bool(resolution))
        self._render_escalation(t.level, is_open)
        self.resolve_button.setEnabled(is_open)
        self.close_button.setEnabled(t.status == SupportStatus.RESOLVED.value)
        self.note_button.setEnabled(True)
        self._render_steps(d)
        self.events.clear()
        for e in reversed(d.events):
            item = QTreeWidgetItem([fmt.local_time(e.at), e.staff_name, event_text(e), e.note])
            item.setToolTip(2, item.text(2))
            item.setToolTip(3, e.note)
            self.events.addTopLevelItem(item)
        self.loaded.emit(d)

    def _render_escalation(self, level: str, is_open: bool) -> None:
        current = Level(level)
        chosen = self.escalate_to.currentData()
        self.escalate_to.clear()
        for higher in Level:
            if higher.rank > current.rank:
                self.escalate_to.addItem(higher.label, higher.value)
        self.escalate_to.setCurrentIndex(max(0, self.escalate_to.findData(chosen)))
        can = is_open and self.escalate_to.count() > 0
        self.escalate_to.setEnabled(can)
        self.escalate_button.setEnabled(can)
        self.escalate_button.setToolTip("" if self.escalate_to.count() else
                                        "Already at the highest level")

    def _render_steps(self, d: SupportDetail) -> None:
        self.steps_card.setVisible(d.ticket.complaint)
        if not d.ticket.complaint:
            return
        recorded = {e.step: e for e in d.events if e.kind == "complaint_step" and e.step}
        for n, step in enumerate(STEPS):
            event = recorded.get(step.value)
            if event is not None:
                self.step_marks[n].setText("✓ Done")
                self.step_marks[n].setStyleSheet("color:#17663a; font-weight:600;")
                self.step_info[n].setText(f"{fmt.local_time(event.at)} · {event.staff_name}")
                self.step_info[n].setToolTip(event.note)
            elif step.value == d.next_complaint_step:
                self.step_marks[n].setText("→ Next")
                self.step_marks[n].setStyleSheet("color:#1f4f99; font-weight:600;")
                self.step_info[n].setText("")
                self.step_info[n].setToolTip("")
            else:
                self.step_marks[n].setText("○")
                self.step_marks[n].setStyleSheet("color:#9aa1ad;")
                self.step_info[n].setText("")
                self.step_info[n].setToolTip("")
        following = d.next_complaint_step
        closed = d.ticket.status == SupportStatus.CLOSED.value
        self.step_button.setEnabled(following is not None and not closed)
        self.step_button.setText(f"Record: {ComplaintStep(following).label}…" if following
                                 else "All five steps recorded")

    # -- actions -----------------------------------------------------------------
    def _write(self, fn: Callable[[], Any], done: Callable[[Any], None] | None = None,
               failed: Callable[[BaseException], None] | None = None) -> None:
        self.error.show_message("")
        self.ops.write(self, fn, done, failed or self._show_error)

    def _show_error(self, error: BaseException) -> None:
        self.error.show_message(error_text(error))

    def _open_repair(self) -> None:
        if self.detail is not None and self.detail.ticket.repair_ticket_id is not None:
            self.open_ticket.emit(self.detail.ticket.repair_ticket_id)

    def escalate_selected(self) -> None:
        target = self.escalate_to.currentData()
        if self.support_id is None or not target:
            return
        support_id, support, note = self.support_id, self.shop.support, self.note.text()
        self._write(lambda: support.escalate(support_id, target, note),
                    lambda _saved: self.note.clear())

    def add_note(self) -> None:
        if self.support_id is None:
            return
        support_id, support, note = self.support_id, self.shop.support, self.note.text()
        self._write(lambda: support.add_note(support_id, note),
                    lambda _saved: self.note.clear())

    def close_ticket(self) -> None:
        if self.support_id is None:
            return
        support_id, support, note = self.support_id, self.shop.support, self.note.text()
        self._write(lambda: support.close(support_id, note), lambda _saved: self.note.clear())

    def open_step(self) -> NoteDialog | None:
        """Ask for a note, then record exactly the step the core says comes next."""
        if self.detail is None or self.detail.next_complaint_step is None:
            return None
        step = ComplaintStep(self.detail.next_complaint_step)
        number = STEPS.index(step) + 1
        dialog = NoteDialog(f"Complaint step {number}",
                            f"Record step {number} of 5 on {self.detail.ticket.number}: "
                            f"<b>{step.label}</b>", "Record step", self)
        dialog.accepted.connect(lambda: self.record_step(step.value, dialog.text()))
        self.dialog = dialog
        dialog.open()
        return dialog

    def record_step(self, step: str, note: str = "") -> None:
        if self.support_id is None:
            return
        support_id, support = self.support_id, self.shop.support
        self._write(lambda: support.record_complaint_step(support_id, step, note))

    def open_resolve(self) -> ResolveDialog | None:
        if self.detail is None:
            return None
        dialog = ResolveDialog(self.detail.ticket.number, self)
        dialog.submitted.connect(lambda: self._resolve(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _resolve(self, dialog: ResolveDialog) -> None:
        if self.support_id is None:
            return
        support_id, support = self.support_id, self.shop.support
        resolution, refund = dialog.values()
        dialog.error.show_message("")
        dialog.ok.setEnabled(False)

        def refused(error: BaseException) -> None:
            dialog.ok.setEnabled(True)
            dialog.error.show_message(error_text(error))
            self._show_error(error)

        def done(_saved: SupportSaved) -> None:
            dialog.accept()

        self._write(lambda: support.resolve(support_id, resolution, refund), done, refused)
