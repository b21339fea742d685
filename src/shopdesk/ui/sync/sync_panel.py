"""The sync panel: where this counter stands, open conflicts, rejected changes, and pulled
rows it did not store (quarantined).

Opened from the status bar (click, or Ctrl+Shift+Y). "Sync now" (F9, or
Ctrl+Shift+Y again) runs a round at once. A duplicate opens the merge screen
(Enter or double-click); a field conflict can be kept as the server resolved
it ("Keep") or dismissed; a rejected change can be dismissed once read. The
panel reloads (read pool) when shown, after every sync round and after its own
writes, which go through the TaskManager's writer like every other screen's.

Thread rule: GUI thread only (`load_panel` is the read-pool half).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission, allowed
from shopdesk.shop import Shop
from shopdesk.sync.merge_views import customer_labels
from shopdesk.sync.runner import RunnerReport
from shopdesk.sync.views import Conflict, QuarantinedRow, RejectedChange, SyncStatus
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import error_text
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ID_ROLE, Card, ErrorLabel, Heading, muted, select_first, tree
from shopdesk.ui.sync.quarantine import QuarantineCard
from shopdesk.ui.sync.sync_bridge import SyncBridge
from shopdesk.ui.sync.sync_status import describe, sync_time

KINDS = {"duplicate_phone": "Same phone", "duplicate_email": "Same e-mail",
         "duplicate_imei": "Same IMEI", "field": "Edited on two counters",
         "update_on_deleted": "Change to a deleted row"}
TABLES = {"customers": "Customer", "customer_preferences": "Customer preferences",
          "customer_loyalty": "Loyalty", "customer_documents": "Document",
          "devices": "Device", "device_owners": "Device owner", "repair_tickets": "Repair ticket",
          "ticket_devices": "Ticket device", "ticket_status_changes": "Ticket status",
          "customer_services": "Service record", "service_parts": "Service part",
          "support_tickets": "Support ticket", "support_events": "Support note"}
OPS = {"insert": "New", "update": "Edit of", "delete": "Removal of"}
CUSTOMER_KEYED = ("customers", "customer_preferences", "customer_loyalty")


@dataclass(frozen=True)
class PanelData:
    """What one reload of the panel shows (plain data, read on the read pool)."""

    status: SyncStatus
    conflicts: list[Conflict]
    rejected: list[RejectedChange]
    labels: dict[str, str]  # customer id (hex) -> 'CODE Name'
    quarantined: list[QuarantinedRow] = field(default_factory=list)


def load_panel(shop: Shop) -> PanelData:
    """Everything the panel shows, read in one go (read pool; any thread)."""
    sync = shop.sync
    conflicts, rejected, held = sync.conflicts(), sync.rejected(), sync.quarantined()
    ids = {i for c in conflicts if c.table == "customers" for i in (c.row_a, c.row_b) if i}
    ids |= {r.row_id for r in rejected if r.table in CUSTOMER_KEYED and r.row_id}
    ids |= {q.row_id for q in held if q.table in CUSTOMER_KEYED}
    return PanelData(sync.status(), conflicts, rejected, customer_labels(shop.store, ids), held)


def conflict_text(c: Conflict, labels: dict[str, str], region: str) -> str:
    """One line saying what happened, with customers named by code and name."""
    def name(row: str | None) -> str:
        if row is None:
            return fmt.DASH
        return labels.get(row) or f"{TABLES.get(c.table, c.table).lower()} {row[:8]}"

    if c.kind.startswith("duplicate_"):
        value = str(c.details.get("value") or "")
        if c.kind == "duplicate_phone" and value:
            value = fmt.phone(value, region)
        return f"{value} is on {name(c.row_a)} and {name(c.row_b)}"
    if c.kind == "field":
        field = fmt.FIELD_LABELS.get(c.column or "", c.column or "")
        return (f"{field} of {name(c.row_a)}: kept “{fmt.text(c.details.get('kept'))}”, "
                f"overwrote “{fmt.text(c.details.get('overwritten'))}”")
    if c.kind == "update_on_deleted":
        return f"{name(c.row_a)} was changed here but deleted on another counter"
    return c.summary


def reason_text(reason: str) -> str:
    """'customers.first_name: is required' -> 'First name is required'."""
    where, sep, rule = reason.partition(": ")
    if sep and "." in where and " " not in where:
        return fmt.field_message(where.rpartition(".")[2], rule)
    return reason[:1].upper() + reason[1:]


def change_text(r: RejectedChange, labels: dict[str, str]) -> str:
    what = labels.get(r.row_id or "") or (
        str(r.values.get("number") or r.values.get("code") or "") or (r.row_id or "")[:8])
    return f"{OPS.get(r.op or '', r.op or 'Change')} {what}".strip()


class SyncPanel(QDialog):
    """Status details, Sync now, conflicts and rejected changes. GUI thread only.

    Signal `loaded()` after each reload was shown. `open_merge(left, right,
    conflict id)` is called for a duplicate (the window opens the merge screen).
    """

    loaded = Signal()

    def __init__(self, shop: Shop, ops: TaskManager, bridge: SyncBridge,
                 open_merge: Callable[[UUID, UUID, str], object], region: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops, self.bridge, self.region = shop, ops, bridge, region
        self.open_merge = open_merge
        self.data: PanelData | None = None
        self._seq = 0
        self.setWindowTitle("Sync — shopdesk")
        self.resize(980, 700)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(10)
        top = QHBoxLayout()
        top.addWidget(Heading("Sync", 18))
        self.state = QLabel()
        self.state.setStyleSheet("font-weight:600;")
        top.addSpacing(12)
        top.addWidget(self.state, 1)
        self.sync_button = QPushButton("Sync now  (F9)")
        self.sync_button.setProperty("primary", True)
        self.sync_button.setAutoDefault(False)
        self.sync_button.clicked.connect(self.sync_now)
        self.key_button = QPushButton("API key…")
        self.key_button.setAutoDefault(False)
        self.key_button.setToolTip("Replace the Supabase project's API key (after a rotation)")
        self.key_button.clicked.connect(self.replace_api_key)
        top.addWidget(self.key_button)
        top.addWidget(self.sync_button)
        layout.addLayout(top)

        details = Card()
        form = QFormLayout()
        form.setHorizontalSpacing(18)
        form.setVerticalSpacing(5)
        self.values: dict[str, QLabel] = {}
        for key, caption in (("store", "Store"), ("counter", "This counter"),
                             ("server", "Central database"), ("pending", "Changes waiting"),
                             ("last", "Last successful sync"), ("error", "Last error")):
            self.values[key] = QLabel()
            self.values[key].setWordWrap(True)
            form.addRow(caption, self.values[key])
        details.body.addLayout(form)
        layout.addWidget(details)

        conflicts = Card("Conflicts")
        self.conflicts = tree(["Kind", "What happened", "When"], [170, 620])
        self.conflicts.itemActivated.connect(lambda _i, _c: self.review())
        self.conflicts.currentItemChanged.connect(lambda *_a: self._enable())
        conflicts.body.addWidget(self.conflicts)
        row = QHBoxLayout()
        self.review_button = QPushButton("Review duplicate…")
        self.keep_button = QPushButton("Keep")
        self.keep_button.setToolTip("Keep the value the server kept and close the conflict")
        self.dismiss_conflict_button = QPushButton("Dismiss")
        for button, slot in ((self.review_button, self.review),
                             (self.keep_button, lambda: self.resolve("accepted")),
                             (self.dismiss_conflict_button, lambda: self.resolve("dismissed"))):
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            row.addWidget(button)
        row.addStretch(1)
        conflicts.body.addLayout(row)
        layout.addWidget(conflicts, 3)

        rejected = Card("Rejected changes")
        self.rejected_list = tree(["Table", "Change", "Reason"], [150, 300])
        self.rejected_list.currentItemChanged.connect(lambda *_a: self._enable())
        rejected.body.addWidget(self.rejected_list)
        row = QHBoxLayout()
        self.dismiss_rejected_button = QPushButton("Dismiss")
        self.dismiss_rejected_button.setAutoDefault(False)
        self.dismiss_rejected_button.clicked.connect(self.dismiss_rejected)
        row.addWidget(self.dismiss_rejected_button)
        self.rights = muted("")
        row.addWidget(self.rights, 1)
        rejected.body.addLayout(row)
        layout.addWidget(rejected, 3)
        self.quarantine = QuarantineCard(TABLES, self.dismiss_quarantined)
        self.quarantine.setVisible(False)
        layout.addWidget(self.quarantine, 2)
        self.error = ErrorLabel()
        layout.addWidget(self.error)

        for keys in ("F9", "Ctrl+Shift+Y"):
            QShortcut(QKeySequence(keys), self).activated.connect(self.sync_now)
        bridge.report.connect(self._on_report)
        bridge.started.connect(lambda _j: self.reload())
        ops.bus.ops_did_execute.connect(self._on_changes)

    # -- loading -----------------------------------------------------------------
    def reload(self) -> None:
        self._seq += 1
        seq, shop = self._seq, self.shop
        self.ops.query(self, lambda: load_panel(shop), lambda d: self._show(seq, d),
                       lambda e: self.error.show_message(f"Not loaded: {error_text(e)}"))

    def _on_report(self, _report: RunnerReport) -> None:
        if self.isVisible():
            self.reload()

    def _on_changes(self, changes: Changes) -> None:
        if self.isVisible() and changes.customers:
            self.reload()

    def _show(self, seq: int, data: PanelData) -> None:
        if seq != self._seq:
            return
        self._show_status(data.status)
        if self.data is None or (data.conflicts, data.rejected, data.labels) != (
                self.data.conflicts, self.data.rejected, self.data.labels):
            self._fill(data)
        if self.data is None or data.quarantined != self.data.quarantined:
            self.quarantine.fill(data.quarantined, data.labels)
        self.data = data
        self._enable()
        self.loaded.emit()

    def _show_status(self, s: SyncStatus) -> None:
        bridge = self.bridge
        text, _tone = describe(s, bridge.last_report, False, None)
        self.state.setText(text if len(text) < 90 else text[:89] + "…")
        self.state.setToolTip(text)
        v = self.values
        v["store"].setText(s.store or "Not connected to a store — run `shopdesk central join "
                           "URL --store NAME`")
        v["counter"].setText(f"{s.device_name}" if s.device_name else fmt.DASH)
        v["server"].setText(f"{s.central_url} ({s.transport})" if s.central_url else fmt.DASH)
        v["pending"].setText(str(s.pending))
        v["last"].setText(sync_time(s.last_sync_at) + (
            f"  ·  received {s.cursor:,} of {s.server_seq:,}" if s.joined else ""))
        error = s.paused_reason or s.last_error or (
            bridge.last_report.error if bridge.last_report else None)
        v["error"].setText(error or "None")
        self.sync_button.setEnabled(bridge.running)
        actor = self.shop.actor
        self.key_button.setVisible(s.transport == "rest")
        self.key_button.setEnabled(actor is not None
                                   and allowed(actor.role, Permission.MANAGE_STAFF))
        self.sync_button.setToolTip("" if bridge.running else
                                    "This counter has not joined a store.")

    def _fill(self, data: PanelData) -> None:
        keep = self._current(self.conflicts)
        self.conflicts.clear()
        for c in data.conflicts:
            when = sync_time(c.created_at) if c.created_at else fmt.DASH
            item = QTreeWidgetItem([KINDS.get(c.kind, c.kind),
                                    conflict_text(c, data.labels, self.region), when])
            item.setData(0, ID_ROLE, c.id)
            item.setToolTip(1, item.text(1))
            self.conflicts.addTopLevelItem(item)
            if c.id == keep:
                self.conflicts.setCurrentItem(item)
        keep = self._current(self.rejected_list)
        self.rejected_list.clear()
        for r in data.rejected:
            item = QTreeWidgetItem([TABLES.get(r.table or "", r.table or fmt.DASH),
                                    change_text(r, data.labels), reason_text(r.reason)])
            item.setData(0, ID_ROLE, r.device_seq)
            item.setToolTip(2, r.reason)
            self.rejected_list.addTopLevelItem(item)
            if r.device_seq == keep:
                self.rejected_list.setCurrentItem(item)
        for view in (self.conflicts, self.rejected_list):
            select_first(view)

    @staticmethod
    def _current(view: QTreeWidget) -> object:
        item = view.currentItem()
        return item.data(0, ID_ROLE) if item is not None else None

    def conflict(self) -> Conflict | None:
        """The selected conflict."""
        current = self._current(self.conflicts)
        return next((c for c in (self.data.conflicts if self.data else []) if c.id == current),
                    None)

    def _enable(self) -> None:
        actor = self.shop.actor
        may = actor is not None and allowed(actor.role, Permission.RESOLVE_CONFLICTS)
        c = self.conflict()
        self.review_button.setEnabled(c is not None and c.duplicate_customers)
        self.keep_button.setEnabled(may and c is not None and c.kind == "field")
        self.dismiss_conflict_button.setEnabled(may and c is not None)
        self.dismiss_rejected_button.setEnabled(
            may and self.rejected_list.currentItem() is not None)
        self.quarantine.enable(may)
        self.rights.setText("" if may else "Only a supervisor, manager or owner can resolve "
                            "conflicts or dismiss rejected changes.")

    # -- actions -----------------------------------------------------------------
    def sync_now(self) -> None:
        if self.bridge.sync_now():
            self.state.setText("Syncing…")

    def review(self) -> None:
        c = self.conflict()
        if c is None or not c.duplicate_customers or not (c.row_a and c.row_b):
            return
        self.open_merge(UUID(hex=c.row_a), UUID(hex=c.row_b), c.id)

    def resolve(self, resolution: str) -> None:
        c = self.conflict()
        if c is None:
            return
        sync, conflict_id = self.shop.sync, c.id
        touched = frozenset(UUID(hex=i) for i in (c.row_a, c.row_b)
                            if i and c.table == "customers")
        self._write(lambda: sync.resolve(conflict_id, resolution), Changes(customers=touched))

    def dismiss_rejected(self) -> None:
        seq = self._current(self.rejected_list)
        if not isinstance(seq, int):
            return
        sync = self.shop.sync
        self._write(lambda: sync.dismiss_rejected(seq), Changes())

    def dismiss_quarantined(self, entry: int) -> None:
        sync = self.shop.sync
        self._write(lambda: sync.dismiss_quarantined(entry), Changes())

    def replace_api_key(self) -> None:
        key, ok = QInputDialog.getText(self, "Replace the API key",
                                       "The project's new API key (Supabase: Project "
                                       "Settings → API):", QLineEdit.EchoMode.Password)
        if ok and key.strip():
            sync, new = self.shop.sync, key.strip()
            self._write(lambda: sync.set_api_key(new), Changes())

    def _write(self, job: Callable[[], object], changes: Changes) -> None:
        self.error.show_message("")
        self.ops.write(self, job, lambda _r: self._written(), self._refused, changes=changes)

    def _written(self) -> None:
        self.bridge.nudge()
        self.reload()

    def _refused(self, error: BaseException) -> None:
        self.error.show_message(f"Not saved: {error_text(error)}")
        self.reload()
