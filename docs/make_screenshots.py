"""Render the main screens to PNG files for the documentation.

    QT_QPA_PLATFORM=offscreen python docs/make_screenshots.py docs/screenshots [--only a.png,b.png]

Builds a throw-away shop in a temporary directory (an owner, the 2000 customers
of `shopdesk demo` with their devices and repair tickets, one customer with
verification and documents, a few tickets in known states) and saves
`widget.grab()` of each screen at 1366 x 768, the smallest common counter
screen. The suggestions popup and the print menu are top-level windows of their
own, so their grabs are painted onto the window's grab where they appear. The
sync screens need a central Postgres: the one at $SHOPDESK_TEST_PG_URL, else a
throw-away `pgserver` (a test extra); without either they are skipped. Sync
credentials go to an in-memory keyring, never the real one. Where the OS has no
keyring for the database key, $SHOPDESK_DB_PASSPHRASE is set to a throw-away value.
`--only` writes just the named files (the others are still made, so each screen
shows the same shop, but not saved; the sync screens only if named).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The throw-away shop's database key where no OS keyring can keep one (a headless box).
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "screenshots passphrase, not a secret")

from PySide6.QtCore import QDeadlineTimer, QPoint, Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.domain.device_rules import DeviceInput
from shopdesk.domain.imei import luhn_check_digit
from shopdesk.domain.service_rules import PartInput, ServiceInput
from shopdesk.errors import AuthenticationFailed
from shopdesk.services.demo.demo import generate
from shopdesk.services.demo.demo_history import shape_history
from shopdesk.services.demo.demo_repairs import generate_repairs
from shopdesk.services.repairs.ticket_edits import WorkLineInput
from shopdesk.services.repairs.tickets import PickupWork, TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from shopdesk.ui.app import application, build_main_window
from shopdesk.ui.common.style import STYLE
from shopdesk.ui.main_window import MainWindow
from shopdesk.ui.staff.sign_in import OwnerSetupDialog, SignInDialog

SIZE = (1366, 768)
DEMO_CUSTOMERS = 2000
ONLY: set[str] | None = None  # --only: the files to write (None: all)
SYNC_SHOTS = {"status-offline.png", "status-online.png", "sync-panel.png",
              "merge-customers.png", "customer-profile-duplicate.png"}


def wait_until(condition: Callable[[], bool], timeout_ms: int = 5000) -> None:
    deadline = QDeadlineTimer(timeout_ms)
    while not condition():
        if deadline.hasExpired():
            raise TimeoutError("the screen did not reach the expected state")
        QTest.qWait(10)


def wanted(name: str) -> bool:
    return ONLY is None or name in ONLY


def save(widget: QWidget, out: Path, name: str) -> None:
    if not wanted(name):
        return
    QTest.qWait(50)
    path = out / name
    widget.grab().save(str(path))
    print("wrote", path)


def save_with_popup(window: QWidget, popup: QWidget, out: Path, name: str) -> None:
    """The window with `popup` (a separate top-level window) painted where it shows."""
    if not wanted(name):
        return
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
    rows = ((n + 2, row) for n, row in enumerate(generate(DEMO_CUSTOMERS, seed=11)))
    shop.transfer.import_rows(rows, DEMO_CUSTOMERS)
    generate_repairs(shop.store, shop.audit, shop.staff, 4.0, seed=11)


def imei(first14: str) -> str:
    return first14 + str(luhn_check_digit(first14))


def seed_repairs(shop: Shop, ana: UUID) -> dict[str, UUID]:
    """Devices, tickets in several states and a collected repair with its service record."""
    tomas = next(s.id for s in shop.staff.list() if s.username == "tomas")
    others = [i for i in shop.customers.search_ids("", 12) if i != ana]
    checklist = {"Powers on": "yes", "Screen cracked": "yes", "Back cracked": "no",
                 "Touch works": "not_tested", "Water damage": "no"}
    seller = others[-1]
    iphone = shop.devices.register(seller, DeviceInput(
        make="Apple", model="iPhone 13", imei=imei("35391110123456"),
        purchase_date="2024-02-10", manufacturer_warranty_until="2025-02-10")).device.id
    shop.service_records.record(ServiceInput(
        seller, "consultation", "Battery health check (81 %), data backup advice",
        device_id=iphone, technician_id=tomas, labour="15.00", payment_method="cash"))
    shop.devices.change_owner(iphone, ana, "Bought second-hand from the previous owner")
    first = shop.tickets.intake(TicketIntake(ana, [TicketDeviceIntake(
        "Screen cracked after a fall, touch still works", device_id=iphone,
        checklist=checklist, pre_existing_faults="Scratches on the back glass",
        accessories="Clear case", passcode="2580")], estimate="129.00",
        estimate_approved=True, deposit="30", technician_id=tomas)).ticket
    for status in ("diagnosing", "in_repair", "ready"):
        shop.tickets.change_status(first.summary.id, status)
    shop.tickets.pickup(first.summary.id, "129.00", "card", [PickupWork(
        iphone, "Replaced screen assembly", [PartInput("iPhone 13 screen", 1, "89.00",
                                                       "SCR-IP13")], "40.00")], 5)
    models = [("Samsung", "Galaxy A52", "35291612000001", "Battery drains in two hours"),
              ("Apple", "iPhone 12", "35391110999999", "No sound from the earpiece"),
              ("Google", "Pixel 7", "35851234000005", "Charging port loose"),
              ("Xiaomi", "Redmi Note 12", "86123405000007", "Water damage, will not boot"),
              ("Samsung", "Galaxy S21", "35291612000456", "Back glass shattered"),
              ("Apple", "iPhone 14 Pro", "35391110777777", "Face ID not working")]
    states = [("diagnosing",), ("awaiting_approval",), ("diagnosing", "awaiting_parts"),
              ("in_repair",), ("in_repair", "ready"), ()]
    ids = {"iphone": iphone, "first": first.summary.id}
    for n, ((make, model, digits, fault), moves) in enumerate(zip(models, states,
                                                                  strict=True)):
        saved = shop.tickets.intake(TicketIntake(others[n], [TicketDeviceIntake(
            fault, device=DeviceInput(make=make, model=model, imei=imei(digits)),
            checklist={"Powers on": n != 3})], estimate=f"{49 + 20 * n}.00",
            technician_id=tomas if n % 2 == 0 else None)).ticket
        for status in moves:
            shop.tickets.change_status(saved.summary.id, status)
        if moves == ("in_repair", "ready"):  # the ready one: its work, priced
            device = saved.devices[0].device.id
            shop.tickets.set_work(saved.summary.id, [
                WorkLineInput("Back glass panel", "part", "34.50", 1, "BG-S21", device),
                WorkLineInput("Adhesive kit", "part", "4.50", 1, "ADH-01", device),
                WorkLineInput("Replace back glass, clean and reseal", "labour", "40.00",
                              device_id=device)])
            ids["ready"] = saved.summary.id
    rework = shop.tickets.intake(TicketIntake(ana, [
        TicketDeviceIntake("Touch unresponsive near the top edge since the repair",
                           device_id=iphone, checklist=checklist,
                           pre_existing_faults="Scratches on the back glass",
                           accessories="Clear case, charger", passcode="2580"),
        TicketDeviceIntake("Will not charge", device=DeviceInput(
            make="Apple", model="iPad Air", serial="DMPX2LL9Q1GC"),
            checklist={"Powers on": False})],
        estimate="0.00", estimate_approved=True, technician_id=tomas,
        note="Warranty return")).ticket
    shop.tickets.change_status(rework.summary.id, "diagnosing", "Digitizer cable reseated?")
    shop.tickets.change_status(rework.summary.id, "in_repair", "Replacing screen again")
    ids["rework"] = rework.summary.id
    return ids


class DemoClock:
    """The real time shifted by `offset`, so the demo can back-date support tickets."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def at(self, hours_ago: float) -> None:
        self.offset = -timedelta(hours=hours_ago)


