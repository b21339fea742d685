"""Sign-in and first-start dialogs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from shopdesk.shop import Shop
from shopdesk.ui.staff.sign_in import OwnerSetupDialog, SignInDialog
from tests.conftest import OWNER_SECRET


def test_sign_in_success(qtbot, bare_shop: Shop) -> None:
    bare_shop.staff.create_owner("owner", "Olivia Owner", OWNER_SECRET)
    dialog = SignInDialog(bare_shop)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.username, "owner")
    qtbot.keyClicks(dialog.secret, OWNER_SECRET)
    qtbot.keyClick(dialog.secret, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert bare_shop.actor is not None and bare_shop.actor.name == "Olivia Owner"


def test_sign_in_failure_shows_message(qtbot, bare_shop: Shop) -> None:
    bare_shop.staff.create_owner("owner", "Olivia Owner", OWNER_SECRET)
    dialog = SignInDialog(bare_shop)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.username.setText("owner")
    dialog.secret.setText("wrong-secret")
    dialog.ok.click()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error.isVisible()
    assert dialog.error.text() == "Wrong username or PIN/password"
    assert dialog.secret.text() == ""
    assert bare_shop.actor is None


def test_owner_first_start_creates_owner(qtbot, bare_shop: Shop) -> None:
    assert bare_shop.needs_owner()
    dialog = OwnerSetupDialog(bare_shop)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.display_name.setText("Amira Haddad")
    dialog.username.setText("amira")
    dialog.secret.setText("4821")
    dialog.confirm.setText("4821")
    dialog.ok.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not bare_shop.needs_owner()
    assert bare_shop.sign_in("amira", "4821").role.value == "owner"


def test_owner_dialog_shows_inline_errors(qtbot, bare_shop: Shop) -> None:
    dialog = OwnerSetupDialog(bare_shop)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.username.setText("A B")
    dialog.secret.setText("12")
    dialog.confirm.setText("12")
    dialog.ok.click()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.errors["display_name"].text() == "Name is required"
    assert dialog.errors["username"].isVisible()
    assert "PIN has 4 to 8 digits" in dialog.errors["secret"].text()
    assert bare_shop.needs_owner()
    dialog.secret.setText("123456")
    dialog.ok.click()
    assert dialog.errors["confirm"].text() == "The two entries are not the same."
