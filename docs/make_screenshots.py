"""Render the main screens to PNG files for the documentation.

    QT_QPA_PLATFORM=offscreen /work/venv/bin/python docs/make_screenshots.py docs/screenshots

Builds a throw-away shop in a temporary directory (an owner, generated
customers from several countries, one customer with verification and
documents) and saves `widget.grab()` of each screen. The suggestions popup is
a separate top-level window, so its grab is painted onto the window's grab
where it appears on screen.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QDeadlineTimer, QPoint
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QScrollArea, QWidget

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.services.demo import generate
from shopdesk.shop import Shop
from shopdesk.ui.app import application, build_main_window
from shopdesk.ui.dialogs import OwnerSetupDialog, SignInDialog
from shopdesk.ui.style import STYLE

SIZE = (1100, 700)


def wait_until(condition: Callable[[], bool], timeout_ms: int = 5000) -> None:
    deadline = QDeadlineTimer(timeout_ms)
    while not condition():
        if deadline.hasExpired():
            raise TimeoutError("the screen did not reach the expected state")
        QTest.qWait(10)


def save(widget: QWidget, out: Path, name: str) -> None:
    QTest.qWait(50)
    path = out / name
    widget.grab().save(str(path))
    print("wrote", path)


def save_with_popup(window: QWidget, popup: QWidget, out: Path, name: str) -> None:
    """The window with `popup` (a separate top-level window) painted where it shows."""
    QTest.qWait(50)
    shot: QPixmap = window.grab()
    offset = popup.mapToGlobal(QPoint(0, 0)) - window.mapToGlobal(QPoint(0, 0))
    painter = QPainter(shot)
    painter.drawPixmap(offset, popup.grab())
    painter.end()
    path = out / name
    shot.save(str(path))
    print("wrote", path)


def seed(shop: Shop) -> None:
    shop.staff.create_owner("amira", "Amira Haddad", "4821")
    shop.sign_in("amira", "4821")
    shop.staff.create("bea", "Beatriz Souza", "front_desk", "2468")
    shop.staff.create("tomas", "Tomás Novák", "technician", "1357")
    shop.staff.create("li", "Li Wei", "manager", "manager-pass")
    rows = ((n + 2, row) for n, row in enumerate(generate(120, seed=11)))
    shop.transfer.import_rows(rows, 120)


def main(target: str) -> int:
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Shop.open(Path(tmp) / "first")
        owner = OwnerSetupDialog(fresh)
        owner.setStyleSheet(STYLE)
        owner.display_name.setText("Amira Haddad")
        owner.username.setText("amira")
        owner.show()
        save(owner, out, "owner-setup.png")
        owner.secret.setText("12")
        owner.confirm.setText("12")
        owner.submit()
        save(owner, out, "owner-setup-errors.png")
        owner.close()
        fresh.close()

        shop = Shop.open(Path(tmp) / "shop")
        seed(shop)
        shop.sign_out()
        sign = SignInDialog(shop)
        sign.setStyleSheet(STYLE)
        sign.show()
        sign.username.setText("bea")
        save(sign, out, "sign-in.png")
        sign.secret.setText("0000")
        sign.submit()
        save(sign, out, "sign-in-error.png")
        sign.close()
        shop.sign_in("amira", "4821")

        ana = shop.customers.register(CustomerInput(
            first_name="Ana", last_name="López García", phone="+34 612 345 678",
            email="ana.lopez@example.es", address_line1="14 Wellington Street",
            city="Leeds", postcode="LS1 4AP", country="GB", preferred_contact="whatsapp",
            whatsapp="+34 612 345 678", date_of_birth="1988-03-14", gender="female",
            occupation="Architect", language="es", marketing_opt_in=True,
            channel="repair_intake",
            notes="Prefers WhatsApp in Spanish. Cracked screen twice in 2025.")).customer
        shop.customers.set_verified(ana.id, "phone", True)
        shop.customers.set_verified(ana.id, "email", True)
        shop.customers.record_id_check(ana.id, "passport", "4821")
        scan = Path(tmp) / "passport-scan.pdf"
        scan.write_bytes(b"%PDF-1.4 scanned passport (demo)")
        shop.documents.attach(ana.id, scan, "id_scan", "Passport scan")
        form_pdf = Path(tmp) / "repair-consent.pdf"
        form_pdf.write_bytes(b"%PDF-1.4 signed consent (demo)")
        shop.documents.attach(ana.id, form_pdf, "signed_form", "Repair consent form")

        window = build_main_window(shop)
        window.resize(*SIZE)
        window.show()
        wait_until(lambda: window.is_ready)
        wait_until(lambda: window.search.model.summary_at(15) is not None)
        save(window, out, "main-window.png")

        window.search.box.setText("lo")
        wait_until(lambda: not window.search.searching)
        wait_until(lambda: window.search.model.summary_at(0) is not None)
        save(window, out, "search-results.png")

        search = window.search
        search.box.clear()
        search.filter_toggle.setChecked(True)
        bar = search.filter_bar
        bar.customer_type.setCurrentIndex(bar.customer_type.findData("individual"))
        bar.marketing.setCurrentIndex(bar.marketing.findData(True))
        bar.active_only.setChecked(True)
        search.run_search()
        wait_until(lambda: not search.searching)
        wait_until(lambda: search.model.rowCount() == 0 or search.model.summary_at(0) is not None)
        save(window, out, "search-filters.png")
        bar.clear()
        search.filter_toggle.setChecked(False)

        window.activateWindow()
        search.box.setFocus()
        QTest.keyClicks(search.box, "ana")
        wait_until(lambda: search.suggestions.visible)
        wait_until(lambda: search.model.summary_at(0) is not None)
        save_with_popup(window, search.suggestions.popup, out, "search-suggestions.png")
        search.suggestions.hide()

        window.new_customer()
        form = window.form
        form.fields["last_name"].input.setText("Kowalski")
        form.fields["phone"].input.setText("0740 12")
        form.fields["email"].input.setText("jan.kowalski@")
        form.fields["date_of_birth"].input.setText("2031-01-01")
        form._match_timer.stop()
        form.save()
        wait_until(lambda: form.fields["first_name"].error.isVisible())
        save(window, out, "registration-errors.png")

        window.new_customer()
        form.fields["first_name"].input.setText("Anna")
        form.fields["last_name"].input.setText("Lopez Garcia")
        form.fields["phone"].input.setText("+34612345678")
        form.check_matches()
        wait_until(lambda: bool(form.panel.cards))
        save(window, out, "registration-duplicate.png")
        form.cancel()

        window.open_customer(ana.id)
        wait_until(lambda: window.profile.profile is not None)
        wait_until(lambda: window.profile.audit.tree.topLevelItemCount() > 0)
        save(window, out, "customer-profile.png")
        scroll = window.profile.findChild(QScrollArea)
        scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
        save(window, out, "customer-profile-documents.png")
        window.profile.tabs.setCurrentWidget(window.profile.audit)
        save(window, out, "customer-profile-audit.png")

        admin = window.open_staff_admin()
        assert admin is not None
        wait_until(lambda: admin.table.rowCount() == 4)
        admin.table.selectRow(1)
        save(admin, out, "staff-admin.png")
        admin.close()
        window.shutdown()
        window.close()
        shop.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
