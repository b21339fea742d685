"""The profile's Loyalty tab: balance, tier, progress to the next tier, benefits, the
lots with their expiry dates and the ledger's history; staff with the permission
grant or take points with a reason.

Loads on the read pool when a customer is shown and again when a write (here or
pulled by sync) touches loyalty; a load for a customer no longer shown is dropped.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission, allowed
from shopdesk.services.loyalty.loyalty_views import Account
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ID_ROLE, Badge, ErrorLabel, muted, tree
from shopdesk.ui.loyalty.parts import save_cancel

KIND_LABELS = {"opening": "Opening balance", "earn": "Earned", "redeem": "Redeemed",
               "expire": "Expired", "adjust": "Adjusted", "reverse": "Reversed",
               "tier": "Tier", "notice": "Told"}


class LoyaltyPanel(QWidget):
    """One customer's loyalty account. GUI thread only."""

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.customer_id: UUID | None = None
        self.account: Account | None = None
        self.loads = 0  # finished loads (tests wait on it)
        self.balance = QLabel()
        self.balance.setStyleSheet("font-size:20px; font-weight:700; color:#111827;")
        self.tier = Badge("", "info")
        self.vip = Badge("VIP", "ok")
        self.adjust_button = QPushButton("Adjust points…")
        self.adjust_button.clicked.connect(self.adjust)
        top = QHBoxLayout()
        for widget in (self.balance, self.tier, self.vip):
            top.addWidget(widget)
        top.addStretch(1)
        top.addWidget(self.adjust_button)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.detail = muted("")
        self.detail.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setStyleSheet("color:#b91c1c; font-weight:600;")
        self.warning.setWordWrap(True)
        self.lots = tree(["Earned", "Points left", "Of", "Expires"], [110, 90, 70, 110])
        self.history = tree(["When", "What", "Points", "Ticket", "Why", "By"],
                            [130, 110, 70, 110, 260, 120])
        lists = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(muted("Points by lot (oldest are used first)"))
        left.addWidget(self.lots)
        right = QVBoxLayout()
        right.addWidget(muted("History"))
        right.addWidget(self.history)
        lists.addLayout(left, 2)
        lists.addLayout(right, 5)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.detail)
        layout.addWidget(self.warning)
        layout.addLayout(lists, 1)
        ops.bus.ops_did_execute.connect(self._on_changes)

    def load(self, customer_id: UUID) -> None:
        self.customer_id = customer_id
        loyalty = self.shop.loyalty
        self.ops.query(self, lambda: loyalty.account(customer_id, history=200),
                       lambda account: self._show(customer_id, account))

    def _on_changes(self, changes: Changes) -> None:
        if self.customer_id is not None and (changes.loyalty or self.customer_id in
                                             changes.customers):
            self.load(self.customer_id)

    def _show(self, asked: UUID, a: Account) -> None:
        if asked != self.customer_id:
            return
        self.account = a
        self.balance.setText(f"{a.balance:,} points")
        self.tier.setText(f"{a.tier.capitalize()} tier")
        self.vip.setVisible(a.benefits.vip)
        self.vip.setToolTip("; ".join(a.benefits.vip_reasons))
        unit = "points" if a.basis == "points" else "spent"
        if a.next_tier is None:
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
            self.progress.setFormat("Top tier")
        else:
            reached = float(a.qualifying)
            goal = reached + float(a.to_next)
            self.progress.setRange(0, max(1, int(goal)))
            self.progress.setValue(int(reached))
            self.progress.setFormat(f"{a.qualifying} {unit} in 12 months · {a.to_next} more "
                                    f"to {a.next_tier.capitalize()}")
        b = a.benefits
        perks = [f"{b.labour_discount}% off labour" if b.labour_discount else "",
                 f"+{b.extra_warranty_days} warranty days" if b.extra_warranty_days else "",
                 "priority on the board" if b.priority else ""]
        self.detail.setText(" · ".join(
            [f"{a.available:,} available"] + [p for p in perks if p]
            + ([f"qualifies for less since {fmt.day(a.demotion_pending_since.date())}"]
               if a.demotion_pending_since else [])))
        warnings = []
        if a.overspent:
            warnings.append(f"{a.overspent} points were redeemed twice on different counters "
                            "while offline: review this account and adjust it if needed.")
        if a.reversal_deficit:
            warnings.append(f"A refund took back {a.reversal_deficit} points already spent.")
        self.warning.setText(" ".join(warnings))
        self.warning.setVisible(bool(warnings))
        _fill(self.lots, [
            ([fmt.day(lot.earned_at.date()), f"{lot.remaining:,}", f"{lot.points:,}",
              fmt.day(lot.expires_at.date()) if lot.expires_at else "never"], lot.id)
            for lot in a.lots])
        _fill(self.history, [
            ([fmt.local_time(e.at), KIND_LABELS.get(e.kind, e.kind),
              f"{e.points:+,}" if e.points else "", e.ticket_number or "", e.reason, e.actor],
             e.id) for e in a.history])
        actor = self.shop.actor
        self.adjust_button.setEnabled(actor is not None and allowed(actor.role,
                                                                    Permission.ADJUST_LOYALTY))
        self.loads += 1

    def adjust(self) -> AdjustDialog | None:
        if self.customer_id is None:
            return None
        dialog = AdjustDialog(self.shop, self.ops, self.customer_id, self)
        dialog.open()
        return dialog


def _fill(view: QTreeWidget, rows: list[tuple[list[str], object]]) -> None:
    view.clear()
    for cells, key in rows:
        item = QTreeWidgetItem(cells)
        item.setData(0, ID_ROLE, key)
        view.addTopLevelItem(item)


class AdjustDialog(QDialog):
    """Grant or take points with a reason (social media, goodwill, a correction)."""

    def __init__(self, shop: Shop, ops: TaskManager, customer_id: UUID,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Adjust loyalty points")
        self.shop, self.ops, self.customer_id = shop, ops, customer_id
        self.points = QSpinBox()
        self.points.setRange(-1_000_000, 1_000_000)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("e.g. shared our post on Instagram")
        self.social = QCheckBox("Social media engagement")
        self.error = ErrorLabel()
        form = QFormLayout(self)
        form.addRow("Points (negative takes away)", self.points)
        form.addRow("Reason", self.reason)
        form.addRow("", self.social)
        form.addRow(self.error)
        buttons = save_cancel(self, self.save)
        form.addRow(buttons)

    def save(self) -> None:
        loyalty, customer = self.shop.loyalty, self.customer_id
        points, reason = self.points.value(), self.reason.text()
        source = "social" if self.social.isChecked() else "staff"
        self.ops.write(self, lambda: loyalty.adjust(customer, points, reason, source),
                       lambda _c: self.accept(), lambda exc: self.error.show_message(str(exc)))
