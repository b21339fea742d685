"""Ticket intake: customer, one device (more on request), estimate, deposit, promise.

The quick path is one device for a customer already chosen (Ctrl+T on their
profile): typing starts in the IMEI, Tab goes to make, model and fault, Alt+E
jumps to the estimate, Tab to the deposit, Ctrl+Enter saves. The promised-by
day starts at today plus the shop's `repairs.promised_days`. A customer not
registered yet is registered from here ("Register new customer…", Ctrl+Shift+N)
without leaving the page. "Add another device" appends a block.
Saving calls `tickets.intake` on the writer thread; a `ValidationError` puts
each message under its field (``devices[1].imei`` under the second device's
IMEI) and nothing is written; success emits `created(ticket id)`.

Thread rule: GUI thread only; reads and the write go through the TaskManager.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from uuid import UUID

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from shopdesk.errors import ValidationError
from shopdesk.services.repairs.repair_views import DeviceInfo, TicketSaved
from shopdesk.services.repairs.tickets import TicketIntake
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import error_text
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import (
    Card,
    ErrorLabel,
    combo_id,
    mark_error,
    muted,
    tab_chain,
    title_label,
)
from shopdesk.ui.customers.customer_picker import CustomerPicker
from shopdesk.ui.repairs.device_entry import DeviceEntry, caption
from shopdesk.ui.repairs.intake_customer import RegisterForIntakeDialog
from shopdesk.ui.repairs.repair_common import Technician, fill_staff, load_technicians

_DEVICE_FIELD = re.compile(r"^devices\[(\d+)\]\.?(.*)$")
TICKET_FIELDS = ("customer", "estimate", "deposit", "promised_by", "technician_id", "note")


class TicketIntakePage(QWidget):
    """The intake form. GUI thread only.

    Signals: `created(UUID)` with the new ticket's id, `cancelled()`.
    """

    created = Signal(object)
    cancelled = Signal()

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.saving = False
        self.entries: list[DeviceEntry] = []
        self._known: list[DeviceInfo] = []
        self.register_dialog: RegisterForIntakeDialog | None = None
        self.picker = CustomerPicker(shop, ops)
        self.picker.chosen.connect(self._customer_chosen)
        self.errors: dict[str, ErrorLabel] = {"customer": ErrorLabel()}
        customer = Card("Customer")
        row = QHBoxLayout()
        row.addWidget(self.picker, 1)
        self.register_button = QPushButton("Register new customer…  (Ctrl+Shift+N)")
        self.register_button.setToolTip("Register the customer here, for this repair")
        self.register_button.clicked.connect(self.register_customer)
        row.addWidget(self.register_button, 0, Qt.AlignmentFlag.AlignTop)
        customer.body.addLayout(row)
        customer.body.addWidget(self.errors["customer"])

        self.devices_box = QVBoxLayout()
        self.devices_box.setSpacing(12)
        self.add_button = QPushButton("&Add another device")
        self.add_button.clicked.connect(lambda: self.add_device(focus=True))

        money = Card("Estimate, deposit and promise")
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(3)
        self.estimate = QLineEdit()
        self.estimate.setPlaceholderText("e.g. 89.00, or empty if not known")
        self.approved = QCheckBox("Customer approved the estimate")
        self.deposit = QLineEdit()
        self.deposit.setPlaceholderText("0.00")
        self.promised = QDateEdit()
        self.promised.setCalendarPopup(True)
        self.promised.setDisplayFormat("ddd dd MMM yyyy")
        self.promised.setToolTip("The day the repair is promised to the customer")
        self.technician = QComboBox()
        self.technician.addItem("Unassigned", "")
        self.note = QLineEdit()
        self.note.setPlaceholderText("optional note for the status history")
        self.inputs: dict[str, QWidget] = {"estimate": self.estimate, "deposit": self.deposit,
                                           "promised_by": self.promised,
                                           "technician_id": self.technician, "note": self.note}
        titles = (("estimate", "&Estimate  (Alt+E)"), ("deposit", "Deposit paid"),
                  ("promised_by", "Promised by"), ("technician_id", "Technician"))
        for column, (name, title) in enumerate(titles):
            label = caption(title)
            label.setBuddy(self.inputs[name])
            grid.addWidget(label, 0, column)
            grid.addWidget(self.inputs[name], 1, column)
            self.errors[name] = ErrorLabel()
            grid.addWidget(self.errors[name], 2, column)
            grid.setColumnStretch(column, 1)
        grid.addWidget(self.approved, 3, 0, 1, 2)
        grid.addWidget(caption("Note"), 4, 0)
        grid.addWidget(self.note, 5, 0, 1, 4)
        self.errors["estimate_approved"] = ErrorLabel()
        grid.addWidget(self.errors["estimate_approved"], 3, 2, 1, 2)
        self.errors["note"] = ErrorLabel()
        money.body.addLayout(grid)

        self.general = ErrorLabel()
        self.save_button = QPushButton("Create ticket  (Ctrl+Enter)")
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Cancel  (Esc)")
        self.cancel_button.clicked.connect(self.cancelled)
        actions = QHBoxLayout()
        actions.addWidget(self.general, 1)
        actions.addStretch(1)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.save_button)

        content = QWidget()
        page = QVBoxLayout(content)
        page.setContentsMargins(16, 14, 16, 14)
        page.setSpacing(12)
        page.addWidget(title_label("New repair ticket"))
        page.addWidget(muted("One device is the usual case; add more only if the customer "
                             "leaves several. Fields marked * are required."))
        page.addWidget(customer)
        page.addLayout(self.devices_box)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        page.addLayout(add_row)
        page.addWidget(money)
        page.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes field to field, not here
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        self.scroll_area = scroll
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll, 1)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(16, 6, 16, 10)
        bottom.addLayout(actions)
        outer.addLayout(bottom)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.save)
        register = QShortcut(QKeySequence("Ctrl+Shift+N"), self)
        register.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        register.activated.connect(self.register_customer)
        self.add_device()

    # -- starting ----------------------------------------------------------------
    def start(self, customer_id: UUID | None = None) -> None:
        """A blank form; with `customer_id`, for that customer (from a profile)."""
        for old in self.entries:
            self.devices_box.removeWidget(old)
            old.deleteLater()
        self.entries = []
        self._known = []
        self.add_device()
        for line in (self.estimate, self.deposit, self.note):
            line.clear()
        self.approved.setChecked(False)
        self.clear_errors()
        self._set_promise_days(3)
        settings = self.shop.settings
        self.ops.query(self, lambda: int(settings.get("repairs.promised_days")),
                       self._set_promise_days)
        load_technicians(self.shop, self.ops, self, self._set_technicians)
        if customer_id is None:
            self.picker.clear()
            self.picker.focus()
        else:
            self.picker.set_customer(customer_id)
            self.entries[0].first_input().setFocus()
        self.scroll_area.verticalScrollBar().setValue(0)

    def _set_promise_days(self, days: int) -> None:
        today = self.shop.store.clock().astimezone().date()
        self.promised.setMinimumDate(QDate(today.year, today.month, today.day))
        self.promised.setDate(QDate.fromString((today + timedelta(days=days)).isoformat(),
                                               Qt.DateFormat.ISODate))

    def promised_by(self) -> date:
        value = self.promised.date().toPython()
        assert isinstance(value, date)
        return value

    def register_customer(self) -> RegisterForIntakeDialog:
        """The registration form over this page; its customer becomes the ticket's."""
        region = self.shop.settings.get("phone.default_region")
        dialog = RegisterForIntakeDialog(self.shop, self.ops, region, self)
        dialog.chosen.connect(self._registered)
        self.register_dialog = dialog
        dialog.open()
        return dialog

    def _registered(self, customer_id: UUID) -> None:
        self.picker.set_customer(customer_id)
        self.entries[0].first_input().setFocus()

    def _set_technicians(self, staff: list[Technician], _complete: bool) -> None:
        fill_staff(self.technician, staff, "Unassigned")

    def _customer_chosen(self, customer_id: UUID) -> None:
        self.errors["customer"].show_message("")
        devices = self.shop.devices
        self.ops.query(self, lambda: devices.for_customer(customer_id),
                       lambda found: self._set_known(customer_id, found))

    def _set_known(self, customer_id: UUID, devices: list[DeviceInfo]) -> None:
        if customer_id != self.picker.customer_id:
            return
        self._known = devices
        for entry in self.entries:
            entry.set_known_devices(devices)

    # -- devices -------------------------------------------------------------------
    def add_device(self, focus: bool = False) -> DeviceEntry:
        entry = DeviceEntry(self.shop, self.ops, len(self.entries) + 1,
                            removable=bool(self.entries))
        entry.set_known_devices(self._known)
        entry.remove_requested.connect(lambda: self.remove_device(entry))
        self.entries.append(entry)
        self.devices_box.addWidget(entry)
        entry.show()  # now, not on the next event loop turn (focus moves into it at once)
        self._chain()
        if focus:
            entry.first_input().setFocus()
            self.scroll_area.ensureWidgetVisible(entry)
        return entry

    def _chain(self) -> None:
        """Tab goes customer, each device top to bottom, then the ticket's fields."""
        order: list[QWidget] = [self.picker.box, self.picker.change, self.register_button]
        for entry in self.entries:
            order += [entry.known, *entry.inputs.values(), entry.checklist]
            if entry.remove_button is not None:
                order.append(entry.remove_button)
        order += [self.add_button, self.estimate, self.deposit, self.promised, self.technician,
                  self.approved, self.note, self.cancel_button, self.save_button]
        tab_chain(order)

    def remove_device(self, entry: DeviceEntry) -> None:
        if entry not in self.entries or len(self.entries) == 1:
            return
        self.entries.remove(entry)
        self.devices_box.removeWidget(entry)
        entry.deleteLater()
        for number, other in enumerate(self.entries, 1):
            other.title.setText(f"Device {number}")

    # -- saving --------------------------------------------------------------------
    def intake(self) -> TicketIntake | None:
        customer_id = self.picker.customer_id
        if customer_id is None:
            return None
        return TicketIntake(
            customer_id=customer_id, devices=[e.to_intake() for e in self.entries],
            estimate=self.estimate.text().strip() or None,
            estimate_approved=True if self.approved.isChecked() else None,
            deposit=self.deposit.text().strip() or "0",
            technician_id=combo_id(self.technician), note=self.note.text(),
            promised_by=self.promised_by())

    def save(self) -> None:
        if self.saving or not self.isVisible():
            return
        self.clear_errors()
        data = self.intake()
        if data is None:
            self.errors["customer"].show_message("Choose the customer first.")
            self.picker.focus()
            return
        if not all(e._check_imei(final=True) for e in self.entries):
            self._focus_first_error()
            return  # the check digit is already shown; nothing is sent
        self.saving = True
        self.save_button.setEnabled(False)
        tickets = self.shop.tickets
        self.ops.write(self, lambda: tickets.intake(data), self._saved, self._failed)

    def _saved(self, saved: TicketSaved) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.created.emit(saved.ticket.summary.id)

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        if not isinstance(error, ValidationError):
            self.general.show_message(error_text(error))
            return
        for e in error.errors:
            message = fmt.field_message(e.field.rpartition(".")[2], e.message)
            match = _DEVICE_FIELD.match(e.field)
            if match and int(match.group(1)) < len(self.entries):
                self.entries[int(match.group(1))].set_error(match.group(2) or "device", message)
            elif e.field in self.errors:
                self.show_error(e.field, message)
            else:
                self.general.show_message(message)
        self._focus_first_error()

    def show_error(self, name: str, message: str) -> None:
        self.errors[name].show_message(message)
        if name in self.inputs:
            mark_error(self.inputs[name], bool(message))

    def clear_errors(self) -> None:
        for name in self.errors:
            self.show_error(name, "")
        self.general.show_message("")
        for entry in self.entries:
            entry.clear_errors()

    def _focus_first_error(self) -> None:
        for entry in self.entries:
            widget = entry.first_error_widget()
            if widget is not None:
                widget.setFocus()
                self.scroll_area.ensureWidgetVisible(widget)
                return
        for name in ("estimate", "deposit", "promised_by", "technician_id"):
            if self.errors[name].text():
                self.inputs[name].setFocus()
                return
