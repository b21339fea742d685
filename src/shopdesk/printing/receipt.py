"""The payment receipt: on an 80 mm thermal roll, or on A4 / Letter.

Shop name, logo, address and phone; customer and code; ticket number; devices
with IMEI; parts and labour lines; tax included; total, deposit, paid now and
method, balance; warranty terms; the ticket number as a QR code and a Code 128
barcode. On the roll the page is 80 mm wide and as tall as its content.

Thread rule: any thread; pure.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from shopdesk.printing import fonts
from shopdesk.printing.common import (
    GREY,
    LIGHT,
    fit_code128,
    flow_height,
    logo,
    money,
    para,
    qr_drawing,
    styles,
)
from shopdesk.printing.data import ReceiptData

ROLL_WIDTH = 80 * mm
ROLL_MARGIN = 2 * mm
PAD = 6  # ReportLab's frame padding, each side


def receipt(data: ReceiptData) -> bytes:
    """PDF bytes of the receipt on `data.paper` ("80mm", "a4" or "letter")."""
    fonts.register()
    roll = data.paper == "80mm"
    if roll:
        width = ROLL_WIDTH - 2 * ROLL_MARGIN - 2 * PAD
        items = _content(data, width, base=8.0, roll=True)
        height = flow_height(items, width) + 2 * ROLL_MARGIN + 2 * PAD + 4 * mm
        pagesize: tuple[float, float] = (ROLL_WIDTH, height)
        margin = ROLL_MARGIN
    else:
        pagesize = LETTER if data.paper == "letter" else A4
        margin = 18 * mm
        width = pagesize[0] - 2 * margin - 2 * PAD
        items = _content(data, width, base=10.0, roll=False)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=pagesize, leftMargin=margin, rightMargin=margin,
                            topMargin=margin, bottomMargin=margin,
                            title=f"Receipt {data.number}", author=data.shop.name)
    doc.build(items)
    return out.getvalue()


def _content(data: ReceiptData, width: float, base: float, roll: bool) -> list[Flowable]:
    s = styles(base)
    items: list[Flowable] = []
    image = logo(data.shop, width * (0.6 if roll else 0.35), 18 * mm)
    if image is not None:
        image.hAlign = "CENTER" if roll else "LEFT"
        items += [image, Spacer(1, 2 * mm)]
    head = s["ctitle"] if roll else s["title"]
    items.append(para(data.shop.name, head))
    contact = "\n".join(x for x in (data.shop.address, data.shop.phone) if x)
    if contact:
        items.append(para(contact, s["csmall"] if roll else s["body"]))
    items += [Spacer(1, 2 * mm), _rule(width)]
    items.append(para(f"RECEIPT  {data.number}", s["bold"]))
    meta = [f"Date: {data.issued_at:%d %b %Y %H:%M}",
            f"Customer: {data.customer_name} ({data.customer_code})"]
    if data.technician:
        meta.append(f"Technician: {data.technician}")
    items += [para(line, s["body"]) for line in meta]
    items.append(Spacer(1, 1.5 * mm))
    for device in data.devices:
        items.append(para(device.name, s["bold"]))
        if device.ident:
            items.append(para(device.ident, s["body"]))
    items += [Spacer(1, 1.5 * mm), _rule(width)]
    items.append(_lines_table(data, width, s, roll))
    items += [_rule(width), _totals_table(data, width, s)]
    if data.points_earned is not None:
        items.append(para(f"Loyalty points: {data.points_earned} earned, "
                          f"{data.points_redeemed} redeemed, new balance "
                          f"{data.points_balance}", s["body"]))
    if data.warranty_until or data.warranty_terms:
        items += [Spacer(1, 2 * mm), _rule(width)]
        if data.warranty_until:
            items.append(para(f"Warranty until {data.warranty_until:%d %b %Y}", s["bold"]))
        if data.warranty_terms:
            items.append(para(data.warranty_terms, s["small"]))
    items += [Spacer(1, 3 * mm), _codes(data.number, width, roll, s)]
    items += [Spacer(1, 2 * mm), para("Thank you!", s["center"])]
    return items


def _rule(width: float) -> HRFlowable:
    return HRFlowable(width=width, thickness=0.5, color=GREY, spaceBefore=1.5 * mm,
                      spaceAfter=1.5 * mm)


def _lines_table(data: ReceiptData, width: float, s: dict[str, Any], roll: bool) -> Table:
    cur, loc = data.shop.currency, data.shop.locale
    if roll:
        rows: list[list[Any]] = []
        for line in data.lines:
            text = line.description
            if line.quantity != 1:
                text += f"\n{line.quantity} × {money(line.unit_price, cur, loc)}"
            rows.append([para(text, s["body"]), para(money(line.amount, cur, loc), s["right"])])
        if not rows:
            rows.append([para("No charges yet", s["small"]), ""])
        widths = [width * 0.68, width * 0.32]
    else:
        rows = [[para(h, s["bold"]) for h in ("Description", "Qty", "Unit price")]
                + [para("Amount", s["right"])]]
        for line in data.lines:
            rows.append([para(line.description, s["body"]), para(str(line.quantity), s["body"]),
                         para(money(line.unit_price, cur, loc), s["body"]),
                         para(money(line.amount, cur, loc), s["right"])])
        if len(rows) == 1:
            rows.append([para("No charges yet", s["small"]), "", "", ""])
        widths = [width * 0.55, width * 0.1, width * 0.17, width * 0.18]
    table = Table(rows, colWidths=widths, repeatRows=0 if roll else 1)
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
             ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]
    if not roll:
        style += [("LINEBELOW", (0, 0), (-1, 0), 0.5, LIGHT),
                  ("RIGHTPADDING", (0, 0), (-2, -1), 4)]
    table.setStyle(TableStyle(style))
    return table


def _totals_table(data: ReceiptData, width: float, s: dict[str, Any]) -> Table:
    cur, loc = data.shop.currency, data.shop.locale
    rows = [("Total", money(data.total, cur, loc), True)]
    if data.tax_rate:
        rows.append((f"incl. tax {data.tax_rate.normalize():f}%", money(data.tax, cur, loc), False))
    if data.deposit:
        rows.append(("Deposit paid", money(data.deposit, cur, loc), False))
    if data.points_redeemed:
        rows.append((f"Paid in points ({data.points_redeemed})",
                     money(data.points_value, cur, loc), False))
    if data.paid_now or data.payment_method:
        method = f" ({data.payment_method})" if data.payment_method else ""
        rows.append((f"Paid now{method}", money(data.paid_now, cur, loc), False))
    rows.append(("Balance due", money(data.balance, cur, loc), True))
    cells = [[para(label, s["bold" if strong else "body"]),
              Paragraph(value, s["bright" if strong else "right"])]
             for label, value, strong in rows]
    table = Table(cells, colWidths=[width * 0.6, width * 0.4])
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _codes(number: str, width: float, roll: bool, s: dict[str, Any]) -> Table:
    """The QR code beside (A4) or above (roll) the Code 128 barcode with the number."""
    qr_size = 24 * mm if roll else 28 * mm
    bar_width = width if roll else min(width - qr_size - 6 * mm, 80 * mm)
    barcode = fit_code128(number, bar_width, 12 * mm)
    barcode.hAlign = "CENTER"
    caption = para(number, s["center"])
    qr = qr_drawing(number, qr_size)
    plain = TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
    if roll:
        table = Table([[qr], [barcode], [caption]], colWidths=[width])
    else:
        table = Table([[qr, Table([[barcode], [caption]], colWidths=[bar_width])]],
                      colWidths=[qr_size + 6 * mm, bar_width + 2], hAlign="LEFT")
    table.setStyle(plain)
    return table
