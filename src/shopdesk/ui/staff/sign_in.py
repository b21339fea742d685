"""Start-up dialogs: the first start's owner account, then sign-in.

Thread rule: GUI thread only. Sign-in and owner creation call the core directly
(argon2 takes ~100 ms, acceptable while a modal dialog waits).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from shopdesk.errors import AuthenticationFailed, ShopdeskError, ValidationError
from shopdesk.services.staff import StaffInfo
from shopdesk.shop import Shop
from shopdesk.ui.common.fmt import field_message
from shopdesk.ui.common.widgets import ErrorLabel, Heading, field_with_error, mark_error, muted


class SignInDialog(QDialog):
    """Username and PIN/password; Enter signs in; errors shown inline. GUI thread only."""

    def __init__(self, shop: Shop, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop = shop
        self.staff: StaffInfo | None = None
        self.setWindowTitle("Sign in — shopdesk")
        self.setMinimumWidth(380)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 22, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(Heading(self.shop.settings.get("shop.name"), 18))
        layout.addWidget(muted("Sign in with your username and PIN or password."))
        form = QFormLayout()
        form.setSpacing(8)
        self.username = QLineEdit()
        self.username.setPlaceholderText("e.g. amira")
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Username", self.username)
        form.addRow("PIN or password", self.secret)
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setProperty("primary", True)
        self.ok.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.username.returnPressed.connect(self.secret.setFocus)
        self.secret.returnPressed.connect(self.submit)
        self.username.setFocus()

    def submit(self) -> None:
        if not self.username.text().strip():
            self.error.show_message("Type your username.")
            self.username.setFocus()
            return
        self.staff = sign_in_or_say_why(self.shop, self.username.text(), self.secret,
                                        self.error)
        if self.staff is not None:
            self.accept()


def sign_in_or_say_why(shop: Shop, username: str, secret: QLineEdit,
                       error: ErrorLabel) -> StaffInfo | None:
    """Sign in with the PIN typed in `secret`; on failure say why in `error`, clear the
    PIN and put the cursor back in it (the sign-in dialog and the lock screen)."""
    try:
        return shop.sign_in(username, secret.text())
    except AuthenticationFailed as exc:
        message = str(exc)
        error.show_message(message[:1].upper() + message[1:])
        secret.clear()
        secret.setFocus()
        return None


class OwnerSetupDialog(QDialog):
    """First start: create the shop owner's account. GUI thread only."""

    def __init__(self, shop: Shop, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop = shop
        self.owner: StaffInfo | None = None
        self.setWindowTitle("Welcome to shopdesk")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 22, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(Heading("Set up the owner account", 18))
        layout.addWidget(muted("This is the first start. The owner can add staff, change "
                               "settings and read the audit trail. Use a 4–8 digit PIN or a "
                               "password of at least 8 characters."))
        form = QFormLayout()
        form.setSpacing(6)
        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText("e.g. Amira Haddad")
        self.username = QLineEdit()
        self.username.setPlaceholderText("e.g. amira")
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.inputs = {"display_name": self.display_name, "username": self.username,
                       "secret": self.secret, "confirm": self.confirm}
        self.errors = {
            "display_name": field_with_error(form, "Your name", self.display_name),
            "username": field_with_error(form, "Username", self.username),
            "secret": field_with_error(form, "PIN or password", self.secret),
            "confirm": field_with_error(form, "Repeat it", self.confirm),
        }
        layout.addLayout(form)
        self.general = ErrorLabel()
        layout.addWidget(self.general)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("Create owner", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setProperty("primary", True)
        self.ok.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.display_name.setFocus()

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, label in self.errors.items():
            label.show_message(errors.get(name, ""))
            mark_error(self.inputs[name], name in errors)
        for name in self.inputs:
            if name in errors:
                self.inputs[name].setFocus()
                break

    def submit(self) -> None:
        self.general.show_message("")
        if self.secret.text() != self.confirm.text():
            self.show_errors({"confirm": "The two entries are not the same."})
            return
        try:
            self.owner = self.shop.staff.create_owner(
                self.username.text(), self.display_name.text(), self.secret.text())
        except ValidationError as exc:
            self.show_errors({e.field: field_message(e.field, e.message)
                              for e in exc.errors})
            return
        except ShopdeskError as exc:
            self.general.show_message(str(exc))
            return
        self.accept()
