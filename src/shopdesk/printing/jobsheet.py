"""The intake job sheet (A4): what the customer left, in what state, on what terms.

Customer and contact; each device with IMEI/serial, the fault as described,
the condition checklist, pre-existing faults and accessories left; estimate
and deposit; terms and conditions; signature lines for intake and pickup. The
ticket number is printed large with its Code 128 barcode for the bench.

Thread rule: any thread; pure.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from shopdesk.printing import fonts
from shopdesk.printing.common import (
    LIGHT,
    NumberedCanvas,
    fit_code128,
    logo,
    money,
    para,
    styles,
)
from shopdesk.printing.data import DeviceLine, JobSheetData

MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN - 12  # the frame's padding


def job_sheet(data: JobSheetData) -> bytes:
    """PDF bytes of the job sheet (one page for a usual ticket; flows on if long)."""
    fonts.register()
    s = styles(9.5)
    items: list[Flowable] = [_header(data, s), Spacer(1, 4 * mm)]
    customer = [["Customer", f"{data.customer_name} ({data.customer_code})"],
                ["Phone", data.customer_phone or "-"], ["E-mail", data.customer_email or "-"],
                ["Received", f"{data.received_at:%d %b %Y %H:%M}"
                 + (f" by {data.staff_name}" if data.staff_name else "")]]
    if data.technician:
        customer.append(["Technician", data.technician])
    items += [para("Customer", s["h2"]), _grid(customer, s)]
    for i, device in enumerate(data.devices, start=1):
        items.append(KeepTogether(_device(device, i, len(data.devices), s)))
    cur = data.shop.currency
    money_rows = [["Estimate", money(data.estimate, cur, data.shop.locale) or "to be confirmed"],
                  ["Deposit paid", money(data.deposit, cur, data.shop.locale)]]
    items += [para("Estimate", s["h2"]), _grid(money_rows, s)]
    if data.terms:
        items += [para("Terms and conditions", s["h2"]), para(data.terms, s["small"])]
    items.append(KeepTogether([Spacer(1, 8 * mm), _signatures(s)]))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN + 4 * mm,
                            title=f"Job sheet {data.number}", author=data.shop.name)
    doc.build(items, canvasmaker=NumberedCanvas)
    return out.getvalue()


def _header(data: JobSheetData, s: dict[str, Any]) -> Table:
    left: list[Any] = []
    image = logo(data.shop, 45 * mm, 16 * mm)
    if image is not None:
        image.hAlign = "LEFT"
        left.append(image)
    left.append(para(data.shop.name, s["title"]))
    contact = "\n".join(x for x in (data.shop.address, data.shop.phone) if x)
    if contact:
        left.append(para(contact, s["small"]))
    bar_w = 70 * mm
    right = [para("JOB SHEET", s["bright"]), para(data.number, s["title"]),
             fit_code128(data.number, bar_w, 11 * mm)]
    right[-1].hAlign = "RIGHT"
    table = Table([[left, right]], colWidths=[WIDTH - bar_w - 4 * mm, bar_w + 4 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.8, LIGHT),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm)]))
    return table


def _grid(rows: list[list[str]], s: dict[str, Any], label_w: float = 32 * mm) -> Table:
    cells = [[para(label, s["bold"]), para(value, s["body"])] for label, value in rows]
    table = Table(cells, colWidths=[label_w, WIDTH - label_w], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.3, LIGHT)]))
    return table


def _device(device: DeviceLine, index: int, count: int, s: dict[str, Any]) -> list[Flowable]:
    title = f"Device {index} of {count}: {device.name}" if count > 1 else \
        f"Device: {device.name}"
    rows = [["Identifier", device.ident or "-"], ["Fault", device.fault or "-"],
            ["Pre-existing", device.pre_existing_faults or "none noted"],
            ["Accessories", device.accessories or "none"]]
    out: list[Flowable] = [para(title, s["h2"]), _grid(rows, s)]
    if device.checklist:
        out += [Spacer(1, 2 * mm), para("Condition checklist", s["bold"]), _checklist(device, s)]
    return out


def _checklist(device: DeviceLine, s: dict[str, Any]) -> Table:
    """Two columns of "Powers on: Yes" / "Water damage: Not tested" / "Scratches: back"."""
    marks = [f"{item.replace('_', ' ').capitalize()}: {answer}"
             for item, answer in device.checklist]
    half = (len(marks) + 1) // 2
    rows = [[para(marks[i], s["body"]),
             para(marks[i + half], s["body"]) if i + half < len(marks) else ""]
            for i in range(half)]
    table = Table(rows, colWidths=[WIDTH / 2, WIDTH / 2], hAlign="LEFT")
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _signatures(s: dict[str, Any]) -> Table:
    gap = 10 * mm
    col = (WIDTH - gap) / 2
    rows = [[para("At intake: I agree to the terms above.", s["small"]), "",
             para("At pickup: I received my device(s) in working order.", s["small"])],
            ["", "", ""],
            [para("Customer signature", s["small"]), "", para("Customer signature", s["small"])],
            ["", "", ""],
            [para("Staff signature and date", s["small"]), "",
             para("Staff signature and date", s["small"])]]
    table = Table(rows, colWidths=[col, gap, col], rowHeights=[None, 14 * mm, None, 12 * mm,
                                                               None])
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("LINEBELOW", (0, 1), (0, 1), 0.8, "black"),
                               ("LINEBELOW", (2, 1), (2, 1), 0.8, "black"),
                               ("LINEBELOW", (0, 3), (0, 3), 0.8, "black"),
                               ("LINEBELOW", (2, 3), (2, 3), 0.8, "black"),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table
