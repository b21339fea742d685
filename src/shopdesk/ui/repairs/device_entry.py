"""One device on the ticket intake form: which phone, what is wrong, its state at intake.

The quick path is IMEI, make, model, fault, in that order (the Tab order
follows the reading order). The IMEI is checked as it is typed (the Luhn
check digit, `domain.imei`); once its first eight digits (the type allocation
code) are in, `devices.suggest_model` runs on the read pool and fills make
and model if staff have not typed them. A device the customer brought before
can be picked from "Devices on file" (or is picked by typing or scanning its
IMEI): its details fill the form, read-only, with its purchase date and
warranties. The condition checks are one control (`ChecklistEdit`): each is
Yes, No or Not tested.

Thread rule: GUI thread only; the model suggestion goes through `TaskManager.query`.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from shopdesk.domain.choices import DeviceCondition
from shopdesk.domain.device_rules import DeviceInput
from shopdesk.domain.imei import TAC_LENGTH, clean_imei, is_valid_imei, strip_separators
from shopdesk.errors import ValidationError
from shopdesk.services.repairs.repair_views import DeviceInfo
from shopdesk.services.repairs.tickets import TicketDeviceIntake
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import (
    Card,
    ErrorLabel,
    combo_id,
    mark_error,
    muted,
    select_id,
    tab_chain,
)
from shopdesk.ui.repairs.checklist_edit import ChecklistEdit

DEVICE_FIELDS = ("imei", "make", "model", "serial", "condition")
_TEXT_FIELDS = {"make": "Make *", "model": "Model *", "imei": "IMEI",
                "serial": "Serial number", "fault": "Fault, as the customer describes it *",
                "pre_existing_faults": "Pre-existing faults",
                "accessories": "Accessories left", "passcode": "Passcode or pattern",
                "condition": "Condition"}
_PLACEHOLDERS = {"make": "e.g. Apple", "model": "e.g. iPhone 13",
                 "imei": "15 digits: dial *#06#, or scan", "serial": "if there is no IMEI",
                 "fault": "e.g. screen black after a fall",
                 "pre_existing_faults": "scratches, dents… noted before the repair",
                 "accessories": "e.g. case, charger, SIM", "passcode": "shown only to the "
                 "assigned technician"}
# (row, column, column span) of each input; its caption sits in the row above.
_PLACES = {"imei": (0, 0, 1), "make": (0, 1, 1), "model": (0, 2, 1), "fault": (3, 0, 3),
           "condition": (5, 0, 1), "serial": (5, 1, 1), "passcode": (5, 2, 1),
           "pre_existing_faults": (7, 0, 2), "accessories": (7, 2, 1)}
_HINT_ROW = 2


def caption(text: str) -> QLabel:
    """A field's caption above its input."""
    label = QLabel(text)
    label.setStyleSheet("color:#4a5162; font-weight:500;")
    return label


def device_details(d: DeviceInfo, today: date) -> str:
    """'On file since 12 Mar 2024 · bought 10 Feb 2024 · maker warranty until … (expired)'."""
    parts = [f"On file since {fmt.local_time(d.created_at, False)}"]
    if d.purchase_date:
        parts.append(f"bought {fmt.day(d.purchase_date)}")
    for what, until in (("maker warranty", d.manufacturer_warranty_until),
                        ("shop warranty", d.shop_warranty_until)):
        if until:
            parts.append(f"{what} until {fmt.day(until)} "
                         f"({'valid' if until >= today else 'expired'})")
    parts.append(f"condition {fmt.label('condition', d.condition).lower()}")
    return " · ".join(parts)


