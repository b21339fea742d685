"""The pickup dialog: final amount, payment, technician, satisfaction; Enter completes.

The final amount starts at the work lines' total (edited on the ticket page),
else the estimate. The payment method is required and starts at the shop's
most used one (`tickets.usual_payment_method`); a ticket nobody was assigned
to asks who did the repair. What is still to pay is shown with the rule the
receipt uses (`domain.money.settle`). "Collect and record" (Enter) is on only
when everything adds up: an amount, a method, a technician, and the work lines
(if any) equal to the final amount; otherwise the line above the buttons says
what is missing. The dialog saves through `tickets.pickup` on the writer thread
and stays open with the reason when the core refuses.

Thread rule: GUI thread only. Open it with `open()` (window-modal, not blocking).
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from shopdesk.domain.choices import PaymentMethod
from shopdesk.domain.money import parse_amount, settle
from shopdesk.errors import ValidationError
from shopdesk.services.repairs.repair_views import TicketDetail, TicketSaved
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import error_text, money
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ErrorLabel, Heading, combo_id, muted
from shopdesk.ui.repairs.repair_common import Technician, fill_staff, load_technicians


class PickupDialog(QDialog):
    """Collect a ready ticket. GUI thread only; `saved` holds the result on success."""

    def __init__(self, shop: Shop, ops: TaskManager, detail: TicketDetail,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops, self.detail = shop, ops, detail
        self.saved: TicketSaved | None = None
        s = detail.summary
        self.needs_technician = s.technician_id is None
        self.setWindowTitle(f"Pickup — {s.number}")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.addWidget(Heading(f"Hand back {s.number} to {s.customer_name}", 16))
        facts = [f"Estimate {money(s.estimate)}", f"deposit paid {money(detail.deposit)}"]
        if detail.work:
            facts.append(f"work lines {money(detail.work_total)}")
        layout.addWidget(muted(" · ".join(facts) + "."))
        if detail.work:
            lines = "\n".join(f"{w.description}: {w.quantity} × {money(w.unit_price)}"
                              for w in detail.work)
            layout.addWidget(muted(lines))
        else:
            layout.addWidget(muted("No work lines: the final amount is recorded as labour "
                                   "(add parts and labour on the ticket page first)."))
        form = QFormLayout()
        start = detail.work_total if detail.work else s.estimate
        self.final_amount = QLineEdit(fmt.amount_text(start))
        self.final_amount.setPlaceholderText("e.g. 89.00")
        self.final_amount.textChanged.connect(self._update)
        self.to_pay = QLabel()
        self.to_pay.setStyleSheet("font-weight:600;")
        self.payment = QComboBox()
        self.payment.addItem("Choose…", "")
        for method in PaymentMethod:
            self.payment.addItem(fmt.choice_label(method), method.value)
        self.payment.currentIndexChanged.connect(self._update)
        self.technician = QComboBox()
        self.technician.addItem("Choose who did the repair…", "")
        self.technician.currentIndexChanged.connect(self._update)
        self.satisfaction = QComboBox()
        self.satisfaction.addItem("Not given", None)
        for rating, words in ((5, "very happy"), (4, "happy"), (3, "neutral"), (2, "unhappy"),
                              (1, "very unhappy")):
            self.satisfaction.addItem(f"{rating} — {words}", rating)
        self.note = QLineEdit()
        form.addRow("Final amount *", self.final_amount)
        form.addRow("To pay now", self.to_pay)
        form.addRow("Payment method *", self.payment)
        if self.needs_technician:
            form.addRow("Technician *", self.technician)
        else:
            self.technician.hide()
        form.addRow("Satisfaction", self.satisfaction)
        form.addRow("Note", self.note)
        layout.addLayout(form)
        self.missing = muted("")
        layout.addWidget(self.missing)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("Collect and record  (Enter)",
                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setProperty("primary", True)
        self.ok.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._busy = False
        self._update()
        self.final_amount.setFocus()
        self.final_amount.selectAll()
        tickets = shop.tickets
        ops.query(self, tickets.usual_payment_method, self._usual_method)
        if self.needs_technician:
            load_technicians(shop, ops, self, self._set_technicians)

    def _usual_method(self, method: str | None) -> None:
        if method and not self.payment.currentData():
            self.payment.setCurrentIndex(max(0, self.payment.findData(method)))

    def _set_technicians(self, staff: list[Technician], _complete: bool) -> None:
        # Nobody is preselected: the record must name who did the work, not a guess.
        fill_staff(self.technician, staff, "Choose who did the repair…")

    # -- checking ----------------------------------------------------------------
    def final(self) -> Decimal | None:
        try:
            return parse_amount(self.final_amount.text(), "final_amount", required=True)
        except ValidationError:
            return None

    def problems(self) -> list[str]:
        """What still stops the pickup (empty: Enter completes it)."""
        final = self.final()
        out = []
        if final is None:
            out.append("type the final amount")
        elif self.detail.work and final != self.detail.work_total:
            out.append(f"the work lines add up to {money(self.detail.work_total)}, not "
                       f"{money(final)}: change the lines on the ticket page or the amount")
        if not self.payment.currentData() and (final is None or final > 0):
            out.append("choose the payment method")
        if self.needs_technician and combo_id(self.technician) is None:
            out.append("choose the technician who did the repair")
        return out

    def _update(self, *_args: object) -> None:
        final = self.final()
        if final is None:
            self.to_pay.setText(fmt.DASH)
        else:
            due = settle(None, self.detail.deposit, final, True).paid_now
            self.to_pay.setText(f"{money(due)} (after the deposit of "
                                f"{money(self.detail.deposit)})")
        problems = self.problems()
        self.missing.setText(("To finish: " + "; ".join(problems) + ".") if problems else "")
        self.ok.setEnabled(not problems and not self._busy)

    def submit(self) -> None:
        if self.problems() or self._busy:
            self._update()
            return
        self.error.show_message("")
        final = self.final_amount.text().strip()
        method = self.payment.currentData() or None
        rating = self.satisfaction.currentData()
        note = self.note.text()
        technician = combo_id(self.technician) if self.needs_technician else None
        ticket_id, tickets = self.detail.summary.id, self.shop.tickets
        self._busy = True
        self.ok.setEnabled(False)
        self.ops.write(self, lambda: tickets.pickup(ticket_id, final, method, (), rating, note,
                                                    technician_id=technician),
                       self._done, self._failed)

    def _done(self, saved: TicketSaved) -> None:
        self.saved = saved
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        self._update()
        self.error.show_message(error_text(error))
