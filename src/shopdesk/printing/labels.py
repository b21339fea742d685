"""Device labels: one small label per device of a ticket, for the device's bag or tray.

Sizes: 62 mm x 29 mm (Brother DK-11209 and similar, the default) or
2.25" x 1.25" (Dymo / Zebra). Each label carries the ticket number (large, shrunk
to fit), a Code 128 barcode of it scaled to the label's width so it is never
cut off, the customer's name and the device (with IMEI or serial), and
"n/N" when the ticket has more than one device.

Thread rule: any thread; pure.
"""

from __future__ import annotations

import io

from reportlab.lib.units import inch, mm
from reportlab.pdfgen.canvas import Canvas

from shopdesk.printing import fonts
from shopdesk.printing.common import fit_code128
from shopdesk.printing.data import DeviceLine, LabelData

SIZES: dict[str, tuple[float, float]] = {
    "62x29mm": (62 * mm, 29 * mm),
    "2.25x1.25in": (2.25 * inch, 1.25 * inch),
}
MARGIN = 2 * mm
BARCODE_HEIGHT = 8 * mm


def label_size(size: str) -> tuple[float, float]:
    try:
        return SIZES[size]
    except KeyError:
        raise ValueError(f"unknown label size {size!r}; one of: {', '.join(SIZES)}") from None


def fitted(text: str, size: float, width: float, bold: bool = False) -> str:
    """`text` cut with an ellipsis so that it fits `width` at `size` points."""
    if fonts.text_width(text, size, bold) <= width:
        return text
    while text and fonts.text_width(text + "…", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def font_size_to_fit(text: str, width: float, largest: float, smallest: float = 6.0) -> float:
    size = largest
    while size > smallest and fonts.text_width(text, size, bold=True) > width:
        size -= 0.5
    return size


def device_labels(data: LabelData) -> bytes:
    """PDF bytes with one page (label) per device of the ticket."""
    fonts.register()
    page_w, page_h = label_size(data.size)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(page_w, page_h), pageCompression=1)
    canvas.setTitle(f"Labels {data.number}")
    devices = data.devices or (DeviceLine("", ""),)
    for index, device in enumerate(devices, start=1):
        _draw(canvas, data, device, index, len(devices), page_w, page_h)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _draw(canvas: Canvas, data: LabelData, device: DeviceLine, index: int, count: int,
          page_w: float, page_h: float) -> None:
    avail = page_w - 2 * MARGIN
    top = page_h - MARGIN
    counter = f"{index}/{count}" if count > 1 else ""
    counter_w = fonts.text_width(counter, 7, bold=True) + 2 if counter else 0.0
    size = font_size_to_fit(data.number, avail - counter_w, largest=14)
    canvas.setFont(fonts.BOLD, size)
    canvas.drawString(MARGIN, top - size * 0.85, data.number)
    if counter:
        canvas.setFont(fonts.BOLD, 7)
        canvas.drawRightString(page_w - MARGIN, top - size * 0.85, counter)
    # The barcode takes the height the text leaves (at least BARCODE_HEIGHT).
    bar_h = max(BARCODE_HEIGHT, top - size - 2.4 * mm - 16 - MARGIN)
    barcode = fit_code128(data.number, avail, bar_h, max_bar=0.38 * mm)
    bar_y = top - size - 1.2 * mm - bar_h
    barcode.drawOn(canvas, MARGIN + (avail - barcode.width) / 2, bar_y)
    canvas.setFont(fonts.BOLD, 7)
    name_y = bar_y - 1.2 * mm - 6
    canvas.drawString(MARGIN, name_y, fitted(data.customer_name, 7, avail, bold=True))
    text = " · ".join(x for x in (device.name, device.ident) if x)
    canvas.setFont(fonts.REGULAR, 6)
    canvas.drawString(MARGIN, name_y - 7.5, fitted(text, 6, avail))
