"""One device on the ticket intake form: which phone, what is wrong, its state at intake.

The IMEI is checked as it is typed (the Luhn check digit, `domain.imei`); once
its first eight digits (the type allocation code) are in, `devices.suggest_model`
runs on the read pool and fills make and model if staff have not typed them.
A device the customer brought before can be picked instead of typed again.

Thread rule: GUI thread only; the model suggestion goes through `TaskManager.query`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
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
from shopdesk.domain.imei import TAC_LENGTH, clean_imei, strip_separators
from shopdesk.errors import ValidationError
from shopdesk.services.repairs.repair_views import DeviceInfo
from shopdesk.services.repairs.tickets import TicketDeviceIntake
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import Card, ErrorLabel, combo_id, mark_error, muted, select_id

CHECKLIST = ("Screen cracked", "Back cracked", "Buttons faulty", "Camera faulty",
             "Charging port faulty", "Water damage", "Powers on")
DEVICE_FIELDS = ("make", "model", "imei", "serial", "condition")
_TEXT_FIELDS = {"make": "Make *", "model": "Model *", "imei": "IMEI",
                "serial": "Serial number", "fault": "Fault, as the customer describes it *",
                "pre_existing_faults": "Pre-existing faults",
                "accessories": "Accessories left", "passcode": "Passcode or pattern"}
_PLACEHOLDERS = {"make": "e.g. Apple", "model": "e.g. iPhone 13",
                 "imei": "15 digits — dial *#06#, or scan", "serial": "if there is no IMEI",
                 "fault": "e.g. screen black after a fall",
                 "pre_existing_faults": "scratches, dents… noted before the repair",
                 "accessories": "e.g. case, charger, SIM", "passcode": "shown only to the "
                 "assigned technician"}


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
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, ErrorLabel] = {}
        head = QHBoxLayout()
        self.title = QLabel(f"Device {number}")
        self.title.setStyleSheet("font-size:14px; font-weight:600;")
        self.known = QComboBox()
        self.known.addItem("A new device (type it below)", "")
        self.known.currentIndexChanged.connect(self._known_changed)
        head.addWidget(self.title)
        head.addSpacing(12)
        head.addWidget(self.known, 1)
        if removable:
            remove = QPushButton("Remove")
            remove.setProperty("danger", True)
            remove.clicked.connect(self.remove_requested)
            head.addWidget(remove)
        self.body.addLayout(head)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(2)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        places = {"make": (0, 0), "model": (0, 1), "condition": (0, 2), "imei": (2, 0),
                  "serial": (2, 1), "passcode": (2, 2), "fault": (5, 0),
                  "pre_existing_faults": (7, 0), "accessories": (7, 2)}
        spans = {"fault": 3, "pre_existing_faults": 2}
        for name, (row, column) in places.items():
            caption = "Condition" if name == "condition" else _TEXT_FIELDS[name]
            grid.addWidget(self._caption(caption), row, column)
            widget = self._input(name)
            box = QWidget()
            inner = QGridLayout(box)
            inner.setContentsMargins(0, 0, 0, 4)
            inner.setSpacing(2)
            inner.addWidget(widget, 0, 0)
            self.errors[name] = ErrorLabel()
            inner.addWidget(self.errors[name], 1, 0)
            grid.addWidget(box, row + 1, column, 1, spans.get(name, 1),
                           Qt.AlignmentFlag.AlignTop)
        self.hint = muted("")
        self.hint.hide()
        grid.addWidget(self.hint, 4, 0, 1, 3)
        self.body.addLayout(grid)
        self.body.addWidget(self._caption("Condition at intake (tick what applies)"))
        checks = QGridLayout()
        checks.setHorizontalSpacing(14)
        checks.setVerticalSpacing(4)
        self.checks: dict[str, QCheckBox] = {}
        for position, item in enumerate(CHECKLIST):
            self.checks[item] = QCheckBox(item)
            checks.addWidget(self.checks[item], position // 4, position % 4)
        for column in range(4):
            checks.setColumnStretch(column, 1)
        self.body.addLayout(checks)
        self.errors["checklist"] = ErrorLabel()
        self.body.addWidget(self.errors["checklist"])
        self.general = ErrorLabel()
        self.body.addWidget(self.general)
        imei = self.line("imei")
        imei.textChanged.connect(self._imei_changed)
        imei.editingFinished.connect(lambda: self._check_imei(final=True))

    # -- building ----------------------------------------------------------------
    @staticmethod
    def _caption(text: str) -> QLabel:
        caption = QLabel(text)
        caption.setStyleSheet("color:#4a5162; font-weight:500;")
        return caption

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

    # -- known devices -----------------------------------------------------------
    def set_known_devices(self, devices: list[DeviceInfo]) -> None:
        current = combo_id(self.known)
        self.known.blockSignals(True)
        self.known.clear()
        self.known.addItem("A new device (type it below)", "")
        for device in devices:
            self.known.addItem(f"{device.label} — already on file", str(device.id))
        select_id(self.known, current)
        self.known.blockSignals(False)
        self.known.setVisible(bool(devices))
        self._known_changed()

    def _known_changed(self, _index: int = 0) -> None:
        typed = combo_id(self.known) is None
        for name in DEVICE_FIELDS:
            self.inputs[name].setEnabled(typed)
            if not typed:
                self.set_error(name, "")

    # -- IMEI ----------------------------------------------------------------------
    def _imei_changed(self, text: str) -> None:
        digits = strip_separators(text)
        self._check_imei(final=len(digits) >= 15)
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
        if not text.strip():
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
        if tac != self._tac or found is None:
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
            checklist={name: box.isChecked() for name, box in self.checks.items()},
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
