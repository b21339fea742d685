"""Forgetting a customer (right to be forgotten): what will be erased, why, and a
confirmation by typing the customer's code.

The list shows every record the erasure reaches (records merged with this one, and
suspected duplicates not yet resolved). Erase is enabled once a reason is given and
the code typed matches. Keyboard: the reason has focus; Tab to the code; Enter erases
when enabled; Esc cancels.

Thread rule: GUI thread only; plan and erasure go through the TaskManager.
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.services.privacy.erasure import ErasureResult, ErasureTarget
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager, show_error
from shopdesk.ui.common.widgets import ErrorLabel, Heading, muted, tree


class ForgetDialog(QDialog):
    """See the module docstring. Signal `done_erasing(customer id)` once erased."""

    done_erasing = Signal(object)

    def __init__(self, shop: Shop, ops: TaskManager, customer_id: UUID, code: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops, self.customer_id, self.code = shop, ops, customer_id, code
        self.result_: ErasureResult | None = None
        self.setWindowTitle(f"Forget customer {code}")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.addWidget(Heading(f"Forget customer {code}", 15))
        layout.addWidget(muted(
            "Their name, contact details, address, notes, documents and consent notes are "
            "erased here and, through sync, on every counter and the central database; it "
            "cannot be undone. Invoices, repair and service records stay, under the code "
            "only. These records of the person are erased:"))
        self.targets = tree(["Code", "Name", "Why"], [110, 200, 200])
        self.targets.setMaximumHeight(130)
        layout.addWidget(self.targets)
        form = QFormLayout()
        self.reason = QLineEdit()
        self.reason.setMaxLength(500)
        self.reason.setPlaceholderText("e.g. written request of 20 Nov 2026 (no personal data)")
        self.confirm = QLineEdit()
        self.confirm.setPlaceholderText(code)
        form.addRow("Reason", self.reason)
        form.addRow("Type the code to confirm", self.confirm)
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.erase_button = buttons.addButton("&Erase", QDialogButtonBox.ButtonRole.AcceptRole)
        self.erase_button.setProperty("danger", True)
        self.erase_button.setDefault(True)
        self.erase_button.setEnabled(False)
        buttons.accepted.connect(self.erase)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reason.textChanged.connect(self._check)
        self.confirm.textChanged.connect(self._check)
        self.reason.setFocus()
        erasure = shop.erasure
        ops.query(self, lambda: erasure.plan(customer_id), self._planned, self._failed)

    def _planned(self, targets: list[ErasureTarget]) -> None:
        self.targets.clear()
        for t in targets:
            QTreeWidgetItem(self.targets, [t.code, t.name, t.why])

    def _check(self) -> None:
        ready = (len(self.reason.text().strip()) >= 3
                 and self.confirm.text().strip().upper() == self.code.upper())
        self.erase_button.setEnabled(ready)

    def erase(self) -> None:
        if not self.erase_button.isEnabled():
            return
        self.erase_button.setEnabled(False)
        customer_id, reason, erasure = self.customer_id, self.reason.text(), self.shop.erasure
        self.ops.write(self, lambda: erasure.forget(customer_id, reason), self._erased,
                       self._failed)

    def _erased(self, result: ErasureResult) -> None:
        self.result_ = result
        self.done_erasing.emit(self.customer_id)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.error.show_message(str(error))
        self._check()
        if not isinstance(error, Exception):
            show_error(self, error)
