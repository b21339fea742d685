"""Previewing and printing the PDFs the printing core makes (issue #6).

PDF pages are rasterised with PDFium (pypdfium2) — for the preview at screen
resolution, for a printer at its own resolution — so what prints is exactly
the PDF that `shopdesk print` would save. A print that cannot reach a printer
is kept in the print queue for reprint. GUI thread only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from shopdesk.services.printing.print_spool import PrintSpool
from shopdesk.ui.common.widgets import ErrorLabel, muted

PREVIEW_DPI = 96


class PrintFailed(Exception):
    """The PDF could not be sent to a printer; the message says why."""


def page_images(pdf: bytes, dpi: float) -> list[QImage]:
    """Every page of `pdf` as an image at `dpi`."""
    import pypdfium2 as pdfium  # on first use: 10 MB and 20 ms the start-up does without

    document = pdfium.PdfDocument(pdf)
    images = []
    try:
        for page in document:
            bitmap = page.render(scale=dpi / 72, rev_byteorder=True)
            image = QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride,
                           QImage.Format.Format_RGB888).copy()  # own the pixels
            images.append(image)
            page.close()
    finally:
        document.close()
    return images


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Send every page to `printer`; returns the pages printed, or raises PrintFailed."""
    if not printer.isValid():
        raise PrintFailed("no printer is available")
    resolution = printer.resolution()
    images = page_images(pdf, resolution)
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintFailed(f"the printer {printer.printerName() or ''} could not be started "
                          "(offline or out of paper?)".replace("  ", " "))
    try:
        for number, image in enumerate(images):
            if number:
                printer.newPage()
            target = printer.pageLayout().paintRectPixels(resolution)
            scaled = image.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRectF(0, 0, scaled.width(), scaled.height()), image)
    finally:
        painter.end()
    return len(images)


def print_direct(pdf: bytes, kind: str, reference: str, spool: PrintSpool) -> str:
    """Print to the default printer without a dialog (receipts, labels).

    On failure the PDF is kept for reprint and the message says so.
    """
    info = QPrinterInfo.defaultPrinter()
    try:
        if info.isNull():
            raise PrintFailed("no default printer is set up")
        pages = print_pdf(pdf, QPrinter(info, QPrinter.PrinterMode.HighResolution))
    except PrintFailed as exc:
        kept = spool.keep(pdf, kind, reference, str(exc))
        return f"Not printed: {exc}. Kept for reprint ({kept.path.name})."
    return f"Printed {pages} page(s) on {info.printerName()}."


class PrintPreviewDialog(QDialog):
    """Pages of one document, with Print…, Save as PDF… and Close. GUI thread only."""

    def __init__(self, pdf: bytes, title: str, kind: str, reference: str, spool: PrintSpool,
                 parent: QWidget | None = None, warning: str = "") -> None:
        super().__init__(parent)
        self.pdf, self.kind, self.reference, self.spool = pdf, kind, reference, spool
        self.setWindowTitle(title)
        self.resize(760, 820)
        pages = QWidget()
        column = QVBoxLayout(pages)
        column.setSpacing(14)
        self.page_labels: list[QLabel] = []
        for image in page_images(pdf, PREVIEW_DPI):
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image))
            label.setStyleSheet("background: white; border: 1px solid #c9ced6;")
            column.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
            self.page_labels.append(label)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(pages)
        self.message = ErrorLabel()
        self.status = muted(f"{len(self.page_labels)} page(s)")
        print_button = QPushButton("Print…  (Ctrl+P)")
        print_button.setProperty("primary", True)
        print_button.setShortcut("Ctrl+P")
        print_button.clicked.connect(self.print_with_dialog)
        save = QPushButton("Save as PDF…")
        save.clicked.connect(self.save_as)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status)
        buttons.addStretch(1)
        buttons.addWidget(save)
        buttons.addWidget(close)
        buttons.addWidget(print_button)
        # What the document lacks (a receipt without the shop's address), above it.
        self.warning = QLabel(warning)
        self.warning.setObjectName("printWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("QLabel#printWarning { background:#fff4e0; color:#8a5300;"
                                   " border:1px solid #f1cf94; border-radius:6px;"
                                   " padding:6px 10px; }")
        self.warning.setVisible(bool(warning))
        layout = QVBoxLayout(self)
        layout.addWidget(self.warning)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        print_button.setFocus()

    def print_to(self, printer: QPrinter) -> bool:
        """Print on `printer`; on failure keep the document for reprint and say so."""
        try:
            pages = print_pdf(self.pdf, printer)
        except PrintFailed as exc:
            kept = self.spool.keep(self.pdf, self.kind, self.reference, str(exc))
            self.message.show_message(f"Not printed: {exc}. Kept for reprint "
                                      f"({kept.path.name}).")
            return False
        self.status.setText(f"Printed {pages} page(s).")
        return True

    def print_with_dialog(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and self.print_to(printer):
            self.accept()

    def save_as(self, path: str | None = None) -> Path | None:
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save as PDF", f"{self.kind}-{self.reference}.pdf", "PDF (*.pdf)")
        if not path:
            return None
        target = Path(path)
        try:
            target.write_bytes(self.pdf)
        except OSError as exc:
            self.message.show_message(f"Could not save {target}: {exc.strerror or exc}")
            return None
        self.status.setText(f"Saved {target.name}.")
        return target
