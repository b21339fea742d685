"""The feedback form (spec 8) handed over at pickup.

Overall satisfaction on a 5-point scale, Net Promoter (0-10), Customer Effort
(1-7, "the shop made it easy"), lines for comments, the ticket it concerns, and
a QR code to the shop's online survey when `survey_url` is set.

Thread rule: any thread; pure.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table, TableStyle

from shopdesk.printing import fonts
from shopdesk.printing.common import LIGHT, logo, para, qr_drawing, styles
from shopdesk.printing.data import FeedbackData

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN - 12
SATISFACTION = ("Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied")
EFFORT = ("Strongly disagree", "", "", "Neutral", "", "", "Strongly agree")


def feedback_form(data: FeedbackData) -> bytes:
    """PDF bytes of the one-page feedback form."""
    fonts.register()
    s = styles(10)
    items: list[Flowable] = []
    image = logo(data.shop, 45 * mm, 16 * mm)
    if image is not None:
        image.hAlign = "LEFT"
        items.append(image)
    # The form's own code (FB-<ticket>): scanned at the counter, it opens the entry screen.
    code = qr_drawing(f"FB-{data.number}", 18 * mm)
    heading = Table([[[para(data.shop.name, s["title"]), para("How did we do?", s["h2"])],
                      code]], colWidths=[WIDTH - 20 * mm, 20 * mm], hAlign="LEFT")
    heading.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    items.append(heading)
    about = f"Ticket {data.number} · {data.customer_name}"
    if data.devices:
        about += " · " + ", ".join(data.devices)
    if data.collected_on:
        about += f" · collected {data.collected_on:%d %b %Y}"
    items += [para(about, s["body"]), Spacer(1, 4 * mm)]
    items += [para("1. Overall, how satisfied are you with your repair?", s["bold"]),
              _scale([f"{i}" for i in range(1, 6)], list(SATISFACTION), s)]
    items += [para("2. How likely are you to recommend us to a friend or colleague? "
                   "(0 = not at all likely, 10 = extremely likely)", s["bold"]),
              _scale([str(i) for i in range(11)], [""] * 11, s)]
    items += [para("3. \u201cThe shop made it easy to get my device repaired.\u201d", s["bold"]),
              _scale([str(i) for i in range(1, 8)], list(EFFORT), s)]
    items += [para("4. Anything we could do better? Anything we did well?", s["bold"]),
              _lines(6)]
    if data.survey_url:
        items += [Spacer(1, 5 * mm), _survey(data.survey_url, s)]
    items += [Spacer(1, 4 * mm),
              para("Thank you for your time. Hand this form in at the counter or drop it "
                   "in the box by the door.", s["small"])]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN,
                            title=f"Feedback {data.number}", author=data.shop.name)
    doc.build(items)
    return out.getvalue()


def _scale(marks: list[str], captions: list[str], s: dict[str, Any]) -> Table:
    """A row of boxes to tick, numbered, with captions under some of them."""
    col = WIDTH / len(marks)
    rows = [[para(f"☐ {m}", s["center"]) for m in marks],
            [para(c, s["csmall"]) if c else "" for c in captions]]
    table = Table(rows, colWidths=[col] * len(marks), hAlign="LEFT")
    table.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER"),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, 0), 3 * mm),
                               ("BOTTOMPADDING", (0, 1), (-1, 1), 4 * mm)]))
    return table


def _lines(count: int) -> Table:
    table = Table([[""] for _ in range(count)], colWidths=[WIDTH], rowHeights=[9 * mm] * count)
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.5, LIGHT)]))
    return table


def _survey(url: str, s: dict[str, Any]) -> Table:
    size = 30 * mm
    text = [para("Prefer to answer online?", s["bold"]),
            para("Scan the code with your phone's camera, or visit:", s["body"]),
            para(url, s["body"])]
    table = Table([[qr_drawing(url, size), text]],
                  colWidths=[size + 5 * mm, WIDTH - size - 5 * mm],
                  hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table
