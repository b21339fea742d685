"""The "Possible existing customers" panel beside the registration form.

It shows `find_matches` results (and holders of a phone or e-mail that failed
the uniqueness rule), each with its reasons and an "Open existing" button.
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Signal, SignalInstance
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from shopdesk.services.customers.customer_views import CustomerSummary
from shopdesk.ui.common import fmt
from shopdesk.ui.common.widgets import Badge, Card, Heading, muted


class MatchCard(Card):
    """One possible duplicate. GUI thread only."""

    def __init__(self, customer: CustomerSummary, reasons: tuple[str, ...], region: str,
                 on_open: SignalInstance, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.customer_id = customer.id
        self.setStyleSheet("QFrame#card { background:#fffaf0; border:1px solid #f0d9a8; }")
        name = QLabel(f"<b>{customer.name}</b>  <span style='color:#6b7280'>"
                      f"{customer.code}</span>")
        self.body.addWidget(name)
        details = [fmt.phone(customer.phone, region)]
        if customer.email:
            details.append(customer.email)
        if customer.city:
            details.append(customer.city)
        self.body.addWidget(muted(" · ".join(details)))
        tags = QHBoxLayout()
        tags.setSpacing(4)
        for reason in reasons:
            tags.addWidget(Badge(reason, "warn" if reason.startswith(("same", "holds"))
                                 else "info"))
        if not customer.is_active:
            tags.addWidget(Badge("inactive", "off"))
        tags.addStretch(1)
        self.body.addLayout(tags)
        self.open_button = QPushButton("Open existing")
        self.open_button.clicked.connect(lambda: on_open.emit(self.customer_id))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_button)
        self.body.addLayout(row)


class MatchPanel(QWidget):
    """Lists possible existing customers; emits `open_customer(UUID)`. GUI thread only."""

    open_customer = Signal(object)

    def __init__(self, region: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.region = region
        self.setMinimumWidth(300)
        self.setMaximumWidth(360)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(8)
        self._layout.addWidget(Heading("Possible existing customers", 14))
        self.hint = muted("As you type the phone, e-mail or name, customers who may already "
                          "be registered appear here.")
        self._layout.addWidget(self.hint)
        self._cards: list[MatchCard] = []
        self._layout.addStretch(1)

    @property
    def cards(self) -> list[MatchCard]:
        return list(self._cards)

    def card_for(self, customer_id: UUID) -> MatchCard | None:
        return next((c for c in self._cards if c.customer_id == customer_id), None)

    def show_matches(self, matches: list[tuple[CustomerSummary, tuple[str, ...]]]) -> None:
        for card in self._cards:
            self._layout.removeWidget(card)
            card.deleteLater()
        self._cards = []
        for customer, reasons in matches:
            card = MatchCard(customer, reasons, self.region, self.open_customer)
            self._layout.insertWidget(self._layout.count() - 1, card)
            self._cards.append(card)
        self.hint.setText("Check these before registering someone new." if matches else
                          "No similar customers found so far.")

    def clear(self) -> None:
        self.show_matches([])
        self.hint.setText("As you type the phone, e-mail or name, customers who may already "
                          "be registered appear here.")