def seed_support(shop: Shop, clock: DemoClock, ana: UUID, repairs: dict[str, UUID]) -> UUID:
    """A complaint with two steps, an escalation and notes; open tickets, some overdue."""
    support = shop.support
    others = [i for i in shop.customers.search_ids("", 12) if i != ana]
    clock.at(6)
    shop.sign_in("bea", "2468")
    complaint = support.open(
        ana, "Screen replaced under warranty failed again",
        "The replacement screen stopped responding near the top edge a week after pickup. "
        "Customer is unhappy about a second visit and asks for compensation.",
        priority="high", repair_ticket_id=repairs["rework"], device_id=repairs["iphone"],
        complaint=True).ticket.ticket.id
    clock.at(5.5)
    support.record_complaint_step(complaint, "registration",
                                  "Acknowledged by phone; reference given")
    clock.at(3)
    shop.sign_in("tomas", "1357")
    support.record_complaint_step(complaint, "investigation",
                                  "Digitizer flex cable torn at the connector")
    clock.at(2)
    shop.sign_in("li", "manager-pass")
    support.escalate(complaint, "manager", "Second failure of the same part; customer "
                     "asks for a partial refund")
    clock.at(1)
    support.add_note(complaint, "Called the supplier about the faulty batch")
    shop.sign_in("amira", "4821")
    for n, (hours, priority, subject, is_complaint) in enumerate((
            (4, "urgent", "Phone restarts in a loop after the update", False),
            (11, "high", "Charged twice for the battery replacement", False),
            (3, "normal", "Asks for a copy of the repair invoice", False),
            (30, "low", "Wants to know when the case is back in stock", False),
            (1, "normal", "Technician was rude at the counter", True),
            (20, "normal", "Water damage quote seems too high", False))):
        clock.at(hours)
        saved = support.open(others[n], subject, "", priority=priority,
                             complaint=is_complaint).ticket.ticket.id
        if n == 1:
            support.escalate(saved, "supervisor", "Needs the card terminal log")
    clock.offset = timedelta(0)
    return complaint


