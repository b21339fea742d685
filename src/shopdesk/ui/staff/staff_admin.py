"""Staff administration for managers and owners: list, add, edit, reset PIN, (de)activate.

Thread rule: GUI thread only; reads and writes go through the TaskManager and
the list refreshes itself when a write reports `Changes.staff`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Role
from shopdesk.errors import ValidationError
from shopdesk.services.staff import StaffInfo
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ErrorLabel, Heading, field_with_error, mark_error, muted

COLUMNS = ("Username", "Name", "Role", "Status", "Locked until")


class StaffEditDialog(QDialog):
    """Add a staff member (`staff` None), edit one, or reset a PIN (`reset_only`).

    Saves through the TaskManager; stays open and shows errors inline on failure.
    """

    def __init__(self, shop: Shop, ops: TaskManager, staff: StaffInfo | None = None,
                 reset_only: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops, self.staff = shop, ops, staff
        self.setMinimumWidth(440)
        adding = staff is None
        if staff is None:
            self.setWindowTitle("Add staff member")
        elif reset_only:
            self.setWindowTitle(f"Reset PIN — {staff.display_name}")
        else:
            self.setWindowTitle(f"Edit {staff.display_name}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        form = QFormLayout()
        form.setSpacing(6)
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self.username = QLineEdit(staff.username if staff else "")
        self.display_name = QLineEdit(staff.display_name if staff else "")
        self.role = QComboBox()
        actor = shop.actor
        for role in Role:
            if actor is None or role.rank <= actor.role.rank:
                self.role.addItem(role.label, role.value)
        self.role.setCurrentIndex(max(0, self.role.findData(
            staff.role.value if staff else Role.FRONT_DESK.value)))
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        rows: list[tuple[str, str, QWidget]] = []
        if adding:
            rows.append(("username", "Username", self.username))
        if not reset_only:
            rows += [("display_name", "Name", self.display_name), ("role", "Role", self.role)]
        if adding or reset_only:
            rows += [("secret", "New PIN or password" if reset_only else "PIN or password",
                      self.secret), ("confirm", "Repeat it", self.confirm)]
        for key, title, widget in rows:
            self.inputs[key] = widget
            self.errors[key] = field_with_error(form, title, widget)
        if adding or reset_only:
            layout.addWidget(muted(f"A PIN has {shop.staff.min_pin_length()}–8 digits; "
                                   "a password at least 8 characters."))
        layout.addLayout(form)
        self.general = ErrorLabel()
        layout.addWidget(self.general)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.addButton("Add" if adding else "Save",
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setProperty("primary", True)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reset_only = reset_only

    def save(self) -> None:
        self._show_errors({})
        if "secret" in self.inputs and self.secret.text() != self.confirm.text():
            self._show_errors({"confirm": "The two entries are not the same."})
            return
        service = self.shop.staff
        job: Callable[[], object]
        if self.staff is None:
            args = (self.username.text(), self.display_name.text(), self.role.currentData(),
                    self.secret.text())
            job = lambda: service.create(*args)  # noqa: E731
        elif self.reset_only:
            staff_id, secret = self.staff.id, self.secret.text()
            job = lambda: service.update(staff_id, secret=secret)  # noqa: E731
        else:
            staff_id, name, role = self.staff.id, self.display_name.text(), self.role.currentData()
            job = lambda: service.update(staff_id, display_name=name, role=role)  # noqa: E731
        self.save_button.setEnabled(False)
        self.ops.write(self, job, lambda _r: self.accept(), self._failed,
                       changes=Changes(staff=True))

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationError):
            self._show_errors({e.field: fmt.field_message(e.field, e.message)
                               for e in error.errors})
        else:
            self.general.show_message(str(error)[:1].upper() + str(error)[1:])

    def _show_errors(self, errors: dict[str, str]) -> None:
        self.general.show_message("")
        for key, label in self.errors.items():
            label.show_message(errors.get(key, ""))
            mark_error(self.inputs[key], key in errors)
        unknown = [m for k, m in errors.items() if k not in self.errors]
        if unknown:
            self.general.show_message(" ".join(unknown))
        first = next((k for k in self.inputs if k in errors), None)
        if first:
            self.inputs[first].setFocus()


class StaffAdminDialog(QDialog):
    """The staff table and its actions. GUI thread only."""

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.staff: list[StaffInfo] = []
        self.setWindowTitle("Staff")
        self.resize(820, 460)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.edit_selected())
        self.add_button = QPushButton("Add staff…")
        self.add_button.setProperty("primary", True)
        self.add_button.clicked.connect(self.add_staff)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.clicked.connect(self.edit_selected)
        self.reset_button = QPushButton("Reset PIN…")
        self.reset_button.clicked.connect(self.reset_selected)
        self.active_button = QPushButton("Deactivate")
        self.active_button.clicked.connect(self.toggle_selected)
        self.error = ErrorLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 3)
        buttons.addStretch(1)
        for button in (self.active_button, self.reset_button, self.edit_button,
                       self.add_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addWidget(Heading("Staff accounts", 18))
        layout.addWidget(muted("Who may sign in at this counter, and what their role allows."))
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        ops.bus.ops_did_execute.connect(self._on_changes)
        self._update_buttons()
        self.refresh()

    def refresh(self) -> None:
        service = self.shop.staff
        self.ops.query(self, service.list, self._show, self._failed)

    def _on_changes(self, changes: Changes) -> None:
        if changes.staff:
            self.refresh()

    def _show(self, staff: list[StaffInfo]) -> None:
        selected = self.selected()
        self.staff = staff
        self.table.setRowCount(len(staff))
        for row, info in enumerate(staff):
            locked = fmt.local_time(info.locked_until) if info.locked_until else ""
            cells = (info.username, info.display_name, info.role.label,
                     "Active" if info.is_active else "Inactive", locked)
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
            if selected and info.id == selected.id:
                self.table.selectRow(row)
        self._update_buttons()

    def selected(self) -> StaffInfo | None:
        row = self.table.currentRow()
        return self.staff[row] if 0 <= row < len(self.staff) and \
            self.table.selectionModel().hasSelection() else None

    def _update_buttons(self) -> None:
        info = self.selected()
        for button in (self.edit_button, self.reset_button, self.active_button):
            button.setEnabled(info is not None)
        self.active_button.setText("Activate" if info and not info.is_active else "Deactivate")

    def _failed(self, error: BaseException) -> None:
        self.error.show_message(str(error)[:1].upper() + str(error)[1:])

    def add_staff(self) -> StaffEditDialog:
        return self._open(StaffEditDialog(self.shop, self.ops, parent=self))

    def edit_selected(self) -> StaffEditDialog | None:
        info = self.selected()
        return self._open(StaffEditDialog(self.shop, self.ops, info, parent=self)) \
            if info else None

    def reset_selected(self) -> StaffEditDialog | None:
        info = self.selected()
        return self._open(StaffEditDialog(self.shop, self.ops, info, True, parent=self)) \
            if info else None

    def _open(self, dialog: StaffEditDialog) -> StaffEditDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def toggle_selected(self) -> None:
        info = self.selected()
        if info is None:
            return
        self.error.show_message("")
        service, staff_id, active = self.shop.staff, info.id, not info.is_active
        self.ops.write(self, lambda: service.update(staff_id, is_active=active),
                       on_error=self._failed)


__all__ = ["StaffAdminDialog", "StaffEditDialog"]
