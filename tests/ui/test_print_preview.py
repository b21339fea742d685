"""Preview, print and keep-for-reprint of generated PDFs (issue #6), offscreen."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
from PySide6.QtPrintSupport import QPrinter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from shopdesk.services.printing.print_spool import PrintSpool
from shopdesk.ui.printing.print_preview import (
    PrintPreviewDialog,
    page_images,
    print_direct,
    print_pdf,
)


def two_pages() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 760, "Receipt R-TEST-0001")
    pdf.showPage()
    pdf.drawString(72, 760, "Page two")
    pdf.save()
    return buffer.getvalue()


def pages_of(data: bytes) -> int:
    return len(pdfium.PdfDocument(data))


def test_pages_render_at_the_asked_resolution() -> None:
    images = page_images(two_pages(), 72)
    assert len(images) == 2
    assert images[0].width() in (595, 596) and images[0].height() == 842  # A4 at 72 dpi
    # Not blank: the text left dark pixels.
    assert any(images[0].pixelColor(x, 82).lightness() < 128 for x in range(72, 300))


def test_printing_goes_to_the_printer_page_by_page(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    target = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(target))
    assert print_pdf(two_pages(), printer) == 2
    assert pages_of(target.read_bytes()) == 2


def test_preview_dialog_shows_saves_and_prints(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spool = PrintSpool(tmp_path)
    data = two_pages()
    dialog = PrintPreviewDialog(data, "Receipt", "receipt", "R-TEST-0001", spool)
    qtbot.addWidget(dialog)
    assert len(dialog.page_labels) == 2
    assert "2 page(s)" in dialog.status.text()
    saved = dialog.save_as(str(tmp_path / "copy.pdf"))
    assert saved is not None and saved.read_bytes() == data
    bad = dialog.save_as(str(tmp_path / "missing-folder" / "x.pdf"))
    assert bad is None and "Could not save" in dialog.message.text()
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "out.pdf"))
    assert dialog.print_to(printer)
    assert pages_of((tmp_path / "out.pdf").read_bytes()) == 2
    assert spool.pending() == []


def test_a_failed_print_is_kept_for_reprint(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spool = PrintSpool(tmp_path)
    data = two_pages()
    # The offscreen test machine has no printer at all.
    message = print_direct(data, "receipt", "R-TEST-0001", spool)
    assert message.startswith("Not printed:") and "Kept for reprint" in message
    [kept] = spool.pending()
    assert (kept.kind, kept.reference) == ("receipt", "R-TEST-0001")
    assert kept.path.read_bytes() == data and "printer" in kept.reason
    dialog = PrintPreviewDialog(data, "Receipt", "labels", "R-TEST-0002", spool)
    qtbot.addWidget(dialog)
    nowhere = QPrinter()
    nowhere.setPrinterName("no-such-printer")
    assert not dialog.print_to(nowhere)
    assert "Kept for reprint" in dialog.message.text()
    assert [p.kind for p in spool.pending()] == ["receipt", "labels"]
    spool.done(spool.pending()[0])
    assert [p.reference for p in spool.pending()] == ["R-TEST-0002"]
