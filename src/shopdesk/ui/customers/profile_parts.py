"""Compact pieces of the customer profile: the open tickets in its header, the
contact and personal details (rows without a value are hidden), the address as
one line, and the preferences as one sentence.

Thread rule: GUI thread only (widgets); the text helpers are pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from shopdesk.domain.tickets import TicketStatus
from shopdesk.services.start.worklist import CustomerWork
from shopdesk.ui.common import fmt

MAX_TICKETS_SHOWN = 3
_TICKET_STYLES = {
    "ready": "color:#17663a; background:#e3f4e8; border:1px solid #9fd7b3;",
    "late": "color:#a3281c; background:#fdecea; border:1px solid #f0b4ad;",
    "open": "color:#1f4f99; background:#e8f0fc; border:1px solid #b5cbef;",
}


def address_text(values: Mapping[str, object], home_country: str) -> str:
    """The address on one line; '' when no part of it was given. The country is
    named only for an address abroad (a blank address is not 'GB')."""
    street = [values.get("address_line1"), values.get("address_line2"),
              " ".join(str(x) for x in (values.get("postcode"), values.get("city")) if x),
              values.get("region")]
    parts = [str(p) for p in street if p]
    country = values.get("country")
    if parts and country and str(country).upper() != home_country.upper():
        parts.append(str(country))
    return ", ".join(parts)


def preferences_text(values: Mapping[str, object], consent_at: datetime | None,
                     points: int, tier: str) -> str:
    """'Prefers WhatsApp, any time · language es · marketing: yes (since 3 Mar 2026) ·
    repair notifications: yes · loyalty: 0 points, Bronze'."""
    best = values.get("best_time")
    when = "any time" if best in (None, "", "any") else \
        fmt.label_of("best_time", best).lower()
    marketing = (f"yes (since {fmt.local_time(consent_at, False)})"
                 if values.get("marketing_opt_in") else "no")
    return (f"Prefers {fmt.label_of('preferred_contact', values.get('preferred_contact'))}, "
            f"{when} · language {fmt.text(values.get('language'))} · "
            f"marketing: {marketing} · repair notifications: "
            f"{'yes' if values.get('service_notifications') else 'no'} · "
            f"loyalty: {points} points, {fmt.label_of('loyalty_tier', tier)}")


class OpenTickets(QWidget):
    """'Open tickets: [R-…-0012 · Ready for pickup] [R-…-0031 · In repair] +2 more';
    each is a button that opens its ticket. Hidden when there is none.

    Signals: `open_ticket(UUID)`.
    """

    open_ticket = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons: list[QPushButton] = []
        self.caption = QLabel("Open tickets:")
        self.caption.setStyleSheet("color:#4a5162; font-weight:600;")
        self.more = QLabel()
        self.more.setStyleSheet("color:#6b7280;")
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(6)
        self.row.addWidget(self.caption)
        self.row.addStretch(1)
        self.hide()

    def show_work(self, work: CustomerWork | None) -> None:
        for button in self.buttons:
            self.row.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        self.row.removeWidget(self.more)
        tickets = work.tickets if work else ()
        for position, t in enumerate(tickets[:MAX_TICKETS_SHOWN]):
            state = "Ready for pickup" if t.status == TicketStatus.READY else \
                fmt.label("status", t.status) + (" · overdue" if t.overdue else "")
            button = QPushButton(f"{t.number} · {state}", self)
            tone = "ready" if t.status == TicketStatus.READY else "late" if t.overdue else "open"
            button.setStyleSheet(f"QPushButton {{ {_TICKET_STYLES[tone]} border-radius:9px;"
                                 " padding:2px 10px; font-weight:600; }")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _c=False, i=t.ticket_id: self.open_ticket.emit(i))
            self.row.insertWidget(1 + position, button)
            self.buttons.append(button)
        hidden = len(tickets) - MAX_TICKETS_SHOWN
        self.more.setText(f"+{hidden} more on the Tickets tab" if hidden > 0 else "")
        self.row.insertWidget(1 + len(self.buttons), self.more)
        self.more.setVisible(hidden > 0)
        self.setVisible(bool(tickets))

    def texts(self) -> list[str]:
        return [button.text() for button in self.buttons]


class DetailRows(QFormLayout):
    """Label/value rows whose row hides while its value is empty. GUI thread only."""

    def __init__(self, keys: tuple[str, ...], labels: Mapping[str, str],
                 always: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.setHorizontalSpacing(14)
        self.setVerticalSpacing(5)
        self.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.always = always
        self.values: dict[str, QLabel] = {}
        for key in keys:
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            caption = QLabel(labels[key])
            caption.setStyleSheet("color:#6b7280;")
            self.addRow(caption, value)
            self.values[key] = value

    def show_values(self, shown: Mapping[str, str]) -> None:
        for row, (key, label) in enumerate(self.values.items()):
            text = shown.get(key, "")
            label.setText(text or fmt.DASH)
            self.setRowVisible(row, bool(text) or key in self.always)


