"""Staff administration and role-based menu entries."""

from __future__ import annotations

from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow
from tests.ui.conftest import open_window


def test_add_staff_member(qtbot, window: MainWindow, shop: Shop) -> None:
    assert window.staff_action.isEnabled()
    admin = window.open_staff_admin()
    assert admin is not None
    qtbot.waitUntil(lambda: admin.table.rowCount() == 1)
    dialog = admin.add_staff()
    dialog.username.setText("bea")
    dialog.display_name.setText("Beatriz Souza")
    dialog.role.setCurrentIndex(dialog.role.findData("front_desk"))
    dialog.secret.setText("2468")
    dialog.confirm.setText("2468")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: admin.table.rowCount() == 2)
    names = {admin.table.item(r, 1).text() for r in range(2)}
    assert names == {"Olivia Owner", "Beatriz Souza"}
    roles = {admin.table.item(r, 2).text() for r in range(2)}
    assert roles == {"Owner", "Front desk"}
    assert shop.sign_in("bea", "2468").display_name == "Beatriz Souza"


def test_add_staff_errors_inline(qtbot, window: MainWindow) -> None:
    admin = window.open_staff_admin()
    dialog = admin.add_staff()
    dialog.username.setText("owner")
    dialog.display_name.setText("Second Owner")
    dialog.secret.setText("2468")
    dialog.confirm.setText("2468")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.errors["username"].isVisible())
    assert "already taken" in dialog.errors["username"].text()
    assert dialog.isVisible()


def test_staff_action_disabled_for_front_desk(qtbot, shop: Shop, customers) -> None:
    shop.staff.create("desk", "Dana Desk", "front_desk", "1357")
    shop.sign_in("desk", "1357")
    window = open_window(qtbot, shop)
    try:
        assert not window.staff_action.isEnabled()
        assert window.open_staff_admin() is None
        assert "Dana Desk (Front desk)" in window.who.text()
    finally:
        window.shutdown()
