"""The main window: search, profile, registration and repair pages in one stack.

Keyboard: the search box has focus at start; Ctrl+N registers, Ctrl+F goes to
the search page (on it, Ctrl+F opens and focuses the filter bar, and closes it
from inside), Ctrl+T starts a repair ticket (for the customer on screen, if
any), Ctrl+B shows the ticket board, Ctrl+Shift+S the open support tickets,
Ctrl+Shift+Y the sync panel, F9 syncs now, Esc
goes back to the previous page (the search page at the end). Enter on a scanned
IMEI, serial, repair or support ticket number in the search box opens that
device's history or that ticket. The window emits `ready` once
its first result list has arrived (a benchmark measures cold start to that
signal); then the search engine's word index is built on the read pool so the
first keystroke is answered at once, and the sync thread starts (when this
counter joined a store).
"""

from __future__ import annotations

import logging
from uuid import UUID

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QWidget

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission, allowed
from shopdesk.search.identify import Identified
from shopdesk.services.customers.customer_views import CustomerProfile
from shopdesk.services.repairs.repair_views import TicketDetail
from shopdesk.shop import Shop
from shopdesk.ui.backup.backup_controls import BackupControls
from shopdesk.ui.common import fmt
from shopdesk.ui.common.style import STYLE
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.customers.customer_form import CustomerForm
from shopdesk.ui.customers.profile_page import ProfilePage
from shopdesk.ui.customers.transfer_dialogs import ExportDialog, ImportDialog
from shopdesk.ui.loyalty.feedback_entry import FeedbackEntryDialog
from shopdesk.ui.loyalty.loyalty_rules import LoyaltyRulesDialog
from shopdesk.ui.loyalty.nightly_runner import NightlyRunner
from shopdesk.ui.messaging.messaging_controls import MessagingControls
from shopdesk.ui.printing.print_actions import PrintQueueDialog, ReportDialog
from shopdesk.ui.repairs.device_history import DeviceHistoryPage
from shopdesk.ui.repairs.ticket_board import TicketBoard
from shopdesk.ui.repairs.ticket_detail import TicketDetailPage
from shopdesk.ui.repairs.ticket_intake import TicketIntakePage
from shopdesk.ui.search.search_page import SearchPage
from shopdesk.ui.settings.shop_settings import ShopSettingsDialog
from shopdesk.ui.staff.privacy_controls import PrivacyControls
from shopdesk.ui.staff.staff_admin import StaffAdminDialog
from shopdesk.ui.support.support_dialogs import NewSupportDialog
from shopdesk.ui.support.support_list import SupportListPage
from shopdesk.ui.support.support_ticket import SupportTicketPage
from shopdesk.ui.sync.sync_controls import SyncControls

log = logging.getLogger(__name__)

MAX_HISTORY = 30


