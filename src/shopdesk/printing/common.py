"""Shared pieces of the documents: styles, money, barcodes, logo, page numbers.

Thread rule: any thread; pure (ReportLab objects are made fresh per document).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, Paragraph

from shopdesk.domain.money import format_money
from shopdesk.printing import fonts
from shopdesk.printing.data import ShopHeader

GREY = colors.HexColor("#555555")
LIGHT = colors.HexColor("#dddddd")


def money(value: Decimal | None, currency: str, locale: str = "en_GB") -> str:
    """'£12.50', '12,50 €': the same rule as the screens (`domain.money.format_money`);
    "" for None."""
    return format_money(value, currency, locale)



def escape(text: str) -> str:
    """Text safe inside a Paragraph (which reads a little markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def styles(base: float = 9.0) -> dict[str, ParagraphStyle]:
    """Paragraph styles in DejaVu Sans at `base` points."""
    fonts.register()
    body = ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=base,
                          leading=base * 1.25)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=base * 0.8,
                                leading=base * 1.0, textColor=GREY),
        "bold": ParagraphStyle("bold", parent=body, fontName=fonts.BOLD),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        "bright": ParagraphStyle("bright", parent=body, alignment=TA_RIGHT,
                                 fontName=fonts.BOLD),
        "center": ParagraphStyle("center", parent=body, alignment=TA_CENTER),
        "title": ParagraphStyle("title", parent=body, fontName=fonts.BOLD,
                                fontSize=base * 1.6, leading=base * 2.0),
        "ctitle": ParagraphStyle("ctitle", parent=body, fontName=fonts.BOLD,
                                 fontSize=base * 1.4, leading=base * 1.8,
                                 alignment=TA_CENTER),
        "h2": ParagraphStyle("h2", parent=body, fontName=fonts.BOLD, fontSize=base * 1.2,
                             leading=base * 1.5, spaceBefore=base * 0.8,
                             spaceAfter=base * 0.3),
        "csmall": ParagraphStyle("csmall", parent=body, fontSize=base * 0.85,
                                 leading=base * 1.1, alignment=TA_CENTER),
    }


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept)."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def fit_code128(value: str, max_width: float, height: float,
                max_bar: float = 0.5 * mm) -> Code128:
    """A Code 128 barcode of `value` whose drawn width never exceeds `max_width`.

    The narrowest bar is as wide as fits (at most `max_bar`), so a long ticket
    number gets thinner bars instead of being cut off at the edge.
    """
    probe = Code128(value, barWidth=1, barHeight=height, quiet=0, humanReadable=0)
    modules = float(probe.width)
    bar = min(max_bar, max_width / modules * 0.999)
    return Code128(value, barWidth=bar, barHeight=height, quiet=0, humanReadable=0)


def qr_drawing(value: str, size: float) -> Drawing:
    """A square QR code of `value`, `size` points wide, quiet zone included."""
    widget = QrCodeWidget(value, barBorder=2)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def logo(shop: ShopHeader, max_width: float, max_height: float) -> Image | None:
    """The shop's logo scaled into the box, or None when unset or unreadable."""
    if not shop.logo_path or not Path(shop.logo_path).is_file():
        return None
    try:
        image = Image(shop.logo_path)
        ratio = min(max_width / image.imageWidth, max_height / image.imageHeight, 1.0)
        image.drawWidth = image.imageWidth * ratio
        image.drawHeight = image.imageHeight * ratio
        return image
    except Exception:  # a broken logo file must never stop a receipt from printing
        return None


def flow_height(items: list[Flowable], width: float) -> float:
    """Height the flowables take in one frame of `width` (for roll paper)."""
    canvas = Canvas(None)
    total = 0.0
    for i, item in enumerate(items):
        _w, h = item.wrapOn(canvas, width, 100_000)
        total += h + item.getSpaceAfter() + (item.getSpaceBefore() if i else 0)
    return total


class NumberedCanvas(Canvas):
    """A canvas that writes "Page N of M" at the foot of every page once M is known."""

    footer = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        count = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._draw_footer(count)
            super().showPage()
        super().save()

    def _draw_footer(self, count: int) -> None:
        width, _height = self._pagesize
        self.setFont(fonts.REGULAR, 8)
        self.setFillColor(GREY)
        self.drawRightString(width - 15 * mm, 10 * mm,
                             f"Page {self._pageNumber} of {count}")
        if self.footer:
            self.drawString(15 * mm, 10 * mm, self.footer)
