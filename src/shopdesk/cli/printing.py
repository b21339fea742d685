"""The printing verbs: `print` a ticket's document and `report` as PDF files.

Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from shopdesk.cli import privacy
from shopdesk.cli.common import EXIT_OK, Subparsers, json_option, verb
from shopdesk.errors import ShopdeskError
from shopdesk.shop import Shop


def register(sub: Subparsers) -> None:
    printer = verb(sub, "print", _print, "write a ticket's document as PDF")
    printer.add_argument("document", choices=["receipt", "jobsheet", "labels", "feedback"])
    printer.add_argument("number", metavar="TICKET")
    printer.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    printer.add_argument("--paper", choices=["80mm", "a4", "letter"],
                         help="receipt paper (default: setting print.receipt_paper)")

    report = verb(sub, "report", _report, "write a manager report as PDF")
    report.add_argument("kind", choices=["summary", "feedback", "data-quality", "compliance",
                                         "due"],
                        help="due: make the privacy reports not made yet for their period "
                             "into <data dir>/reports (what the window does at start)")
    report.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD",
                        help="summary, feedback: first day")
    report.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD",
                        help="summary, feedback: last day")
    report.add_argument("--out", type=Path, metavar="FILE.pdf")
    report.add_argument("--db-key-stdin", action="store_true", help=argparse.SUPPRESS)
    json_option(report)


def _write_pdf(path: Path, pdf: bytes) -> None:
    if path.is_dir():
        raise ShopdeskError(f"cannot write {path}: it is a folder")
    try:
        path.write_bytes(pdf)
    except OSError as exc:
        raise ShopdeskError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path} ({len(pdf) // 1024 + 1} KB)")


def _print(shop: Shop, args: argparse.Namespace) -> int:
    documents: dict[str, Callable[[str], bytes]] = {
        "receipt": lambda n: shop.printing.receipt(n, args.paper),
        "jobsheet": shop.printing.jobsheet, "labels": shop.printing.labels,
        "feedback": shop.printing.feedback}
    _write_pdf(args.out, documents[args.document](args.number))
    if args.document == "receipt":
        for warning in shop.settings.receipt_warnings():
            print(f"shopdesk: warning: {warning}", file=sys.stderr)
    return EXIT_OK


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ShopdeskError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def _report(shop: Shop, args: argparse.Namespace) -> int:
    if args.kind == "due":
        return privacy.reports_due(shop, args.json)
    if args.kind not in ("summary", "feedback"):  # the privacy reports
        return privacy.report(shop, args.kind, args.out, args.json)
    for option, value in (("--from", args.date_from), ("--to", args.date_to),
                          ("--out", args.out)):
        if value is None:
            raise ShopdeskError(f"report {args.kind} needs {option}")
    start, end = _date(args.date_from, "--from"), _date(args.date_to, "--to")
    reports = {"summary": shop.printing.summary_report,
               "feedback": shop.printing.feedback_report}
    _write_pdf(args.out, reports[args.kind](start, end))
    return EXIT_OK