class MainWindow(QMainWindow):
    """The counter window. GUI thread only; owns the TaskManager it is given.

    Signals: `ready()` once, when the first result list is shown;
    `signed_out()` when staff choose "Sign out" (the app shows sign-in again).
    """

    ready = Signal()
    signed_out = Signal()

    def __init__(self, shop: Shop, ops: TaskManager | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop = shop
        self.ops = ops or TaskManager(parent=self)
        self.is_ready = False
        self.staff_dialog: StaffAdminDialog | None = None
        self.settings_dialog: ShopSettingsDialog | None = None
        self.support_dialog: NewSupportDialog | None = None
        self.import_dialog: ImportDialog | None = None
        self.export_dialog: ExportDialog | None = None
        region = shop.settings.get("phone.default_region")
        fmt.set_money_format(*shop.settings.money_format())
        self.setWindowTitle(f"{shop.settings.get('shop.name')} — shopdesk")
        self.setStyleSheet(STYLE)
        self.resize(1100, 700)
        self.search = SearchPage(shop, self.ops, region)
        self.profile = ProfilePage(shop, self.ops, region)
        self.form = CustomerForm(shop, self.ops, region)
        self.intake = TicketIntakePage(shop, self.ops)
        self.board = TicketBoard(shop, self.ops)
        self.ticket = TicketDetailPage(shop, self.ops)
        self.device = DeviceHistoryPage(shop, self.ops)
        self.support = SupportTicketPage(shop, self.ops)
        self.support_list = SupportListPage(shop, self.ops)
        self.stack = QStackedWidget()
        for page in (self.search, self.profile, self.form, self.intake, self.board,
                     self.ticket, self.device, self.support, self.support_list):
            self.stack.addWidget(page)
        self.setCentralWidget(self.stack)
        self._return_to: QWidget = self.search
        self._history: list[QWidget] = []

        self.search.open_customer.connect(self.open_customer)
        self.search.new_customer.connect(self.new_customer)
        self.search.results_shown.connect(self._first_results)
        self.form.saved.connect(self.open_customer)
        self.form.cancelled.connect(self._form_cancelled)
        self.form.open_customer.connect(self.open_customer)
        self.profile.edit_requested.connect(self.edit_customer)
        self.search.open_identified.connect(self.open_identified)
        self.search.open_ticket.connect(self.open_ticket)
        self.profile.open_device.connect(self.open_device)
        self.profile.open_ticket.connect(self.open_ticket)
        self.profile.new_ticket.connect(self.new_ticket)
        self.intake.created.connect(lambda ticket_id: self.open_ticket(ticket_id, False))
        self.intake.cancelled.connect(self.go_back)
        self.board.open_ticket.connect(self.open_ticket)
        self.board.new_ticket.connect(lambda: self.new_ticket(None))
        self.ticket.open_customer.connect(self.open_customer)
        self.ticket.open_device.connect(self.open_device)
        self.device.open_ticket.connect(self.open_ticket)
        self.device.open_customer.connect(self.open_customer)
        self.profile.open_support.connect(self.open_support)
        self.profile.new_support.connect(self._new_support_for_customer)
        self.ticket.new_support.connect(self._new_support_for_ticket)
        self.support.open_customer.connect(self.open_customer)
        self.support.open_ticket.connect(self.open_ticket)
        self.support_list.open_support.connect(self.open_support)
        self.ops.bus.ops_did_execute.connect(self._on_changes)
        self._build_menus()
        self._build_status()
        self.sync_ui = SyncControls(shop, self.ops, self, self.shop_menu, region,
                                   before=self.sign_out_action)
        self.backup_ui = BackupControls(shop, self.ops, self, self.shop_menu,
                                        before=self.sign_out_action)
        # Expiry, notices, anniversaries and tiers once a day, off the GUI thread.
        self.nightly = NightlyRunner(shop, self)
        self.nightly.finished.connect(lambda report: self.ops.bus.ops_did_execute.emit(
            Changes(loyalty=True)))
        self.nightly.schedule()
        self.sync_ui.bridge.conflicts_changed.connect(self.profile.reload)
        self.privacy_ui = PrivacyControls(shop, self.ops, self, self.shop_menu, self.who,
                                          before=self.sign_out_action)
        self.messaging_ui = MessagingControls(shop, self.ops, self, self.shop_menu,
                                              before=self.sign_out_action)
        self.search.results_shown.connect(
            lambda _n: self.privacy_ui.list_shown(self.search.model.ids))
        self.profile.open_customer.connect(self.open_customer)
        self.profile.review_duplicate.connect(
            lambda here, other, conflict: self.sync_ui.open_merge(
                here, other, conflict, self.open_customer))
        esc = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        esc.setContext(Qt.ShortcutContext.WindowShortcut)
        esc.activated.connect(self.go_back)
        self.search.run_search()
        self.refresh_count()
        self.search.box.setFocus()

    def open_report(self) -> None:
        self.report_dialog = ReportDialog(self.shop, self.ops, self)
        self.report_dialog.open()

    def open_import(self) -> ImportDialog | None:
        """Shop → Import customers… (managers and owners)."""
        if not self.import_action.isEnabled():
            return None
        self.import_dialog = ImportDialog(self.shop, self.ops, self)
        self.import_dialog.open()
        return self.import_dialog

    def open_export(self) -> ExportDialog | None:
        """Shop → Export customers… (managers and owners)."""
        if not self.export_action.isEnabled():
            return None
        self.export_dialog = ExportDialog(self.shop, self)
        self.export_dialog.open()
        return self.export_dialog

    def open_print_queue(self) -> None:
        self.queue_dialog = PrintQueueDialog(self.shop, self)
        self.queue_dialog.open()

    # -- chrome ------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        customers = bar.addMenu("&Customers")
        self.new_action = QAction("&New customer", self)
        self.new_action.setShortcut(QKeySequence("Ctrl+N"))
        self.new_action.triggered.connect(self.new_customer)
        self.find_action = QAction("&Find customer", self)
        self.find_action.setShortcut(QKeySequence("Ctrl+F"))
        self.find_action.triggered.connect(self.find_customer)
        customers.addAction(self.new_action)
        customers.addAction(self.find_action)
        repairs = bar.addMenu("&Repairs")
        self.ticket_action = QAction("New repair &ticket", self)
        self.ticket_action.setShortcut(QKeySequence("Ctrl+T"))
        self.ticket_action.triggered.connect(self._new_ticket_here)
        self.board_action = QAction("Ticket &board", self)
        self.board_action.setShortcut(QKeySequence("Ctrl+B"))
        self.board_action.triggered.connect(self.show_board)
        self.support_action = QAction("&Support tickets", self)
        self.support_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.support_action.triggered.connect(self.show_support_list)
        repairs.addAction(self.ticket_action)
        repairs.addAction(self.board_action)
        repairs.addSeparator()
        repairs.addAction(self.support_action)
        admin = self.shop_menu = bar.addMenu("&Shop")
        self.staff_action = QAction("&Staff…", self)
        self.staff_action.triggered.connect(self.open_staff_admin)
        self.sign_out_action = QAction("Sign &out", self)
        self.sign_out_action.triggered.connect(self.sign_out)
        self.report_action = QAction("Summary &report…", self)
        self.report_action.triggered.connect(self.open_report)
        self.queue_action = QAction("Print &queue…", self)
        self.queue_action.triggered.connect(self.open_print_queue)
        self.import_action = QAction("&Import customers…", self)
        self.import_action.triggered.connect(self.open_import)
        self.export_action = QAction("E&xport customers…", self)
        self.export_action.triggered.connect(self.open_export)
        self.settings_action = QAction("S&ettings…", self)
        self.settings_action.triggered.connect(self.open_settings)
        self.loyalty_action = QAction("&Loyalty rules…", self)  # issue 17
        self.loyalty_action.triggered.connect(self.open_loyalty_rules)
        admin.addAction(self.settings_action)
        admin.addAction(self.loyalty_action)
        admin.addAction(self.staff_action)
        admin.addAction(self.report_action)
        admin.addAction(self.queue_action)
        admin.addSeparator()
        admin.addAction(self.import_action)
        admin.addAction(self.export_action)
        admin.addSeparator()
        admin.addAction(self.sign_out_action)
        for action in (self.new_action, self.find_action, self.ticket_action,
                       self.board_action, self.support_action, self.staff_action,
                       self.sign_out_action):
            self.addAction(action)
        self.update_permissions()

    def _build_status(self) -> None:
        self.who = QLabel()
        self.count_label = QLabel()
        self.statusBar().addWidget(self.who)
        self.statusBar().addPermanentWidget(self.count_label)
        self.statusBar().setSizeGripEnabled(False)
        actor = self.shop.actor
        self.who.setText(f"  Signed in: {actor.name} ({actor.role.label})" if actor
                         else "  Not signed in")

    def update_permissions(self) -> None:
        actor = self.shop.actor
        self.staff_action.setEnabled(actor is not None
                                     and allowed(actor.role, Permission.MANAGE_STAFF))
        self.settings_action.setEnabled(actor is not None
                                        and allowed(actor.role, Permission.CHANGE_SETTINGS))
        self.loyalty_action.setEnabled(self.settings_action.isEnabled())
        self.new_action.setEnabled(actor is not None
                                   and allowed(actor.role, Permission.REGISTER_CUSTOMERS))
        self.ticket_action.setEnabled(actor is not None
                                      and allowed(actor.role, Permission.MANAGE_TICKETS))
        transfers = actor is not None and allowed(actor.role, Permission.IMPORT_EXPORT)
        self.import_action.setEnabled(transfers)
        self.export_action.setEnabled(transfers)

    def refresh_count(self) -> None:
        customers = self.shop.customers
        self.ops.query(self, customers.count,
                       lambda n: self.count_label.setText(
                           f"{n:,} customer{'' if n == 1 else 's'}  "))

    def _on_changes(self, changes: Changes) -> None:
        if changes.customers:
            self.refresh_count()
        if changes.settings:  # the currency, locale or the shop's name (the title) changed
            settings = self.shop.settings
            self.ops.query(self, settings.money_format,
                           lambda found: fmt.set_money_format(*found))
            self.ops.query(self, lambda: settings.get("shop.name"),
                           lambda name: self.setWindowTitle(f"{name} — shopdesk"))

    def _first_results(self, _count: int) -> None:
        if not self.is_ready:
            self.is_ready = True
            self.ready.emit()
            self.warm_search()
            self.sync_ui.start()
            self.backup_ui.start()
            self.privacy_ui.start()
            self.messaging_ui.start()

    def warm_search(self) -> None:
        """Build the word index on the read pool; the GUI thread never waits for it."""
        engine = self.shop.search_engine
        self.ops.query(None, engine.warm, None,
                       lambda error: log.warning("search index warm-up failed: %s", error))

    # -- navigation --------------------------------------------------------------
    def find_customer(self) -> None:
        """Ctrl+F: to the search page, or (already there) toggle/focus the filters."""
        if self.stack.currentWidget() is self.search:
            self.search.toggle_filters()
        else:
            self.show_search()

    def show_search(self) -> None:
        self._history.clear()
        self.stack.setCurrentWidget(self.search)
        self.search.focus_box()

    def _go_to(self, page: QWidget, remember: bool = True) -> None:
        """Show `page`; Esc comes back to the page shown before (unless a form)."""
        current = self.stack.currentWidget()
        if remember and current is not None and current is not page \
                and current not in (self.form, self.intake):
            self._history.append(current)
            del self._history[:-MAX_HISTORY]
        self.stack.setCurrentWidget(page)

    def open_customer(self, customer_id: UUID) -> None:
        self._go_to(self.profile)
        self.profile.show_customer(customer_id)
        self.profile.setFocus()

    def open_ticket(self, ticket_id: UUID, remember: bool = True) -> None:
        self.privacy_ui.viewed("repair_ticket", ticket_id)
        self._go_to(self.ticket, remember)
        self.ticket.show_ticket(ticket_id)
        self.ticket.setFocus()

    def open_device(self, device_id: UUID) -> None:
        self.privacy_ui.viewed("device", device_id)
        self._go_to(self.device)
        self.device.show_device(device_id)
        self.device.setFocus()

    def open_support(self, support_id: UUID, remember: bool = True) -> None:
        self.privacy_ui.viewed("support_ticket", support_id)
        self._go_to(self.support, remember)
        self.support.show_support(support_id)
        self.support.setFocus()

    def show_support_list(self) -> None:
        self._go_to(self.support_list)
        self.support_list.start()

    def new_support(self, customer_id: UUID, customer_label: str = "",
                    repair_ticket_id: UUID | None = None, repair_label: str = "",
                    device_id: UUID | None = None) -> NewSupportDialog:
        """The new support ticket dialog; on success the new ticket's page opens."""
        dialog = NewSupportDialog(self.shop, self.ops, customer_id, customer_label,
                                  repair_ticket_id, repair_label, device_id, self)
        dialog.created.connect(self.open_support)
        self.support_dialog = dialog
        dialog.open()
        return dialog

    def _new_support_for_customer(self, customer_id: UUID) -> None:
        p = self.profile.profile
        name = f"{p.summary.name} · {p.summary.code}" \
            if p is not None and p.summary.id == customer_id else ""
        self.new_support(customer_id, name)

    def _new_support_for_ticket(self, d: TicketDetail) -> None:
        s = d.summary
        device = d.devices[0].device.id if len(d.devices) == 1 else None
        self.new_support(s.customer_id, f"{s.customer_name} · {s.customer_code}", s.id,
                         s.number, device)

    def open_identified(self, found: Identified) -> None:
        """A scanned or typed IMEI, serial or ticket number from the search box."""
        if found.kind == "device":
            self.open_device(found.id)
        elif found.kind == "repair_ticket":
            self.open_ticket(found.id)
        elif found.kind == "support_ticket":
            self.open_support(found.id)
        elif found.kind == "feedback_form":
            self.open_feedback_entry(found.label)
        else:
            self.open_customer(found.customer_id)

    def show_board(self) -> None:
        self._go_to(self.board)
        self.board.start()

    def new_ticket(self, customer_id: UUID | None = None) -> None:
        if not self.ticket_action.isEnabled():
            return
        self._go_to(self.intake)
        self.intake.start(customer_id)

    def _new_ticket_here(self) -> None:
        """Ctrl+T: for the customer whose profile is open, else choose one."""
        on_profile = self.stack.currentWidget() is self.profile
        self.new_ticket(self.profile.customer_id if on_profile else None)

    def new_customer(self) -> None:
        if not self.new_action.isEnabled():
            return
        self._return_to = self.search
        self.form.start_new()
        self.stack.setCurrentWidget(self.form)
        self.form.fields["first_name"].input.setFocus()

    def edit_customer(self, profile: CustomerProfile) -> None:
        self._return_to = self.profile
        self.form.start_edit(profile)
        self.stack.setCurrentWidget(self.form)
        self.form.fields["first_name"].input.setFocus()

    def _form_cancelled(self) -> None:
        if self._return_to is self.profile:
            self.stack.setCurrentWidget(self.profile)
            self.profile.setFocus()
        else:
            self.show_search()

    def go_back(self) -> None:
        """Esc: leave a form, or return to the page shown before (at last, search)."""
        current = self.stack.currentWidget()
        if current is self.form:
            self.form.cancel()
            return
        while self._history:
            page = self._history.pop()
            if page is not current:
                self.stack.setCurrentWidget(page)
                if page is self.search:
                    self.search.focus_box()
                else:
                    page.setFocus()
                return
        self.show_search()

    # -- staff and session -------------------------------------------------------
    def open_staff_admin(self) -> StaffAdminDialog | None:
        if not self.staff_action.isEnabled():
            return None
        if self.staff_dialog is None:
            self.staff_dialog = StaffAdminDialog(self.shop, self.ops, self)
        else:
            self.staff_dialog.refresh()
        self.staff_dialog.show()
        self.staff_dialog.raise_()
        return self.staff_dialog

    def open_settings(self) -> ShopSettingsDialog | None:
        """Shop → Settings… (managers and owners)."""
        if not self.settings_action.isEnabled():
            return None
        self.settings_dialog = ShopSettingsDialog(self.shop, self.ops, self)
        self.settings_dialog.open()
        return self.settings_dialog

    def open_loyalty_rules(self) -> LoyaltyRulesDialog | None:
        """Shop → Loyalty rules… (who may change settings)."""
        if not self.settings_action.isEnabled():
            return None
        self.loyalty_dialog = LoyaltyRulesDialog(self.shop, self.ops, self)
        self.loyalty_dialog.open()
        return self.loyalty_dialog

    def open_feedback_entry(self, ticket_number: str) -> FeedbackEntryDialog:
        """A scanned feedback form: type its answers in."""
        self.feedback_dialog = FeedbackEntryDialog(self.shop, self.ops, ticket_number, self)
        self.feedback_dialog.open()
        return self.feedback_dialog

    def sign_out(self) -> None:
        self.shop.sign_out()
        self.signed_out.emit()
        self.close()

    def shutdown(self) -> None:
        """Stop the sync thread and the worker threads (idempotent)."""
        self.nightly.stop()
        self.sync_ui.stop()
        self.backup_ui.stop()
        self.privacy_ui.stop()
        self.messaging_ui.stop()
        self.ops.shutdown(wait=True)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
