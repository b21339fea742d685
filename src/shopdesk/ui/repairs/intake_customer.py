"""Registering a customer from inside ticket intake (spec 1.1, "repair intake").

The registration form itself (`ui.customers.customer_form.CustomerForm`, with
its inline errors and "possible existing customers" panel) in a dialog over
the intake page, its channel preset to repair intake. Saving, or choosing an
existing customer in the panel, gives the ticket its customer and closes the
dialog; the intake keeps everything typed so far.

Thread rule: GUI thread only. Open it with `open()` (window-modal, not blocking).
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from shopdesk.domain.choices import Channel
from shopdesk.shop import Shop
from shopdesk.ui.common.style import STYLE
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.customers.customer_form import CustomerForm


class RegisterForIntakeDialog(QDialog):
    """Register a new customer for the ticket being taken in. GUI thread only.

    Signals: `chosen(UUID)`: the customer registered (or an existing one picked).
    """

    chosen = Signal(object)

    def __init__(self, shop: Shop, ops: TaskManager, region: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Register a customer for this repair")
        self.setStyleSheet(STYLE)
        self.resize(980, 600)
        self.form = CustomerForm(shop, ops, region, self)
        self.form.start_new()
        self.form.title.setText("Register a customer for this repair")
        self.form.fields["channel"].set_value(Channel.REPAIR_INTAKE.value)
        self.form.saved.connect(self._chosen)
        self.form.open_customer.connect(self._chosen)
        self.form.cancelled.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)
        self.form.fields["first_name"].input.setFocus()

    def _chosen(self, customer_id: UUID) -> None:
        self.chosen.emit(customer_id)
        self.accept()