def central_database(tmp: Path) -> str | None:
    """A fresh central database with the shopdesk schema, or None (no Postgres here)."""
    import uuid

    import psycopg

    from shopdesk.sync import central

    admin = os.environ.get("SHOPDESK_TEST_PG_URL")
    if not admin:
        try:
            import pgserver
        except ImportError:
            print("skipping the sync screens: no $SHOPDESK_TEST_PG_URL and no pgserver")
            return None
        admin = pgserver.get_server(tmp / "pg", cleanup_mode="stop").get_uri()
    name = f"shopdesk_shots_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = admin.partition("?")
    url = f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    central.setup(url)
    return url


def memory_keyring() -> None:
    import keyring

    from shopdesk.sync.credentials import memory_keyring as in_memory

    keyring.set_keyring(in_memory())


def sync_screens(shop: Shop, ana: UUID, tmp: Path, out: Path) -> None:
    """Status bar offline and online, the sync panel, the merge screen, the profile banner."""
    from sqlalchemy import text

    from shopdesk.sync.engine import default_transport
    from shopdesk.sync.wire.direct import DirectTransport

    url = central_database(tmp)
    if url is None:
        return
    memory_keyring()
    shop.sync.join(url, "Leeds – Briggate", "Front desk")
    other = Shop.open(tmp / "back-office")
    other.staff.create_owner("li", "Li Wei", "manager-pass")
    other.sign_in("li", "manager-pass")
    other.sync.join(url, "Leeds – Briggate", "Back office")
    twin = other.customers.register(CustomerInput(
        first_name="Ana", last_name="Lopez", phone="0034 612 345 678",
        email="ana.lopez.garcia@example.com", city="Leeds", postcode="LS2 7EY",
        channel="phone_call")).customer.id
    other.tickets.intake(TicketIntake(twin, [TicketDeviceIntake(
        "Battery swells", device=DeviceInput(make="Samsung", model="Galaxy S22",
                                             imei=imei("35291612777777")))]))
    other.sync.run_once()

    # The network is down: changes wait, and the counter says so.
    shop.sync.transport_factory = lambda state: DirectTransport(
        "postgresql://127.0.0.1:9/shopdesk", state["role_name"], "offline")
    window = build_main_window(shop)
    window.resize(*SIZE)
    window.show()
    corner = window.sync_ui.status
    wait_until(lambda: corner.text.startswith("Offline"), 15000)
    save(window.statusBar(), out, "status-offline.png")

    # Back online: a round pushes everything, pulls the twin and the duplicate report.
    with shop.store.write() as session:  # an older client's bug: a change the server refuses
        session.connection().execute(text(
            "UPDATE customers SET first_name = '' WHERE id = (SELECT id FROM customers "
            "WHERE id != :a ORDER BY code LIMIT 1 OFFSET 7)"), {"a": ana.hex})
    shop.sync.transport_factory = default_transport
    window.sync_ui.sync_now()
    # The first round sends the whole demo shop (about 50,000 rows): give it time.
    wait_until(lambda: corner.text.startswith("Online") and corner.badge.text() == "2", 300000)
    other.sync.run_once()
    save(window.statusBar(), out, "status-online.png")

    panel = window.sync_ui.open_panel()
    wait_until(lambda: panel.conflicts.topLevelItemCount() == 1
               and panel.rejected_list.topLevelItemCount() == 1)
    save(panel, out, "sync-panel.png")
    panel.review()
    dialog = window.sync_ui.merge_dialog
    assert dialog is not None
    wait_until(lambda: dialog.sides is not None)
    save(dialog, out, "merge-customers.png")
    dialog.reject()
    panel.close()

    window.open_customer(ana)
    wait_until(lambda: window.profile.sync_banner.isVisible())
    save(window, out, "customer-profile-duplicate.png")
    close(window)
    other.close()


