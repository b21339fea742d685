"""The manager summary report for a date range (spec 7.1), on A4 with page numbers.

New customers by registration channel, tickets by status and by technician,
revenue by service type, each a table with a ReportLab chart (bar or pie), then
every ticket of the period in a table that flows over as many pages as it
needs, its header repeated; each page ends with "Page N of M".

Thread rule: any thread; pure.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from shopdesk.printing import fonts
from shopdesk.printing.common import LIGHT, NumberedCanvas, money, para, styles
from shopdesk.printing.data import CountRow, ReportData

MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN - 12
PALETTE = [colors.HexColor(c) for c in ("#2f6db5", "#e07b39", "#3a9a5b", "#c4453c",
                                         "#7d5ba6", "#8c6d46", "#d36fa8", "#6f7f8f")]


def summary_report(data: ReportData) -> bytes:
    """PDF bytes of the summary report."""
    fonts.register()
    s = styles(9)
    cur = (data.shop.currency, data.shop.locale)
    items: list[Flowable] = [
        para(f"{data.shop.name}: summary report", s["title"]),
        para(f"{data.date_from:%d %b %Y} to {data.date_to:%d %b %Y} · generated "
             f"{data.generated_at:%d %b %Y %H:%M}", s["small"]),
        Spacer(1, 4 * mm)]
    total_revenue = sum((r.amount or Decimal(0) for r in data.revenue_by_service), Decimal(0))
    new_customers = sum(r.count for r in data.customers_by_channel)
    tickets = sum(r.count for r in data.tickets_by_status)
    items.append(_grid([["New customers", "Tickets opened", "Revenue"],
                        [str(new_customers), str(tickets), money(total_revenue, *cur)]], s,
                       header=True, widths=[WIDTH / 3] * 3))
    sections = [
        ("New customers by registration channel", data.customers_by_channel,
         ["Channel", "Customers"], False, "pie"),
        ("Tickets by status", data.tickets_by_status, ["Status", "Tickets"], False, "bar"),
        ("Tickets by technician", data.tickets_by_technician,
         ["Technician", "Tickets", "Collected"], True, "bar"),
        ("Revenue by service type", data.revenue_by_service,
         ["Service type", "Count", "Revenue"], True, "pie"),
    ]
    for title, rows, header, with_amount, chart in sections:
        items.append(KeepTogether(_section(title, rows, header, with_amount, chart, cur, s)))
    items += [PageBreak(), para(f"Tickets opened ({len(data.tickets)})", s["h2"])]
    items.append(_tickets_table(data, s))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN + 5 * mm,
                            title="Summary report", author=data.shop.name)

    class Footer(NumberedCanvas):
        footer = (f"{data.shop.name} · summary {data.date_from:%Y-%m-%d} to "
                  f"{data.date_to:%Y-%m-%d}")

    doc.build(items, canvasmaker=Footer)
    return out.getvalue()


def _section(title: str, rows: tuple[CountRow, ...], header: list[str], with_amount: bool,
             chart: str, cur: tuple[str, str], s: dict[str, Any]) -> list[Flowable]:
    body = [[r.label, str(r.count)] + ([money(r.amount, *cur)] if with_amount else [])
            for r in rows] or [["none in this period", ""] + ([""] if with_amount else [])]
    table_w = WIDTH * 0.48
    widths = ([table_w * 0.46, table_w * 0.22, table_w * 0.32] if with_amount
              else [table_w * 0.7, table_w * 0.3])
    table = _grid([header, *body], s, header=True, widths=widths)
    values = [float(r.amount or 0) if with_amount and chart == "pie" else r.count for r in rows]
    drawing = (_pie if chart == "pie" else _bars)([r.label for r in rows], values,
                                                   WIDTH - table_w - 4 * mm)
    both = Table([[table, drawing]], colWidths=[table_w + 4 * mm, WIDTH - table_w - 4 * mm])
    both.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [para(title, s["h2"]), both, Spacer(1, 3 * mm)]


def _grid(rows: list[list[str]], s: dict[str, Any], header: bool,
          widths: list[float]) -> Table:
    cells = [[para(c, s["bold"] if header and i == 0 else s["body"]) for c in row]
             for i, row in enumerate(rows)]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, LIGHT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
    return table


def _bars(labels: list[str], values: list[float], width: float) -> Drawing:
    height = max(30 * mm, 7 * mm * len(values) + 12 * mm)
    drawing = Drawing(width, height)
    if not values:
        drawing.add(String(width / 2, height / 2, "no data", fontName=fonts.REGULAR,
                           fontSize=8, textAnchor="middle"))
        return drawing
    chart = HorizontalBarChart()
    chart.x, chart.y = 30 * mm, 8 * mm
    chart.width, chart.height = width - 34 * mm, height - 12 * mm
    chart.data = [list(reversed(values))]
    chart.categoryAxis.categoryNames = [_short(x, 18) for x in reversed(labels)]
    chart.categoryAxis.labels.fontName = fonts.REGULAR
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = fonts.REGULAR
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = PALETTE[0]
    chart.bars[0].strokeColor = None
    drawing.add(chart)
    return drawing


def _pie(labels: list[str], values: list[float], width: float) -> Drawing:
    height = 42 * mm
    drawing = Drawing(width, height)
    if not any(values):
        drawing.add(String(width / 2, height / 2, "no data", fontName=fonts.REGULAR,
                           fontSize=8, textAnchor="middle"))
        return drawing
    pie = Pie()
    size = height - 8 * mm
    pie.x, pie.y, pie.width, pie.height = 4 * mm, 4 * mm, size, size
    pie.data = values
    pie.slices.strokeColor = colors.white
    for i in range(len(values)):
        pie.slices[i].fillColor = PALETTE[i % len(PALETTE)]
    drawing.add(pie)
    total = sum(values) or 1.0
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = height - 6 * mm - i * 4.2 * mm
        if y < 2 * mm:
            break
        drawing.add(Rect(size + 9 * mm, y, 2.6 * mm, 2.6 * mm, strokeColor=None,
                         fillColor=PALETTE[i % len(PALETTE)]))
        drawing.add(String(size + 13 * mm, y + 0.4 * mm,
                           f"{_short(label, 22)} ({value / total:.0%})",
                           fontName=fonts.REGULAR, fontSize=7))
    return drawing


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tickets_table(data: ReportData, s: dict[str, Any]) -> Table:
    """Plain-string cells (no Paragraphs): a 50-page table renders in about a second."""
    cur = (data.shop.currency, data.shop.locale)
    header = ["Ticket", "Opened", "Customer", "Technician", "Status", "Devices", "Amount"]
    fractions = [0.14, 0.1, 0.25, 0.13, 0.1, 0.16, 0.12]
    widths = [WIDTH * f for f in fractions]
    rows: list[list[str]] = [header]
    for t in data.tickets:
        rows.append([t.number, f"{t.created_on:%Y-%m-%d}",
                     _fit(t.customer_name, widths[2]), _fit(t.technician or "-", widths[3]),
                     _fit(t.status, widths[4]), _fit(t.devices, widths[5]),
                     money(t.amount, *cur)])
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), fonts.REGULAR, 7.5),
        ("FONT", (0, 0), (-1, 0), fonts.BOLD, 8),
        ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, LIGHT),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return table


def _fit(text: str, width: float, size: float = 7.5) -> str:
    room = width - 8  # the cell's padding
    if fonts.text_width(text, size) <= room:
        return text
    while text and fonts.text_width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"
