"""The database passphrase, asked at start where the OS keyring cannot keep the key.

On a computer without a keyring (or for a database whose key is not in this one's),
the window asks for the database's passphrase before it opens the shop; on the first
start there it asks for a new one, twice. A wrong passphrase says so and asks again;
nothing is changed by a wrong try. The passphrase is never stored (`db.dbkey`).

Thread rule: GUI thread only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from shopdesk.db.cipher import DatabaseKeyError
from shopdesk.db.dbkey import MIN_PASSPHRASE, KeyUnavailable
from shopdesk.shop import Shop
from shopdesk.ui.common.style import STYLE
from shopdesk.ui.common.widgets import ErrorLabel


class PassphraseDialog(QDialog):
    """Asks for the passphrase (`new`: choose one, typed twice)."""

    def __init__(self, new: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.new = new
        self.setWindowTitle("shopdesk – database passphrase")
        self.setStyleSheet(STYLE)
        layout = QVBoxLayout(self)
        text = ("This computer has no keyring to keep the database key. Choose a passphrase "
                f"(at least {MIN_PASSPHRASE} characters); it is asked at every start and "
                "is never stored. Without it the data cannot be opened." if new else
                "The shop's data is encrypted and its key is not in this computer's "
                "keyring. Enter the database passphrase.")
        intro = QLabel(text)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Passphrase", self.first)
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        if new:
            form.addRow("Again", self.second)
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.first.setFocus()

    @property
    def passphrase(self) -> str:
        return self.first.text()

    def _accept(self) -> None:
        if self.new and len(self.first.text()) < MIN_PASSPHRASE:
            self.error.show_message(f"at least {MIN_PASSPHRASE} characters")
        elif self.new and self.first.text() != self.second.text():
            self.error.show_message("the two passphrases differ")
        elif not self.first.text():
            self.error.show_message("enter the passphrase")
        else:
            self.accept()


def open_shop(data_dir: str | Path | None) -> Shop | None:
    """`Shop.open`, asking for the passphrase when the key is not in the keyring;
    None when staff cancel. Other failures are raised as they are."""
    passphrase: str | None = None
    while True:
        try:
            return Shop.open(data_dir, passphrase=passphrase)
        except KeyUnavailable as exc:
            dialog = PassphraseDialog(exc.new)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            passphrase = dialog.passphrase
        except DatabaseKeyError as exc:
            if passphrase is None:
                raise
            QMessageBox.warning(None, "shopdesk", f"That passphrase does not open the shop's "
                                f"data ({exc}). Try again.")
            passphrase = None
