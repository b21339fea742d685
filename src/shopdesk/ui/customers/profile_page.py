"""One customer's profile: header, details, verification, preferences, loyalty, tabs.

Opening a profile goes through `customers.open_profile` (a write: it records who
looked); later refreshes after a change use `customers.profile` (no audit).
Opening a customer who was merged into another opens the one kept instead; a
banner on top names possible duplicates (Review) or, for a customer merged
while on screen, the customer it was merged into (Open).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission, allowed
from shopdesk.services.customers.customer_views import CustomerProfile
from shopdesk.services.start.worklist import CustomerWork
from shopdesk.shop import Shop
from shopdesk.sync.merge_views import redirect_of
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import Badge, Card, fill_with_scrolled
from shopdesk.ui.customers.consent_panel import ConsentPanel
from shopdesk.ui.customers.profile_dialogs import IdCheckDialog, ReasonDialog
from shopdesk.ui.customers.profile_parts import (
    DetailRows,
    OpenTickets,
    address_text,
    preferences_text,
)
from shopdesk.ui.customers.profile_tabs import AuditTab, DocumentsTab
from shopdesk.ui.customers.repair_tabs import DevicesTab, ServicesTab, SupportTab, TicketsTab
from shopdesk.ui.loyalty.loyalty_panel import LoyaltyPanel
from shopdesk.ui.messaging.contact_history import ContactHistoryTab
from shopdesk.ui.sync.merge_banner import SyncBanner

# Contact on the left, the rest on the right; a row without a value is hidden.
CONTACT = ("phone", "whatsapp", "secondary_phone", "email", "address")
PERSONAL = ("company", "date_of_birth", "gender", "occupation", "notes")
DETAIL_LABELS = {**fmt.FIELD_LABELS, "address": "Address", "notes": "Notes"}
_VERIFY = (("phone", "Phone"), ("email", "E-mail"), ("address", "Address"))


def _stored_text(value: object) -> str | None:
    """A stored text column's value, None when empty (profile values are untyped)."""
    return value if isinstance(value, str) and value else None


def _stored_day(value: object) -> date | str | None:
    return value if isinstance(value, date | str) else None


def _row_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color:#6b7280;")
    return label