def transfer_screens(window: MainWindow, tmp: Path, out: Path) -> None:
    """Shop → Import customers… on a spreadsheet's semicolon file, with its rejects;
    Shop → Export customers… once written."""
    source = tmp / "customers-from-excel.csv"
    source.write_bytes("\r\n".join([
        "First Name;Last Name;Phone;Email;City",
        "Zoë;Ørsted;07400 900001;zoe@example.dk;Århus",
        "José;Peña;07400 90000;jose@example.es;Málaga",
        "Siobhán;O’Brien;07400 900003;siobhan@example.ie;Cork",
        "Ana;López García;+34 612 345 678;;Leeds",
        '"Marta;Ruiz;07400 900005;marta@example.es;Sevilla',
        "Henrik;Larsen;07400 900006;henrik@example;Odense",
        "Ingrid;Berg;07400 900007;ingrid@example.no;Bergen",
    ]).encode("cp1252"))
    dialog = window.open_import()
    assert dialog is not None
    dialog.choose_file(source)
    wait_until(lambda: dialog.format is not None)
    dialog.start()
    wait_until(lambda: dialog.report is not None, 30000)
    dialog.job.join()
    save(dialog, out, "import-customers.png")
    dialog.close()
    export = window.open_export()
    assert export is not None
    export.file.setText(str(tmp / "customers.csv"))
    export.start()
    wait_until(lambda: export.count is not None, 30000)
    export.job.join()
    save(export, out, "export-customers.png")
    export.close()


def privacy_screens(shop: Shop, window: MainWindow, ana: UUID, out: Path) -> None:
    """The consent card, forgetting, the audit browser, alerts, a report, the lock."""
    shop.consent.record(ana, "marketing_email", False, "online", note="unsubscribe link")
    for _ in range(3):  # someone trying PINs: an access alert
        with contextlib.suppress(AuthenticationFailed):
            shop.staff.sign_in("tomas", "0000")
    window.open_customer(ana)
    panel = window.profile.privacy
    # The panel still holds the view from before the withdrawal: wait for the new one.
    wait_until(lambda: panel.view is not None and bool(panel.view.history)
               and panel.view.states["marketing_email"].granted is False)
    save(window, out, "customer-profile-privacy.png")
    forget = panel.open_forget()
    assert forget is not None
    wait_until(lambda: forget.targets.topLevelItemCount() > 0)
    forget.reason.setText("Written request of 20 Nov 2026")
    code = shop.customers.profile(ana).summary.code
    forget.confirm.setText(code)
    save(forget, out, "forget-customer.png")
    forget.close()
    browser = window.privacy_ui.open_audit()
    assert browser is not None
    browser.resize(SIZE[0], 640)  # the whole width: When, Action and Record unclipped
    wait_until(lambda: browser.page.total > 0)
    save(browser, out, "audit-browser.png")
    browser.close()
    alerts = window.privacy_ui.open_alerts()
    assert alerts is not None
    wait_until(lambda: alerts.list.topLevelItemCount() > 0)
    save(alerts, out, "access-alerts.png")
    alerts.close()
    reports = window.privacy_ui.open_reports("compliance")
    assert reports is not None
    wait_until(lambda: reports.report is not None)
    save(reports, out, "privacy-report.png")
    reports.close()
    window.privacy_ui.idle.lock()
    screen = window.privacy_ui.idle.screen
    assert screen is not None
    save(screen, out, "lock-screen.png")
    screen.who.setCurrentIndex(screen.who.findData("amira"))
    screen.secret.setText("4821")
    screen.submit()


