"""The privacy reports on screen: monthly data quality, quarterly compliance review.

The report is built by ``shopdesk report KIND --json`` in a child process (a read-pool
thread waits for it): the data-quality check validates every stored number in Python,
seconds to a minute on a big shop, which on a thread of the window would hold the
interpreter lock and stall typing. It is shown as a document (headline figures, then each
section's table); **Save PDF…** (Alt+S) writes the same report as a PDF, which is
recorded in the audit trail like any export of customer data. Closing the dialog ends a
child still at work.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from shopdesk.printing.privacy_data import PrivacyReport
from shopdesk.services.child import ChildRun, child_command
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager


def report_html(report: PrivacyReport) -> str:
    """The report as simple HTML (QTextBrowser's subset)."""
    parts = [f"<h2>{escape(report.shop.name)}: {escape(report.title)}</h2>",
             f"<p style='color:#6b7280'>{escape(report.period)} · generated "
             f"{report.generated_at:%d %b %Y %H:%M} UTC</p><table cellpadding='4'><tr>"]
    parts += [f"<td style='background:#eef2f7'><small>{escape(label)}</small><br>"
              f"<b>{escape(value)}</b></td>" for label, value in report.figures]
    parts.append("</tr></table>")
    for section in report.sections:
        parts.append(f"<h3>{escape(section.title)} ({section.total})</h3>")
        if section.note:
            parts.append(f"<p style='color:#6b7280'>{escape(section.note)}</p>")
        if not section.rows:
            parts.append("<p>None.</p>")
            continue
        parts.append("<table border='0' cellspacing='0' cellpadding='3' width='100%'><tr>"
                     + "".join(f"<th align='left' style='background:#eef2f7'>{escape(h)}</th>"
                               for h in section.header) + "</tr>")
        for row in section.rows:
            parts.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
        parts.append("</table>")
        if section.cut:
            parts.append(f"<p><small>… and {section.total - len(section.rows)} more in the "
                         "PDF's source data.</small></p>")
    return "".join(parts)


class ReportsDialog(QDialog):
    """See the module docstring. GUI thread only."""

    def __init__(self, shop: Shop, ops: TaskManager, kind: str = "data-quality",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.report: PrivacyReport | None = None
        self._child = ChildRun(child_command(shop.root, "report"), shop.key.key + shop.key.salt)
        self.finished.connect(lambda _result: self._child.kill())
        self.setWindowTitle("Privacy reports")
        self.resize(900, 680)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.addItem("Monthly data-quality check", "data-quality")
        self.kind.addItem("Quarterly compliance review", "compliance")
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.kind.currentIndexChanged.connect(lambda _i: self.load())
        label = QLabel("&Report")
        label.setBuddy(self.kind)
        self.save_button = QPushButton("&Save PDF…")
        self.save_button.clicked.connect(self.choose_file)
        self.status = QLabel()
        top.addWidget(label)
        top.addWidget(self.kind)
        top.addWidget(self.status, 1)
        top.addWidget(self.save_button)
        layout.addLayout(top)
        self.view = QTextBrowser()
        layout.addWidget(self.view, 1)
        self.load()

    def load(self) -> None:
        kind, child = self.kind.currentData(), self._child
        self.save_button.setEnabled(False)
        self.status.setText("Checking…")
        self.ops.query(self, lambda: PrivacyReport.from_json(child.run(kind, "--json")),
                       self._show, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"The report could not be made: {error}")

    def _show(self, report: PrivacyReport) -> None:
        if report.kind != self.kind.currentData():
            return
        self.report = report
        self.view.setHtml(report_html(report))
        self.status.setText("")
        self.save_button.setEnabled(True)

    def choose_file(self) -> None:
        if self.report is None:
            return
        name = f"{self.report.kind}-{self.report.generated_at:%Y-%m-%d}.pdf"
        path, _ = QFileDialog.getSaveFileName(self, "Save the report",
                                              str(Path.home() / name), "PDF (*.pdf)")
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        report, reports = self.report, self.shop.privacy_reports
        if report is None:
            return
        self.ops.write(self, lambda: reports.pdf(report, path),
                       lambda _: self.status.setText(f"Saved {path.name}"))