class ProfilePage(QWidget):
    """Shows one customer. GUI thread only; loads and writes via the TaskManager.

    Signals: `loaded(CustomerProfile)` whenever the page shows fresh data,
    `edit_requested(CustomerProfile)` for the Edit button; from the repair tabs
    `open_device(UUID)`, `open_ticket(UUID)` and `new_ticket(customer UUID)`; from the
    Support tab `open_support(UUID)` and `new_support(customer UUID)`; from the sync
    banner `open_customer(UUID)` and `review_duplicate(UUID, other UUID, conflict id)`.
    """

    loaded = Signal(object)
    edit_requested = Signal(object)
    open_device = Signal(object)  # device id
    open_ticket = Signal(object)  # repair ticket id
    new_ticket = Signal(object)  # customer id
    open_support = Signal(object)  # support ticket id
    new_support = Signal(object)  # customer id
    open_customer = Signal(object)  # customer id
    review_duplicate = Signal(object, object, str)

    def __init__(self, shop: Shop, ops: TaskManager, region: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops, self.region = shop, ops, region
        self.customer_id: UUID | None = None
        self.profile: CustomerProfile | None = None

        self.name = QLabel()
        self.name.setStyleSheet("font-size:22px; font-weight:700; color:#111827;")
        self.code = Badge("", "info")
        self.kind = Badge("", "off")
        self.active = Badge("", "ok")
        self.since = QLabel()
        self.since.setStyleSheet("color:#6b7280;")
        self.since.setWordWrap(True)
        self.edit_button = QPushButton("Edit")
        self.edit_button.setProperty("primary", True)
        self.edit_button.clicked.connect(lambda: self.profile and self.edit_requested.emit(
            self.profile))
        self.active_button = QPushButton("Deactivate…")
        self.active_button.clicked.connect(self.toggle_active)
        self.open_tickets = OpenTickets()
        self.open_tickets.open_ticket.connect(self.open_ticket)
        header = Card()
        header.body.setSpacing(6)
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.name)
        for badge in (self.code, self.kind, self.active):
            top.addWidget(badge)
        top.addStretch(1)
        top.addWidget(self.active_button)
        top.addWidget(self.edit_button)
        header.body.addLayout(top)
        header.body.addWidget(self.since)
        header.body.addWidget(self.open_tickets)

        # Details in two columns; a row shows only when it has something to say.
        details = Card()
        self.contact_rows = DetailRows(CONTACT, DETAIL_LABELS, frozenset({"phone", "email"}))
        self.personal_rows = DetailRows(PERSONAL, DETAIL_LABELS)
        self.values: dict[str, QLabel] = {**self.contact_rows.values,
                                          **self.personal_rows.values}
        columns = QHBoxLayout()
        columns.setSpacing(24)
        columns.addLayout(self.contact_rows, 3)
        columns.addLayout(self.personal_rows, 2)
        details.body.addLayout(columns)
        details.body.addStretch(1)

        # Verification: one line per check, small buttons; preferences: one sentence.
        side = Card()
        side.body.setSpacing(4)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(3)
        self.badges: dict[str, Badge] = {}
        self.verify_buttons: dict[str, QPushButton] = {}
        for row, (item, title) in enumerate((*_VERIFY, ("id", "ID document"))):
            grid.addWidget(_row_label(title), row, 0)
            self.badges[item] = Badge()
            grid.addWidget(self.badges[item], row, 1, Qt.AlignmentFlag.AlignLeft)
            button = QPushButton("Record ID check…" if item == "id" else "Mark verified")
            button.setStyleSheet("QPushButton { padding:2px 10px; }")
            button.clicked.connect(lambda _c=False, it=item: self._verify_clicked(it))
            self.verify_buttons[item] = button
            grid.addWidget(button, row, 2)
        grid.setColumnStretch(1, 1)
        side.body.addLayout(grid)
        self.values["preferences"] = QLabel()
        self.values["preferences"].setWordWrap(True)
        self.values["preferences"].setStyleSheet("color:#4a5162;")
        side.body.addWidget(self.values["preferences"])
        side.body.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.setMinimumHeight(300)
        self.documents = DocumentsTab(shop, ops)
        self.devices = DevicesTab(shop, ops)
        self.tickets = TicketsTab(shop, ops)
        self.services = ServicesTab(shop, ops)
        self.support = SupportTab(shop, ops)
        self.audit = AuditTab()
        self.tabs.addTab(self.devices, "Devices")
        self.tabs.addTab(self.tickets, "Tickets")
        self.tabs.addTab(self.services, "Service history")
        self.tabs.addTab(self.support, "Support")
        self.loyalty = LoyaltyPanel(shop, ops)  # issue 17 (ui/loyalty/loyalty_panel.py)
        self.tabs.addTab(self.loyalty, "Loyalty")
        self.tabs.addTab(self.documents, "Documents")
        self.tabs.addTab(self.audit, "Audit")
        self.contacts = ContactHistoryTab(shop, ops)  # messages, calls, visits (issue 16)
        self.tabs.insertTab(self.tabs.indexOf(self.support) + 1, self.contacts, "Contacts")
        self.devices.activated.connect(self.open_device)
        self.devices.new_ticket.connect(
            lambda: self.customer_id is not None and self.new_ticket.emit(self.customer_id))
        self.tickets.activated.connect(self.open_ticket)
        self.support.activated.connect(self.open_support)
        self.support.new_support.connect(
            lambda: self.customer_id is not None and self.new_support.emit(self.customer_id))

        right = QVBoxLayout()
        right.setSpacing(12)
        right.addWidget(side)
        self.privacy = ConsentPanel(shop, ops)  # consents, export, forget (consent_panel.py)
        right.addWidget(self.privacy)
        right.addStretch(1)
        middle = QHBoxLayout()
        middle.setSpacing(12)
        middle.addWidget(details, 3)
        middle.addLayout(right, 2)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(16, 10, 16, 10)
        column.setSpacing(10)
        self.sync_banner = SyncBanner(shop, ops)
        self.sync_banner.open_customer.connect(self.open_customer)
        self.sync_banner.review.connect(self.review_duplicate)
        column.addWidget(self.sync_banner)
        column.addWidget(header)
        column.addLayout(middle)
        column.addWidget(self.tabs, 1)
        fill_with_scrolled(self, content)
        ops.bus.ops_did_execute.connect(self._on_changes)

    # -- loading -----------------------------------------------------------------
    def show_customer(self, customer_id: UUID) -> None:
        """Open `customer_id` (or, if it was merged away, the customer kept),
        recording a 'view' in the audit trail."""
        self.customer_id = customer_id
        self._load_tabs(customer_id)
        customers, store = self.shop.customers, self.shop.store

        def job() -> tuple[UUID, CustomerProfile]:
            shown = redirect_of(store, customer_id) or customer_id
            return shown, customers.open_profile(shown)

        self.ops.write(self, job, lambda found: self._opened(customer_id, *found))

    def _load_tabs(self, customer_id: UUID) -> None:
        for tab in (self.devices, self.tickets, self.services, self.support, self.contacts,
                    self.loyalty):
            tab.load(customer_id)
        self._load_work(customer_id)

    def _load_work(self, customer_id: UUID) -> None:
        """The open tickets named in the header."""
        work = self.shop.work

        def shown(found: CustomerWork | None) -> None:
            if customer_id == self.customer_id:
                self.open_tickets.show_work(found)

        self.ops.query(self, lambda: work.open_tickets([customer_id]).get(customer_id), shown)

    def _opened(self, asked: UUID, shown: UUID, profile: CustomerProfile) -> None:
        if asked != self.customer_id:
            return  # another customer was opened meanwhile
        if shown != asked:
            self.customer_id = shown
            self._load_tabs(shown)
        self._render(shown, profile)

    def reload(self) -> None:
        if self.customer_id is None:
            return
        customer_id, customers = self.customer_id, self.shop.customers
        self.ops.query(self, lambda: customers.profile(customer_id),
                       lambda profile: self._render(customer_id, profile))

    def _on_changes(self, changes: Changes) -> None:
        if self.customer_id is not None and self.customer_id in changes.customers:
            self.reload()
        if self.customer_id is not None and changes.tickets:
            self._load_work(self.customer_id)

    def _allowed(self, permission: Permission) -> bool:
        actor = self.shop.actor
        return actor is not None and allowed(actor.role, permission)

    def _render(self, customer_id: UUID, p: CustomerProfile) -> None:
        if customer_id != self.customer_id:
            return  # another customer was opened meanwhile
        self.profile = p
        s, v = p.summary, p.values
        self.name.setText(s.name)
        self.code.setText(s.code)
        self.kind.setText(fmt.label_of("customer_type", s.customer_type))
        self.active.show_state("Active" if s.is_active else "Inactive",
                               "ok" if s.is_active else "warn")
        registered = (f"Customer since {fmt.local_time(s.created_at, with_time=False)}"
                      f" (registered by {p.registered_by or fmt.DASH}, "
                      f"via {fmt.label_of('channel', v.get('channel'))})")
        self.since.setText(f"{registered}  ·  last visit "
                           f"{fmt.local_time(s.last_visit_at, False)}  ·  updated "
                           f"{fmt.local_time(p.updated_at, False)}")
        self.contact_rows.show_values({
            "phone": fmt.phone(s.phone, self.region),
            "whatsapp": fmt.phone(_stored_text(v.get("whatsapp")), self.region)
            if v.get("whatsapp") else "",
            "secondary_phone": fmt.phone(_stored_text(v.get("secondary_phone")), self.region)
            if v.get("secondary_phone") else "",
            "email": _stored_text(v.get("email")) or "",
            "address": address_text(v, self.region),
        })
        self.personal_rows.show_values({
            "company": _stored_text(v.get("company")) or "",
            "date_of_birth": fmt.day(_stored_day(v.get("date_of_birth")))
            if v.get("date_of_birth") else "",
            "gender": fmt.label_of("gender", v.get("gender")) if v.get("gender") else "",
            "occupation": _stored_text(v.get("occupation")) or "",
            "notes": _stored_text(v.get("notes")) or "",
        })
        self.values["preferences"].setText(preferences_text(
            v, p.marketing_consent_at, p.loyalty_points, p.loyalty_tier))
        self._render_verification(p)
        can_deactivate = self._allowed(Permission.DEACTIVATE_CUSTOMERS)
        self.active_button.setVisible(can_deactivate)
        self.active_button.setText("Deactivate…" if s.is_active else "Reactivate")
        self.active_button.setProperty("danger", s.is_active)
        self.active_button.style().polish(self.active_button)
        self.edit_button.setEnabled(self._allowed(Permission.EDIT_CUSTOMERS))
        self.documents.set_documents(customer_id, p.documents)
        self.documents.attach_button.setEnabled(self._allowed(Permission.ATTACH_DOCUMENTS))
        self._load_audit(customer_id)
        self.sync_banner.load(customer_id)
        self.privacy.load(customer_id, s.code)
        self.loaded.emit(p)

    def _render_verification(self, p: CustomerProfile) -> None:
        ver = p.verification
        done = {"phone": (ver.phone_verified_at, ver.phone_verified_by),
                "email": (ver.email_verified_at, ver.email_verified_by),
                "address": (ver.address_validated_at, ver.address_validated_by)}
        can_verify = self._allowed(Permission.VERIFY_CUSTOMERS)
        for item, (at, by) in done.items():
            word = "Validated" if item == "address" else "Verified"
            text = f"{word} · {by or fmt.DASH} · {fmt.local_time(at, False)}" if at else \
                f"Not {word.lower()}"
            self.badges[item].show_state(text, "ok" if at else "off")
            self.badges[item].setToolTip(f"{word} by {by} at {fmt.local_time(at)}" if at else "")
            button = self.verify_buttons[item]
            button.setText("Clear" if at else "Mark verified")
            button.setEnabled(can_verify and (item != "email" or bool(p.values.get("email"))))
        if ver.id_checked_at:
            kind = fmt.label_of("id_document_type", ver.id_document_type)
            self.badges["id"].show_state(
                f"{kind} …{ver.id_document_last_digits} · {ver.id_checked_by or fmt.DASH} · "
                f"{fmt.local_time(ver.id_checked_at, False)}", "ok")
        else:
            self.badges["id"].show_state("Not checked", "off")
        self.verify_buttons["id"].setEnabled(can_verify)

    def _load_audit(self, customer_id: UUID) -> None:
        visible = self._allowed(Permission.READ_AUDIT)
        self.tabs.setTabVisible(self.tabs.indexOf(self.audit), visible)
        if visible:
            audit = self.shop.audit
            self.ops.query(self, lambda: audit.entries(entity="customer",
                                                       entity_id=customer_id),
                           self.audit.set_entries)

    # -- actions -----------------------------------------------------------------
    def _verify_clicked(self, item: str) -> None:
        if self.profile is None:
            return
        customer_id, customers = self.profile.summary.id, self.shop.customers
        if item == "id":
            dialog = IdCheckDialog(self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            kind, digits = dialog.values()
            self.ops.write(self, lambda: customers.record_id_check(customer_id, kind, digits))
            return
        ver = self.profile.verification
        current = {"phone": ver.phone_verified_at, "email": ver.email_verified_at,
                   "address": ver.address_validated_at}[item]
        self.set_verified(item, current is None)

    def set_verified(self, item: str, verified: bool) -> None:
        if self.profile is None:
            return
        customer_id, customers = self.profile.summary.id, self.shop.customers
        self.ops.write(self, lambda: customers.set_verified(customer_id, item, verified))

    def toggle_active(self) -> None:
        if self.profile is None:
            return
        if self.profile.summary.is_active:
            dialog = ReasonDialog("Deactivate customer",
                                  f"Deactivate {self.profile.summary.name}? They stay on file "
                                  "and can be reactivated later.", "Deactivate", self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            self.set_active(False, dialog.text())
        else:
            self.set_active(True)

    def set_active(self, active: bool, reason: str = "") -> None:
        if self.profile is None:
            return
        customer_id, customers = self.profile.summary.id, self.shop.customers
        if active:
            self.ops.write(self, lambda: customers.reactivate(customer_id))
        else:
            self.ops.write(self, lambda: customers.deactivate(customer_id, reason))