def backups_screen(shop: Shop, window: MainWindow, out: Path) -> None:
    """Shop → Backups… with one manual backup taken (and verified) in the list."""
    shop.backups.run("manual")
    window.backup_ui.refresh()  # taken behind the window's back: the status bar re-reads
    dialog = window.backup_ui.open_dialog()
    wait_until(lambda: dialog.rows.topLevelItemCount() > 0, 30000)
    save(dialog, out, "backups.png")
    dialog.close()


def close(window: MainWindow) -> None:
    window.shutdown()
    window.close()


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

        clock = DemoClock()
        shop = Shop.open(Path(tmp) / "shop", clock=clock)
        seed(shop)
        # As `shopdesk demo` does: registered over the years before the first repair.
        shape_history(shop.store, shop.audit, datetime(2000, 1, 1, tzinfo=UTC), seed=11)
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
        shop.consent.record(ana.id, "id_scan", True, "signed_form")
        shop.documents.attach(ana.id, scan, "id_scan", "Passport scan")
        form_pdf = Path(tmp) / "repair-consent.pdf"
        form_pdf.write_bytes(b"%PDF-1.4 signed consent (demo)")
        shop.documents.attach(ana.id, form_pdf, "signed_form", "Repair consent form")

        repairs = seed_repairs(shop, ana.id)
        complaint = seed_support(shop, clock, ana.id, repairs)

        window = build_main_window(shop)
        window.resize(*SIZE)
        window.show()
        wait_until(lambda: window.is_ready)
        wait_until(lambda: window.search.today.ticket_ids() != [])  # today's work
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
        window.profile.tabs.setCurrentWidget(window.profile.devices)  # on screen already
        wait_until(lambda: window.profile.devices.tree.topLevelItemCount() == 2)
        save(window, out, "customer-profile-devices.png")
        window.profile.tabs.setCurrentWidget(window.profile.services)
        wait_until(lambda: window.profile.services.tree.topLevelItemCount() > 0)
        save(window, out, "customer-profile-services.png")
        window.profile.tabs.setCurrentWidget(window.profile.documents)
        save(window, out, "customer-profile-documents.png")
        window.profile.tabs.setCurrentWidget(window.profile.audit)
        save(window, out, "customer-profile-audit.png")

        window.profile.tabs.setCurrentWidget(window.profile.services)
        window.profile.services.record()
        record = window.profile.services
        wait_until(lambda: record.dialog is not None and record.dialog.isVisible())
        assert record.dialog is not None
        record.dialog.kind.setCurrentIndex(record.dialog.kind.findData("part_purchase"))
        record.dialog.description.setText("Tempered glass screen protector, fitted")
        record.dialog.set_part(0, "Tempered glass, iPhone 13", "TG-IP13", "1", "12.99")
        record.dialog.payment.setCurrentIndex(record.dialog.payment.findData("card"))
        record.dialog.device.setCurrentIndex(1)
        save(record.dialog, out, "record-service.png")
        record.dialog.reject()
        window.profile.tabs.setCurrentWidget(window.profile.devices)
        edit = window.profile.devices.edit_current()
        assert edit is not None
        wait_until(edit.isVisible)
        save(edit, out, "device-edit.png")
        edit.reject()

        window.new_ticket(ana.id)
        intake = window.intake
        wait_until(lambda: intake.entries[0].known.count() > 1)
        entry = intake.entries[0]
        QTest.keyClicks(entry.line("imei"), imei("35391110555555"))
        wait_until(lambda: entry.line("model").text() != "")
        entry.line("fault").setText("Battery swells, back lifting")
        entry.checklist.setFocus()
        for key in (Qt.Key.Key_Y, Qt.Key.Key_N, Qt.Key.Key_Y):  # powers on, screen, back
            QTest.keyClick(entry.checklist, key)
        entry.line("accessories").setText("Charger")
        entry.line("passcode").setText("1234")
        intake.estimate.setText("65.00")
        intake.deposit.setText("20")
        entry.line("fault").setFocus()
        save(window, out, "ticket-intake.png")
        register = intake.register_customer()
        wait_until(register.isVisible)
        register.form.fields["first_name"].input.setText("Walter")
        register.form.fields["last_name"].input.setText("Inglewood")
        register.form.fields["phone"].input.setText("07400 765432")
        save(register, out, "ticket-intake-register.png")
        register.reject()
        intake.cancelled.emit()

        window.show_board()
        wait_until(lambda: not window.board.loading and window.board.model.rowCount() > 0)
        save(window, out, "ticket-board.png")

        window.open_ticket(repairs["ready"])
        wait_until(lambda: window.ticket.detail is not None)
        save(window, out, "ticket-detail.png")
        pickup = window.ticket.open_pickup()
        assert pickup is not None
        wait_until(lambda: pickup.payment.currentData() is not None and pickup.isVisible())
        save(pickup, out, "ticket-pickup.png")
        pickup.reject()

        window.activateWindow()
        button = window.ticket.print_button
        menu = button.menu()
        assert menu is not None
        button.setFocus()
        QTest.keyClick(button, Qt.Key.Key_Space)
        wait_until(menu.isVisible)
        # Offscreen, Qt squeezes popups into a small virtual screen: put it under the button.
        menu.move(button.mapToGlobal(QPoint(button.width() - menu.width(), button.height())))
        save_with_popup(window, menu, out, "print-menu.png")
        menu.hide()

        window.open_ticket(repairs["first"])
        wait_until(lambda: window.ticket.detail is not None)
        button.make("receipt")
        wait_until(lambda: button.preview is not None and button.preview.isVisible())
        button.preview.resize(620, 760)
        save(button.preview, out, "print-preview.png")
        button.preview.close()

        window.open_device(repairs["iphone"])
        wait_until(lambda: window.device.history is not None)
        save(window, out, "device-history.png")

        window.open_support(complaint)
        wait_until(lambda: window.support.detail is not None and not window.support.loading)
        save(window, out, "support-ticket.png")

        window.show_support_list()
        wait_until(lambda: not window.support_list.loading)
        save(window, out, "support-list.png")

        admin = window.open_staff_admin()
        assert admin is not None
        wait_until(lambda: admin.table.rowCount() == 4)
        admin.table.selectRow(1)
        save(admin, out, "staff-admin.png")
        admin.close()
        transfer_screens(window, Path(tmp), out)

        settings = window.open_settings()
        assert settings is not None
        wait_until(lambda: settings.ready)
        save(settings, out, "shop-settings.png")  # the address still blank: the hint shows
        settings.reject()
        backups_screen(shop, window, out)
        privacy_screens(shop, window, ana.id, out)
        close(window)
        if ONLY is None or ONLY & SYNC_SHOTS:
            sync_screens(shop, ana.id, Path(tmp), out)
        shop.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Render the screens to PNG files.")
    parser.add_argument("target", nargs="?", default="docs/screenshots")
    parser.add_argument("--only", help="comma-separated file names to write (default: all)")
    arguments = parser.parse_args()
    if arguments.only:
        ONLY = {name.strip() for name in arguments.only.split(",") if name.strip()}
    sys.exit(main(arguments.target))
