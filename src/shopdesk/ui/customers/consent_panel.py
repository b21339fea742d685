"""The profile's "Consent and privacy" card: each purpose's state in one compact line,
and the actions: record a consent, export the person's data, forget them.

Keyboard: the buttons have mnemonics (Alt+C, Alt+X, Alt+G). Export and Forget are shown
to staff whose role may do them (managers and owners).

Thread rule: GUI thread only; reads and writes go through the TaskManager.
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission, allowed
from shopdesk.domain.privacy.consent import ConsentMethod, ConsentState
from shopdesk.services.consent.consent import ConsentView
from shopdesk.services.privacy.portability import ExportSummary
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import Badge, Card
from shopdesk.ui.customers.consent_dialog import ConsentDialog
from shopdesk.ui.customers.forget_dialog import ForgetDialog

MARKETING_SHORT = {"marketing_whatsapp": "WhatsApp", "marketing_sms": "SMS",
                   "marketing_email": "E-mail", "marketing_phone": "Phone"}


def state_text(state: ConsentState) -> tuple[str, str]:
    """(badge text, tone) for one purpose."""
    if state.granted is None:
        return ("Allowed · not refused", "info") if state.allowed else ("Not recorded", "off")
    method = ConsentMethod(state.method).label if state.method else ""
    when = fmt.local_time(state.since, with_time=False)
    if state.granted:
        return f"Given {when} · {method}", "ok"
    return f"Withdrawn {when}", "warn"


class ConsentPanel(Card):
    """One customer's consents and privacy actions. GUI thread only.

    Signal `erased(customer id)` after this customer was forgotten from here.
    """

    erased = Signal(object)

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__("Consent and privacy", parent)
        self.shop, self.ops = shop, ops
        self.customer_id: UUID | None = None
        self.code = ""
        self.view: ConsentView | None = None
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(10)
        self.grid.setVerticalSpacing(4)
        self.badges: dict[str, Badge] = {}
        self.body.addLayout(self.grid)
        self.erased_note = QLabel("This customer's personal data was erased.")
        self.erased_note.setStyleSheet("color:#b91c1c;")
        self.erased_note.hide()
        self.body.addWidget(self.erased_note)
        row = QHBoxLayout()
        self.record_button = QPushButton("&Consents…")
        self.record_button.clicked.connect(self.open_consents)
        self.export_button = QPushButton("E&xport data…")
        self.export_button.setToolTip("Everything held about this person, as a ZIP archive")
        self.export_button.clicked.connect(self.choose_export)
        self.forget_button = QPushButton("Fo&rget…")
        self.forget_button.setProperty("danger", True)
        self.forget_button.setToolTip("Erase this person's data (right to be forgotten)")
        self.forget_button.clicked.connect(self.open_forget)
        for button in (self.record_button, self.export_button, self.forget_button):
            row.addWidget(button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.consent_dialog: ConsentDialog | None = None
        self.forget_dialog: ForgetDialog | None = None
        ops.bus.ops_did_execute.connect(self._on_changes)

    def _allowed(self, permission: Permission) -> bool:
        actor = self.shop.actor
        return actor is not None and allowed(actor.role, permission)

    def load(self, customer_id: UUID, code: str) -> None:
        self.customer_id, self.code = customer_id, code
        consent = self.shop.consent
        self.ops.query(self, lambda: consent.view(customer_id),
                       lambda view: self._show(customer_id, view))

    def _on_changes(self, changes: Changes) -> None:
        if self.customer_id is not None and self.customer_id in changes.customers:
            self.load(self.customer_id, self.code)

    def _show(self, customer_id: UUID, view: ConsentView) -> None:
        if customer_id != self.customer_id:
            return
        self.view = view
        if not self.badges:
            self._build(view)
        for purpose, state in view.states.items():
            text, tone = state_text(state)
            badge = self.badges[purpose]
            if purpose in MARKETING_SHORT:  # compact: the channel's name, coloured
                badge.show_state(MARKETING_SHORT[purpose], tone)
                badge.setToolTip(f"{state.label}: {text}")
            else:
                badge.show_state(text, tone)
        self.erased_note.setVisible(view.erased)
        self.record_button.setEnabled(not view.erased
                                      and self._allowed(Permission.RECORD_CONSENT))
        self.export_button.setVisible(self._allowed(Permission.EXPORT_PERSONAL_DATA))
        self.forget_button.setVisible(self._allowed(Permission.ERASE_CUSTOMERS))
        self.forget_button.setEnabled(not view.erased)

    def _build(self, view: ConsentView) -> None:
        """Four compact lines: notifications, marketing (one badge a channel), ID scan,
        data processing."""
        row = 0
        for purpose, state in view.states.items():
            self.badges[purpose] = Badge()
            if purpose in MARKETING_SHORT:
                continue
            self._line(row, state.label, self.badges[purpose])
            row += 1
        channels = QHBoxLayout()
        channels.setSpacing(4)
        for purpose in MARKETING_SHORT:
            channels.addWidget(self.badges[purpose])
        channels.addStretch(1)
        holder = QWidget()
        holder.setLayout(channels)
        channels.setContentsMargins(0, 0, 0, 0)
        self._line(row, "Marketing", holder)
        self.grid.setColumnStretch(1, 1)

    def _line(self, row: int, text: str, widget: QWidget) -> None:
        label = QLabel(text)
        label.setStyleSheet("color:#6b7280;")
        self.grid.addWidget(label, row, 0)
        self.grid.addWidget(widget, row, 1, Qt.AlignmentFlag.AlignLeft)

    # -- actions -------------------------------------------------------------------------
    def open_consents(self) -> ConsentDialog | None:
        if self.customer_id is None or self.view is None:
            return None
        self.consent_dialog = ConsentDialog(self.shop, self.ops, self.customer_id, self.view,
                                            self)
        self.consent_dialog.open()
        return self.consent_dialog

    def choose_export(self) -> None:
        name = f"{self.code or 'customer'}-personal-data.zip"
        path, _ = QFileDialog.getSaveFileName(self, "Export the person's data",
                                              str(Path.home() / name), "ZIP archive (*.zip)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        if self.customer_id is None:
            return
        customer_id, portability = self.customer_id, self.shop.portability
        self.ops.write(self, lambda: portability.export_data(customer_id, path),
                       self._exported)

    def _exported(self, done: ExportSummary) -> None:
        self.last_export = done
        QMessageBox.information(self, "Data exported",
                                f"Wrote {done.path.name}: {sum(done.rows.values())} records "
                                f"from {len(done.rows)} tables and {done.documents} "
                                "documents, with a README.")

    def open_forget(self) -> ForgetDialog | None:
        if self.customer_id is None:
            return None
        self.forget_dialog = ForgetDialog(self.shop, self.ops, self.customer_id, self.code,
                                          self)
        self.forget_dialog.done_erasing.connect(self.erased)
        self.forget_dialog.open()
        return self.forget_dialog