class DeviceEntry(Card):
    """Inputs for one `TicketDeviceIntake`. GUI thread only.

    Signals: `remove_requested()` from its Remove button (not on the first device).
    """

    remove_requested = Signal()

    def __init__(self, shop: Shop, ops: TaskManager, number: int, removable: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.shop, self.ops = shop, ops
        self._tac = ""
        self._suggested: tuple[str, str] | None = None
        self._known: list[DeviceInfo] = []
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, ErrorLabel] = {}
        head = QHBoxLayout()
        self.title = QLabel(f"Device {number}")
        self.title.setStyleSheet("font-size:14px; font-weight:600;")
        self.known = QComboBox()
        self.known.addItem("A new device (type it below)", "")
        self.known.setToolTip("A device this customer brought before")
        self.known.currentIndexChanged.connect(self._known_changed)
        head.addWidget(self.title)
        head.addSpacing(12)
        self.known_caption = QLabel("Devices on file")
        head.addWidget(self.known_caption)
        head.addWidget(self.known, 1)
        self.remove_button: QPushButton | None = None
        if removable:
            self.remove_button = QPushButton("Remove")
            self.remove_button.setProperty("danger", True)
            self.remove_button.clicked.connect(self.remove_requested)
            head.addWidget(self.remove_button)
        self.body.addLayout(head)
        self.details = muted("")
        self.details.hide()
        self.body.addWidget(self.details)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(3)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        for name, (row, column, span) in _PLACES.items():
            grid.addWidget(caption(_TEXT_FIELDS[name]), row, column, 1, span)
            box = QWidget()
            inner = QGridLayout(box)
            inner.setContentsMargins(0, 0, 0, 4)
            inner.setSpacing(2)
            inner.addWidget(self._input(name), 0, 0)
            self.errors[name] = ErrorLabel()
            inner.addWidget(self.errors[name], 1, 0)
            grid.addWidget(box, row + 1, column, 1, span, Qt.AlignmentFlag.AlignTop)
        # The type-code hint has a row of its own, with room above and below, so it
        # never runs into the captions around it.
        self.hint = muted("")
        self.hint.setContentsMargins(0, 2, 0, 6)
        self.hint.hide()
        grid.addWidget(self.hint, _HINT_ROW, 0, 1, 3)
        self.body.addLayout(grid)
        self.body.addWidget(caption("Condition at intake: each check Yes, No or Not tested "
                                    "(Up/Down, then Y / N / T)"))
        self.checklist = ChecklistEdit()
        self.body.addWidget(self.checklist)
        self.errors["checklist"] = ErrorLabel()
        self.body.addWidget(self.errors["checklist"])
        self.general = ErrorLabel()
        self.body.addWidget(self.general)
        tab_chain([self.known, *(self.inputs[n] for n in _PLACES), self.checklist])
        self.known.setVisible(False)
        self.known_caption.setVisible(False)
        imei = self.line("imei")
        imei.textChanged.connect(self._imei_changed)
        imei.editingFinished.connect(lambda: self._check_imei(final=True))

    # -- building ----------------------------------------------------------------
    def _input(self, name: str) -> QWidget:
        if name == "condition":
            combo = QComboBox()
            for member in DeviceCondition:
                combo.addItem(fmt.choice_label(member), member.value)
            combo.setCurrentIndex(combo.findData(DeviceCondition.GOOD.value))
            widget: QWidget = combo
        else:
            line = QLineEdit()
            line.setPlaceholderText(_PLACEHOLDERS[name])
            if name == "passcode":
                line.setEchoMode(QLineEdit.EchoMode.Password)
            widget = line
        widget.setObjectName(f"device_{name}")
        self.inputs[name] = widget
        return widget

    def line(self, name: str) -> QLineEdit:
        widget = self.inputs[name]
        assert isinstance(widget, QLineEdit)
        return widget

    def first_input(self) -> QWidget:
        """Where typing starts: the IMEI (a scanner types there too)."""
        return self.inputs["imei"]

    # -- known devices -----------------------------------------------------------
    def set_known_devices(self, devices: list[DeviceInfo]) -> None:
        self._known = devices
        current = combo_id(self.known)
        self.known.blockSignals(True)
        self.known.clear()
        self.known.addItem("A new device (type it below)", "")
        for device in devices:
            self.known.addItem(f"{device.label} — on file", str(device.id))
        select_id(self.known, current)
        self.known.blockSignals(False)
        self.known.setVisible(bool(devices))
        self.known_caption.setVisible(bool(devices))
        self._known_changed()

    def known_device(self) -> DeviceInfo | None:
        chosen = combo_id(self.known)
        return next((d for d in self._known if d.id == chosen), None)

    def _known_changed(self, _index: int = 0) -> None:
        device = self.known_device()
        typed = device is None
        condition = self.inputs["condition"]
        assert isinstance(condition, QComboBox)
        if device is not None:  # its details, read-only: it is the device on file
            for name, value in (("imei", device.imei), ("make", device.make),
                                ("model", device.model), ("serial", device.serial)):
                line = self.line(name)
                line.blockSignals(True)
                line.setText(value or "")
                line.blockSignals(False)
            condition.setCurrentIndex(max(0, condition.findData(device.condition)))
            self.details.setText(device_details(
                device, self.shop.store.clock().astimezone().date()))
            self.hint.hide()
        elif not self.line("make").isEnabled():  # back from a device on file: blank
            for name in ("imei", "make", "model", "serial"):
                self.line(name).clear()
            condition.setCurrentIndex(condition.findData(DeviceCondition.GOOD.value))
        self.details.setVisible(not typed)
        for name in DEVICE_FIELDS:
            self.inputs[name].setEnabled(typed)
            if not typed:
                self.set_error(name, "")

    # -- IMEI ----------------------------------------------------------------------
    def _imei_changed(self, text: str) -> None:
        digits = strip_separators(text)
        self._check_imei(final=len(digits) >= 15)
        if is_valid_imei(digits):
            on_file = next((d for d in self._known if digits in (d.imei, d.imei2)), None)
            if on_file is not None:  # typed or scanned a device on file: take it
                select_id(self.known, on_file.id)
                self.line("fault").setFocus()
                return
        tac = digits[:TAC_LENGTH]
        if len(tac) == TAC_LENGTH and tac.isdigit() and tac != self._tac:
            self._tac = tac
            devices = self.shop.devices
            self.ops.query(self, lambda: devices.suggest_model(tac),
                           lambda found: self._suggest(tac, found))
        elif len(tac) < TAC_LENGTH:
            self._tac = ""

    def _check_imei(self, final: bool) -> bool:
        text = self.line("imei").text()
        if not text.strip() or self.known_device() is not None:
            self.set_error("imei", "")
            return True
        if not final:
            self.set_error("imei", "")  # still typing
            return True
        try:
            clean_imei(text)
        except ValidationError as exc:
            self.set_error("imei", fmt.field_message("imei", exc.errors[0].message))
            return False
        self.set_error("imei", "")
        return True

    def _suggest(self, tac: str, found: tuple[str, str] | None) -> None:
        if tac != self._tac or found is None or self.known_device() is not None:
            return
        make, model = self.line("make"), self.line("model")
        untouched = (make.text(), model.text()) in (("", ""), self._suggested)
        if untouched:
            make.setText(found[0])
            model.setText(found[1])
            self._suggested = found
        self.hint.setText(f"Seen before with this type code: {found[0]} {found[1]}"
                          + ("" if untouched else " (not applied: you typed a model)"))
        self.hint.show()

    # -- values and errors -----------------------------------------------------------
    def to_intake(self) -> TicketDeviceIntake:
        known = combo_id(self.known)
        condition = self.inputs["condition"]
        assert isinstance(condition, QComboBox)
        device = None if known is not None else DeviceInput(
            make=self.line("make").text(), model=self.line("model").text(),
            imei=self.line("imei").text(), serial=self.line("serial").text(),
            condition=condition.currentData())
        return TicketDeviceIntake(
            fault=self.line("fault").text(), device_id=known, device=device,
            checklist=self.checklist.values(),
            pre_existing_faults=self.line("pre_existing_faults").text(),
            accessories=self.line("accessories").text(),
            passcode=self.line("passcode").text())

    def set_error(self, name: str, message: str) -> None:
        label = self.errors.get(name)
        if label is None:
            self.general.show_message(message)
            return
        label.show_message(message)
        if name in self.inputs:
            mark_error(self.inputs[name], bool(message))

    def clear_errors(self) -> None:
        for name in self.errors:
            self.set_error(name, "")
        self.general.show_message("")

    def first_error_widget(self) -> QWidget | None:
        for name, widget in self.inputs.items():
            if self.errors[name].text() and self.errors[name].isVisibleTo(self):
                return widget
        return None
