"""Printed documents: receipts, device labels, job sheets, feedback forms, reports.

Each document is a function taking plain frozen dataclasses (`shopdesk.printing.data`)
and returning PDF bytes. No database, no Qt: the services build the data
(`shopdesk.services.printing.print_data`) and the UI previews or prints the bytes.

Thread rule: any thread; pure (the fonts are registered once, under a lock).
"""

from __future__ import annotations

from shopdesk.printing.feedback import feedback_form
from shopdesk.printing.jobsheet import job_sheet
from shopdesk.printing.labels import device_labels
from shopdesk.printing.receipt import receipt
from shopdesk.printing.report import summary_report

__all__ = ["device_labels", "feedback_form", "job_sheet", "receipt", "summary_report"]
