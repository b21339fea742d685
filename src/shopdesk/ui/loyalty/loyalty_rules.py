"""The manager's loyalty rules: earning, expiry, tiers, benefits, VIP (settings `loyalty.*`).

Each rule is a line with its help under it; Save checks every value and stores all
or none (the settings service's `set_many`), naming the rule a bad value breaks.
The accounts two offline counters overspent are listed for review.

Thread rule: GUI thread only; reads and the save run on the TaskManager.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from shopdesk.services.settings import LOYALTY_SETTINGS
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ErrorLabel, muted
from shopdesk.ui.loyalty.parts import save_cancel


class LoyaltyRulesDialog(QDialog):
    """Shop → Loyalty rules… (managers and owners)."""

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Loyalty rules")
        self.shop, self.ops = shop, ops
        self.fields: dict[str, QLineEdit] = {}
        values = shop.settings.all()
        form = QFormLayout()
        for spec in LOYALTY_SETTINGS:
            edit = QLineEdit(values[spec.key])
            edit.setToolTip(spec.help)
            self.fields[spec.key] = edit
            column = QVBoxLayout()
            column.setSpacing(0)
            column.addWidget(edit)
            column.addWidget(muted(spec.help))
            form.addRow(spec.key.removeprefix("loyalty.").replace("_", " ").capitalize(),
                        column)
        self.overspent = muted("")
        self.error = ErrorLabel()
        buttons = save_cancel(self, self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.overspent)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        loyalty = shop.loyalty
        ops.query(self, loyalty.overspent, self._overspent)

    def _overspent(self, rows: list[tuple[object, str, int]]) -> None:
        self.overspent.setText(
            "Redeemed twice on different counters (review and adjust): "
            + ", ".join(f"{code} ({n} points)" for _c, code, n in rows) if rows
            else "No account is overspent.")

    def save(self) -> None:
        values = {key: edit.text() for key, edit in self.fields.items()}
        settings = self.shop.settings
        self.ops.write(self, lambda: settings.set_many(values), lambda _c: self.accept(),
                       lambda exc: self.error.show_message(str(exc)))
