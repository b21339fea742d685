"""The privacy reports as A4 PDFs: headline figures, then one table per section, each
flowing over as many pages as it needs with its header repeated; "Page N of M".

Thread rule: any thread; pure.
"""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table, TableStyle

from shopdesk.printing import fonts
from shopdesk.printing.common import LIGHT, NumberedCanvas, para, styles
from shopdesk.printing.privacy_data import PrivacyReport, Section

MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN - 12
HEAD = colors.HexColor("#eef2f7")


def privacy_report(data: PrivacyReport) -> bytes:
    """PDF bytes of a data-quality or compliance report."""
    fonts.register()
    s = styles(8.5)
    items: list[Flowable] = [
        para(f"{data.shop.name}: {data.title}", s["title"]),
        para(f"{data.period} · generated {data.generated_at:%d %b %Y %H:%M} UTC",
             s["small"]),
        Spacer(1, 4 * mm)]
    if data.figures:
        cells = [[para(label, s["small"]) for label, _ in data.figures],
                 [para(value, s["bold"]) for _, value in data.figures]]
        columns = len(data.figures)
        figures = Table(cells, colWidths=[WIDTH / columns] * columns, hAlign="LEFT")
        figures.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.4, LIGHT),
                                     ("BACKGROUND", (0, 0), (-1, -1), HEAD),
                                     ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        items += [figures, Spacer(1, 3 * mm)]
    for part in data.sections:
        items += _section(part, s)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN + 5 * mm,
                            title=data.title, author=data.shop.name)

    class Footer(NumberedCanvas):
        footer = f"{data.shop.name} · {data.title} · {data.period}"

    doc.build(items, canvasmaker=Footer)
    return out.getvalue()


def _section(part: Section, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    shown = f" ({part.total})" if part.total else ""
    items: list[Flowable] = [para(part.title + shown, s["h2"])]
    if part.note:
        items.append(para(part.note, s["small"]))
    if not part.rows:
        items += [para("None.", s["body"]), Spacer(1, 2 * mm)]
        return items
    widths = _widths(part)
    rows = [[para(h, s["bold"]) for h in part.header]]
    rows += [[para(c, s["body"]) for c in row] for row in part.rows]
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), HEAD), ("LINEBELOW", (0, 0), (-1, -1), 0.3, LIGHT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
    items += [Spacer(1, 1.5 * mm), table]
    if part.cut:
        items.append(para(f"… and {part.total - len(part.rows)} more (the first "
                          f"{len(part.rows)} are listed).", s["small"]))
    items.append(Spacer(1, 3 * mm))
    return items


def _widths(part: Section) -> list[float]:
    """Columns share the width by how much text they hold (at least 8% each)."""
    lengths = [max([len(h)] + [len(r[i]) for r in part.rows[:100]])
               for i, h in enumerate(part.header)]
    weights = [min(max(n, 4), 60) for n in lengths]
    total = sum(weights)
    raw = [max(0.08, w / total) for w in weights]
    scale = sum(raw)
    return [WIDTH * r / scale for r in raw]
