"""The profile's service dialogs: record a service without a repair ticket, edit a device.

`RecordServiceDialog` (spec 5.1): a part purchase, a consultation, a return or
exchange, or a warranty claim, with its parts, labour, payment, technician and
the customer's rating, for one of the customer's devices or none; saved by
`service_records.record`.
`DeviceDialog` (spec 5.3): a device's purchase date, maker warranty, condition
and owner; saved by `devices.update` and, for a new owner, `devices.change_owner`
(each audited as its own change).

Both save on the writer thread, stay open with the core's reasons under the
fields when it refuses, and close on success (`saved` holds the result).

Thread rule: GUI thread only. Open them with `open()`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.domain.choices import DeviceCondition, PaymentMethod, ServiceKind
from shopdesk.domain.service_rules import PartInput, ServiceInput
from shopdesk.errors import ValidationError
from shopdesk.services.repairs.repair_views import DeviceInfo
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import error_text
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ErrorLabel, Heading, combo_id, field_with_error, muted
from shopdesk.ui.customers.customer_picker import CustomerPicker

# What is recorded here; repairs come from tickets at pickup.
KINDS = (ServiceKind.PART_PURCHASE, ServiceKind.CONSULTATION, ServiceKind.RETURN_EXCHANGE,
         ServiceKind.WARRANTY_CLAIM)
PART_COLUMNS = ("Part", "SKU", "Qty", "Unit price")


class _Dialog(QDialog):
    """Errors under fields, the writer thread, stay open on a refusal."""

    def __init__(self, shop: Shop, ops: TaskManager, title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.saved: Any = None
        self.errors: dict[str, ErrorLabel] = {}
        self.setWindowTitle(title)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(Heading(title, 16))
        self.form = QFormLayout()
        self.general = ErrorLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setProperty("primary", True)
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def finish_layout(self) -> None:
        self.layout_.addLayout(self.form)
        self.layout_.addWidget(self.general)
        self.layout_.addWidget(self.buttons)

    def field(self, name: str, caption: str, widget: QWidget) -> None:
        self.errors[name] = field_with_error(self.form, caption, widget)

    def submit(self) -> None:
        raise NotImplementedError

    def run(self, job: Any) -> None:
        for label in self.errors.values():
            label.show_message("")
        self.general.show_message("")
        self.ok.setEnabled(False)
        self.ops.write(self, job, self._done, self._failed)

    def _done(self, result: Any) -> None:
        self.saved = result
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.ok.setEnabled(True)
        if not isinstance(error, ValidationError):
            self.general.show_message(error_text(error))
            return
        other = []
        for e in error.errors:
            name = e.field.split("[")[0].split(".")[0]
            message = fmt.field_message(e.field.rpartition(".")[2], e.message)
            if name in self.errors:
                self.errors[name].show_message(message)
            else:
                other.append(message)
        self.general.show_message("\n".join(other))


class RecordServiceDialog(_Dialog):
    """A service without a repair ticket, for `customer_id`. GUI thread only."""

    def __init__(self, shop: Shop, ops: TaskManager, customer_id: UUID,
                 devices: list[DeviceInfo], parent: QWidget | None = None) -> None:
        super().__init__(shop, ops, "Record a service", parent)
        self.customer_id = customer_id
        self.setMinimumWidth(620)
        self.layout_.addWidget(muted("A part bought, a consultation, a return or exchange, "
                                     "or a warranty claim; repairs are recorded at pickup."))
        self.kind = QComboBox()
        for kind in KINDS:
            self.kind.addItem(kind.label, kind.value)
        self.device = QComboBox()
        self.device.addItem("No device", "")
        for d in devices:
            self.device.addItem(d.label, str(d.id))
        self.description = QLineEdit()
        self.description.setPlaceholderText("e.g. screen protector fitted, advice on backup")
        self.parts = QTableWidget(3, len(PART_COLUMNS))
        self.parts.setHorizontalHeaderLabels(PART_COLUMNS)
        self.parts.verticalHeader().hide()
        self.parts.setFixedHeight(118)
        self.parts.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.parts.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 100), (2, 50), (3, 90)):
            self.parts.setColumnWidth(column, width)
        self.labour = QLineEdit()
        self.labour.setPlaceholderText("0.00")
        self.payment = QComboBox()
        self.payment.addItem("Not paid / no charge", "")
        for method in PaymentMethod:
            self.payment.addItem(method.label, method.value)
        self.technician = QComboBox()
        self.technician.addItem("Nobody in particular", "")
        self.satisfaction = QComboBox()
        self.satisfaction.addItem("Not given", None)
        for rating in (5, 4, 3, 2, 1):
            self.satisfaction.addItem(f"{rating} / 5", rating)
        self.field("kind", "Kind *", self.kind)
        self.field("device_id", "Device", self.device)
        self.field("description", "What was done *", self.description)
        self.field("parts", "Parts", self.parts)
        self.field("labour", "Labour / fee", self.labour)
        self.field("payment_method", "Payment", self.payment)
        self.field("technician_id", "Technician", self.technician)
        self.field("satisfaction", "Rating", self.satisfaction)
        self.finish_layout()
        self.description.setFocus()
        staff = shop.staff
        ops.query(self, staff.assignable, self._staff)

    def _staff(self, rows: list[Any]) -> None:
        for row in rows:
            self.technician.addItem(row.display_name, str(row.id))

    def _cell(self, row: int, column: int) -> str:
        item = self.parts.item(row, column)
        return item.text().strip() if item is not None else ""

    def set_part(self, row: int, name: str, sku: str, quantity: str, price: str) -> None:
        for column, value in enumerate((name, sku, quantity, price)):
            self.parts.setItem(row, column, QTableWidgetItem(value))

    def data(self) -> ServiceInput:
        parts = []
        for row in range(self.parts.rowCount()):
            name, sku, quantity, price = (self._cell(row, c) for c in range(4))
            if name or sku or price:
                parts.append(PartInput(name=name, sku=sku, quantity=quantity or "1",
                                       unit_price=price or "0"))
        return ServiceInput(
            customer_id=self.customer_id, kind=self.kind.currentData(),
            description=self.description.text(), device_id=combo_id(self.device),
            technician_id=combo_id(self.technician), parts=parts,
            labour=self.labour.text().strip() or "0",
            payment_method=self.payment.currentData() or None,
            satisfaction=self.satisfaction.currentData())

    def submit(self) -> None:
        data, records = self.data(), self.shop.service_records
        self.run(lambda: records.record(data))


class DeviceDialog(_Dialog):
    """A device's purchase date, maker warranty, condition and owner. GUI thread only."""

    def __init__(self, shop: Shop, ops: TaskManager, device: DeviceInfo,
                 parent: QWidget | None = None) -> None:
        super().__init__(shop, ops, f"Edit {device.make} {device.model}", parent)
        self.device = device
        self.setMinimumWidth(560)
        ident = device.imei or device.serial or "no IMEI or serial"
        self.layout_.addWidget(muted(f"{ident} · owned by {device.customer_name} "
                                     f"({device.customer_code}). Each change goes to the "
                                     "audit trail."))
        self.purchase = QLineEdit(device.purchase_date.isoformat()
                                  if device.purchase_date else "")
        self.purchase.setPlaceholderText("YYYY-MM-DD")
        self.warranty = QLineEdit(device.manufacturer_warranty_until.isoformat()
                                  if device.manufacturer_warranty_until else "")
        self.warranty.setPlaceholderText("YYYY-MM-DD, the maker's warranty end")
        self.condition = QComboBox()
        for member in DeviceCondition:
            self.condition.addItem(member.label, member.value)
        self.condition.setCurrentIndex(max(0, self.condition.findData(device.condition)))
        self.owner = CustomerPicker(shop, ops)
        self.owner.set_customer(device.customer_id,
                                f"{device.customer_name}   ·   {device.customer_code}")
        self.owner_note = QLineEdit()
        self.owner_note.setPlaceholderText("why the owner changes (e.g. sold to a relative)")
        self.field("purchase_date", "Purchase date", self.purchase)
        self.field("manufacturer_warranty_until", "Maker warranty until", self.warranty)
        self.field("condition", "Condition now", self.condition)
        self.field("customer_id", "Owner", self.owner)
        self.field("note", "Owner change note", self.owner_note)
        self.finish_layout()
        self.purchase.setFocus()

    def changes(self) -> dict[str, Any]:
        """The fields that differ from the device as it was opened."""
        d = self.device
        typed: dict[str, Any] = {
            "purchase_date": self.purchase.text().strip() or None,
            "manufacturer_warranty_until": self.warranty.text().strip() or None,
            "condition": self.condition.currentData()}
        now: dict[str, Any] = {
            "purchase_date": d.purchase_date.isoformat() if d.purchase_date else None,
            "manufacturer_warranty_until": d.manufacturer_warranty_until.isoformat()
            if d.manufacturer_warranty_until else None, "condition": d.condition}
        return {k: v for k, v in typed.items() if v != now[k]}

    def submit(self) -> None:
        changes, devices, device_id = self.changes(), self.shop.devices, self.device.id
        owner = self.owner.customer_id
        new_owner = owner if owner is not None and owner != self.device.customer_id else None
        note = self.owner_note.text()

        def job() -> Any:
            saved = devices.update(device_id, changes) if changes else None
            if new_owner is not None:
                saved = devices.change_owner(device_id, new_owner, note)
            return saved

        self.run(job)

