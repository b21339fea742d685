"""Printed documents: receipts, device labels, job sheets, feedback forms, reports.

Each document is a function taking plain frozen dataclasses (`shopdesk.printing.data`)
and returning PDF bytes. No database, no Qt: the services build the data
(`shopdesk.services.printing.print_data`) and the UI previews or prints the bytes.

Thread rule: any thread; pure (the fonts are registered once, under a lock).

Each document is imported from its own module (`shopdesk.printing.receipt.receipt`,
...), where it is used: ReportLab costs 17 MB and time at start-up, and a counter may
print nothing for hours (`shopdesk.printing.data`, the plain dataclasses, never imports
it).
"""
