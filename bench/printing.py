"""Printing figures: a receipt renders in < 50 ms (median of 50); a 50-page report in < 3 s.

    python bench/printing.py

Pure rendering from plain data (no database): what the counter waits for after
the data is read.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date, datetime
from decimal import Decimal

# Without an OS keyring (a headless machine, a child process) the database key comes
# from a passphrase, as on a headless shop computer.
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")

from shopdesk.printing.data import (
    ChargeLine,
    CountRow,
    DeviceLine,
    ReceiptData,
    ReportData,
    ShopHeader,
    TicketRow,
)
from shopdesk.printing.receipt import receipt
from shopdesk.printing.report import summary_report

SHOP = ShopHeader("Fix-It Phones", "12 High Street\nLondon N1 9GU", "+44 20 7946 0000")
NAMES = ["Łukasz Żółć", "Řehoř Dvořák", "Şükrü Güneş", "Αλέξανδρος Παπαδόπουλος",
         "Дмитрий Иванов", "Ana López"]


def sample_receipt() -> ReceiptData:
    d = Decimal
    return ReceiptData(
        SHOP, "R-AB12-0001", datetime(2026, 11, 24, 10, 5), "Łukasz Żółć", "AB12-0001",
        (DeviceLine("Apple", "iPhone 13", "353911101234567"),
         DeviceLine("Samsung", "Galaxy S10", "352916120000014")),
        (ChargeLine("Screen assembly", 1, d("79.00"), d("79.00")),
         ChargeLine("Adhesive strip", 2, d("2.50"), d("5.00")),
         ChargeLine("Labour: Apple iPhone 13", 1, d("25.00"), d("25.00")),
         ChargeLine("Labour: Samsung Galaxy S10", 1, d("30.50"), d("30.50"))),
        d("139.50"), d("20"), d("23.25"), d("20.00"), d("119.50"), "Card", d("0.00"),
        "Repairs are guaranteed for 90 days from pickup.", date(2027, 2, 22), "Tomasz")


def sample_report(rows: int) -> ReportData:
    tickets = tuple(TicketRow(f"R-AB12-{i:05d}", date(2026, 11, 1 + i % 28), NAMES[i % 6],
                              "Tomasz", "Collected", "Apple iPhone 13", Decimal("49.50"))
                    for i in range(rows))
    return ReportData(
        SHOP, date(2026, 11, 1), date(2026, 11, 30), datetime(2026, 12, 1, 9, 0),
        (CountRow("Walk-in", 40), CountRow("Online form", 12), CountRow("WhatsApp", 9)),
        (CountRow("Received", 5), CountRow("In repair", 7), CountRow("Collected", rows)),
        (CountRow("Tomasz", rows, Decimal("2400.00")), CountRow("Aisha", 30, Decimal("1800"))),
        (CountRow("Repair", rows, Decimal("4000.00")), CountRow("Part purchase", 20,
                                                                Decimal("300.00"))),
        tickets)


def main() -> None:
    data = sample_receipt()
    receipt(data)  # fonts registered once per process, not counted
    times = []
    for _ in range(50):
        started = time.perf_counter()
        receipt(data)
        times.append((time.perf_counter() - started) * 1000)
    print(f"receipt (80 mm): median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
          "over 50 runs (target < 50 ms)")
    report = sample_report(2900)
    started = time.perf_counter()
    pdf = summary_report(report)
    seconds = time.perf_counter() - started
    pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
    print(f"summary report: {pages} pages in {seconds:.2f} s (target: 50 pages < 3 s)")


if __name__ == "__main__":
    main()
