"""Printed documents: receipts, device labels, job sheets, feedback forms, reports.

Each document is a function taking plain frozen dataclasses (`shopdesk.printing.data`)
and returning PDF bytes. No database, no Qt: the services build the data
(`shopdesk.services.printing.print_data`) and the UI previews or prints the bytes.

Thread rule: any thread; pure (the fonts are registered once, under a lock).

ReportLab is imported on first use, not with this package: it costs 17 MB of memory and
time at start-up, and a counter may print nothing for hours (`shopdesk.printing.data`,
the plain dataclasses, never imports it). `receipt` is drawn by
`shopdesk.printing.receipt.receipt`: the module's name would shadow a lazy attribute.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shopdesk.printing.feedback import feedback_form
    from shopdesk.printing.jobsheet import job_sheet
    from shopdesk.printing.labels import device_labels
    from shopdesk.printing.report import summary_report

__all__ = ["device_labels", "feedback_form", "job_sheet", "summary_report"]
_WHERE = {"feedback_form": "feedback", "job_sheet": "jobsheet", "device_labels": "labels",
          "summary_report": "report"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"shopdesk.printing.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'shopdesk.printing' has no attribute {name!r}")
