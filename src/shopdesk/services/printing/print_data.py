"""The data of printed documents, read from the database (`shop.printing`).

Builds the plain dataclasses of `shopdesk.printing.data` for a ticket or a date
range and hands them to the renderers, returning PDF bytes. Reads only.
Times are printed in the computer's local time zone.

Thread rule: any thread; each call is one read session, then pure rendering.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopdesk.domain.checklist import answer_label
from shopdesk.domain.choices import Channel, ServiceKind
from shopdesk.domain.money import ZERO, quantize, total
from shopdesk.domain.tickets import TicketStatus
from shopdesk.errors import FieldError, ValidationError
from shopdesk.models import (
    Customer,
    Device,
    RepairTicket,
    ServiceRecord,
    StaffDirectory,
    TicketDevice,
)
from shopdesk.printing.data import (
    ChargeLine,
    CountRow,
    DeviceLine,
    FeedbackData,
    JobSheetData,
    LabelData,
    ReceiptData,
    ReportData,
    ShopHeader,
    TicketRow,
    payment_label,
)
from shopdesk.services.feedback.feedback_report import feedback_report
from shopdesk.services.loyalty.ledger import ticket_points
from shopdesk.services.privacy.access import AccessLog
from shopdesk.services.repairs.repair_views import TicketDeviceInfo
from shopdesk.services.repairs.tickets import TicketService
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Store

MAX_REPORT_DAYS = 3660


def _label(enum: type[Channel] | type[ServiceKind] | type[TicketStatus], value: str) -> str:
    try:
        return enum(value).label
    except ValueError:
        return value


def _device_line(item: TicketDeviceInfo) -> DeviceLine:
    d = item.device
    checklist = tuple((k, answer_label(v)) for k, v in item.checklist.items())
    return DeviceLine(d.make, d.model, d.imei, d.serial, item.fault, checklist,
                      item.pre_existing_faults, item.accessories)


class PrintService:
    """Documents as PDF bytes. Each one made is logged as a print (spec 13.2) through
    the access log, which writes to the audit trail in batches."""

    def __init__(self, store: Store, settings: SettingsService, tickets: TicketService,
                 access: AccessLog | None = None) -> None:
        self._store = store
        self._settings = settings
        self._tickets = tickets
        self._access = access

    def _printed(self, document: str, number: str | UUID) -> None:
        if self._access is not None:
            ticket = self._tickets.get(number).summary
            self._access.record("print", "repair_ticket", ticket.id,
                                {"document": document, "number": ticket.number})

    # -- documents --------------------------------------------------------------
    def receipt(self, number: str | UUID, paper: str | None = None) -> bytes:
        from shopdesk.printing.receipt import receipt  # ReportLab: on first print

        pdf = receipt(self.receipt_data(number, paper))
        self._printed("receipt", number)
        return pdf

    def jobsheet(self, number: str | UUID) -> bytes:
        from shopdesk.printing.jobsheet import job_sheet  # ReportLab: on first print

        pdf = job_sheet(self.jobsheet_data(number))
        self._printed("jobsheet", number)
        return pdf

    def labels(self, number: str | UUID, size: str | None = None) -> bytes:
        from shopdesk.printing.labels import device_labels  # ReportLab: on first print

        pdf = device_labels(self.label_data(number, size))
        self._printed("labels", number)
        return pdf

    def feedback(self, number: str | UUID) -> bytes:
        from shopdesk.printing.feedback import feedback_form  # ReportLab: on first print

        pdf = feedback_form(self.feedback_data(number))
        self._printed("feedback", number)
        return pdf

    def summary_report(self, date_from: date, date_to: date) -> bytes:
        from shopdesk.printing.report import summary_report  # ReportLab: on first print

        pdf = summary_report(self.report_data(date_from, date_to))
        if self._access is not None:
            self._access.record("print", "report", "summary",
                                {"document": "summary report", "from": date_from.isoformat(),
                                 "to": date_to.isoformat()})
        return pdf

    def feedback_report(self, date_from: date, date_to: date) -> bytes:
        """The feedback report (issue 17) with its charts, as PDF bytes."""
        from shopdesk.printing import feedback_report as printing_feedback  # ReportLab: lazy

        return printing_feedback.feedback_report(printing_feedback.FeedbackReportData(
            self.header(), feedback_report(self._store, date_from, date_to),
            self._store.clock().astimezone()))

    # -- data -------------------------------------------------------------------
    def header(self) -> ShopHeader:
        v = self._settings.all()
        currency, locale = self._settings.money_format()
        return ShopHeader(v["shop.name"], v["shop.address"], v["shop.phone"],
                          currency, v["shop.logo_path"], locale)

    def receipt_data(self, number: str | UUID, paper: str | None = None) -> ReceiptData:
        v = self._settings.all()
        t = self._tickets.get(number)
        lines: list[ChargeLine] = []
        names = {d.device.id: f"{d.device.make} {d.device.model}" for d in t.devices}
        if t.work:  # the work lines, as the ticket page shows them
            for w in t.work:
                lines.append(ChargeLine(w.description, w.quantity, w.unit_price, w.amount))
        for service in t.services if not t.work else ():
            for p in service.parts:
                lines.append(ChargeLine(p.name, p.quantity, p.unit_price, p.line_total))
            if service.labour:
                what = names.get(service.device_id) if service.device_id else None
                lines.append(ChargeLine(f"Labour: {what}" if what else "Labour", 1,
                                        service.labour, service.labour))
        # The ticket page shows these same figures (`TicketDetail.settlement`): before
        # pickup, a receipt for the deposit against the work lines or the estimate.
        money = t.settlement
        grand, paid_now, balance = money.total, money.paid_now, money.balance
        method = payment_label(t.payment_method) if paid_now else ""
        # Points redeemed at pickup paid part of it (issue 17): less money paid now.
        points = ticket_points(self._store, t.summary.id) if t.collected_at else None
        if points is not None and points.redeemed_value:
            paid_now = max(ZERO, paid_now - points.redeemed_value)
            method = payment_label(t.payment_method) if paid_now else ""
        rate = Decimal(v["shop.tax_rate"])
        tax = quantize(grand * rate / (100 + rate)) if rate else ZERO
        until = max((d.device.shop_warranty_until for d in t.devices
                     if d.device.shop_warranty_until), default=None) \
            if t.collected_at else None
        issued = (t.collected_at or self._store.clock()).astimezone()
        return ReceiptData(
            self.header(), t.summary.number, issued, t.summary.customer_name,
            t.summary.customer_code, tuple(_device_line(d) for d in t.devices), tuple(lines),
            grand, rate, tax, t.deposit, paid_now, method, balance,
            v["repairs.warranty_terms"], until, t.summary.technician_name or "",
            paper or v["print.receipt_paper"],
            points_redeemed=points.redeemed if points else 0,
            points_value=points.redeemed_value if points else ZERO,
            points_earned=points.earned if points else None,
            points_balance=points.balance if points else 0)

    def jobsheet_data(self, number: str | UUID) -> JobSheetData:
        t = self._tickets.get(number)
        with self._store.read() as session:
            customer = session.get(Customer, t.summary.customer_id)
            phone = customer.phone if customer else ""
            email = (customer.email or "") if customer else ""
        intake = t.history[0] if t.history else None
        return JobSheetData(
            self.header(), t.summary.number, t.summary.created_at.astimezone(),
            t.summary.customer_name, t.summary.customer_code, phone, email,
            tuple(_device_line(d) for d in t.devices), t.summary.estimate, t.deposit,
            t.summary.technician_name or "", self._settings.get("repairs.warranty_terms"),
            intake.staff_name if intake else "")

    def label_data(self, number: str | UUID, size: str | None = None) -> LabelData:
        """Labels for every device of the ticket, on the stock set in `print.label_size`."""
        size = size or self._settings.get("print.label_size")
        t = self._tickets.get(number)
        return LabelData(t.summary.number, t.summary.customer_name,
                         tuple(_device_line(d) for d in t.devices),
                         t.summary.created_at.astimezone().date(), size)

    def feedback_data(self, number: str | UUID) -> FeedbackData:
        t = self._tickets.get(number)
        return FeedbackData(
            self.header(), t.summary.number, t.summary.customer_name,
            tuple(f"{d.device.make} {d.device.model}" for d in t.devices),
            t.collected_at.astimezone().date() if t.collected_at else None,
            self._settings.get("shop.survey_url"))

    def report_data(self, date_from: date, date_to: date) -> ReportData:
        """Everything from the start of `date_from` to the end of `date_to` (local days)."""
        if date_to < date_from:
            raise ValidationError(FieldError("date_to", "date_order",
                                             "the end date is before the start date"))
        if (date_to - date_from).days > MAX_REPORT_DAYS:
            raise ValidationError(FieldError("date_to", "too_long",
                                             "a report covers at most ten years"))
        start = datetime.combine(date_from, time.min).astimezone().astimezone(UTC)
        end = datetime.combine(date_to + timedelta(days=1), time.min).astimezone() \
            .astimezone(UTC)
        with self._store.read() as session:
            channels = Counter(session.scalars(select(Customer.channel).where(
                Customer.created_at >= start, Customer.created_at < end)))
            tickets = session.execute(
                select(RepairTicket, Customer.first_name, Customer.last_name,
                       StaffDirectory.display_name)
                .join(Customer, Customer.id == RepairTicket.customer_id)
                .outerjoin(StaffDirectory, StaffDirectory.id == RepairTicket.technician_id)
                .where(RepairTicket.created_at >= start, RepairTicket.created_at < end)
                .order_by(RepairTicket.created_at)).all()
            services = session.execute(select(ServiceRecord.kind, ServiceRecord.total).where(
                ServiceRecord.occurred_at >= start, ServiceRecord.occurred_at < end)).all()
            ids = [row[0].id for row in tickets]
            devices = self._device_names(session, ids)
        by_status = Counter(row[0].status for row in tickets)
        by_tech: dict[str, list[Decimal]] = defaultdict(list)
        rows = []
        for ticket, first, last, tech in tickets:
            by_tech[tech or "Unassigned"].append(ticket.final_amount or ZERO)
            rows.append(TicketRow(
                ticket.number, ticket.created_at.astimezone().date(), f"{first} {last}",
                tech or "", _label(TicketStatus, ticket.status),
                ", ".join(devices.get(ticket.id, [])),
                ticket.final_amount if ticket.final_amount is not None else ticket.estimate))
        revenue: dict[str, list[Decimal]] = defaultdict(list)
        for kind, amount in services:
            revenue[kind].append(amount)
        return ReportData(
            self.header(), date_from, date_to, self._store.clock().astimezone(),
            tuple(CountRow(c.label, channels[c.value]) for c in Channel if channels[c.value]),
            tuple(CountRow(s.label, by_status[s.value]) for s in TicketStatus
                  if by_status[s.value]),
            tuple(CountRow(name, len(amounts), total(amounts))
                  for name, amounts in sorted(by_tech.items(), key=lambda x: -len(x[1]))),
            tuple(CountRow(k.label, len(revenue[k.value]), total(revenue[k.value]))
                  for k in ServiceKind if revenue[k.value]),
            tuple(rows))

    @staticmethod
    def _device_names(session: Session, ids: list[UUID]) -> dict[UUID, list[str]]:
        names: dict[UUID, list[str]] = defaultdict(list)
        for chunk in range(0, len(ids), 500):
            for ticket_id, make, model in session.execute(
                    select(TicketDevice.ticket_id, Device.make, Device.model)
                    .join(Device, Device.id == TicketDevice.device_id)
                    .where(TicketDevice.ticket_id.in_(ids[chunk:chunk + 500]))
                    .order_by(TicketDevice.ticket_id, TicketDevice.position)):
                names[ticket_id].append(f"{make} {model}")
        return names

