"""The support verbs: `support list [--overdue]` and `support show NUMBER`.

Reads only, through the same service the window's support pages use.
Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import sys

from shopdesk.cli.common import EXIT_OK, Subparsers, print_json, verb
from shopdesk.cli.repairs import group, json_flag, wants_json
from shopdesk.errors import ShopdeskError
from shopdesk.services.repairs.repair_views import SupportInfo
from shopdesk.shop import Shop


def register(sub: Subparsers) -> None:
    support = group(sub, "support", "support tickets and complaints: list, show")
    listing = verb(support, "list", _list, "support tickets, most recently changed first")
    listing.add_argument("--overdue", action="store_true",
                         help="only open tickets past their resolution target, most overdue "
                              "first")
    listing.add_argument("--status", help="only this status (open, resolved or closed)")
    listing.add_argument("--limit", type=int, default=500, metavar="N")
    json_flag(listing)
    show = verb(support, "show", _show, "one support ticket with its events")
    show.add_argument("number", metavar="NUMBER")
    json_flag(show)


def _line(t: SupportInfo) -> str:
    kind = "complaint" if t.complaint else "support"
    due = t.due_at.astimezone().strftime("%Y-%m-%d %H:%M")
    late = "  OVERDUE" if t.overdue else ""
    return (f"{t.number:<14} {t.status:<9} {t.priority:<7} {t.level:<12} {kind:<9} "
            f"{t.customer_code:<10} {t.customer_name:<24} due {due}{late}  {t.subject}")


def _list(shop: Shop, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise ShopdeskError("--limit must be at least 1")
    rows = (shop.support.overdue(limit=args.limit) if args.overdue
            else shop.support.list(status=args.status, limit=args.limit))
    if wants_json(args):
        return print_json(rows)
    for t in rows:
        print(_line(t))
    what = "overdue support tickets" if args.overdue else "support tickets"
    print(f"{len(rows)} {what}" + (" (--limit N to see more)" if len(rows) >= args.limit
                                    else ""), file=sys.stderr)
    return EXIT_OK


def _show(shop: Shop, args: argparse.Namespace) -> int:
    detail = shop.support.get(args.number)
    if wants_json(args):
        return print_json(detail)
    t = detail.ticket
    print(_line(t))
    if t.repair_ticket_number:
        print(f"  repair ticket {t.repair_ticket_number}")
    print(f"  {t.description}")
    if t.resolution:
        print(f"  resolution: {t.resolution}"
              + (f" (refund {t.refund})" if t.refund is not None else ""))
    for e in detail.events:
        what = e.step or (f"{e.from_level} -> {e.to_level}" if e.to_level else "")
        print(f"  {e.at.astimezone():%Y-%m-%d %H:%M}  {e.kind:<14} {what:<24} "
              f"{e.staff_name}" + (f"  {e.note}" if e.note else ""))
    if detail.next_complaint_step:
        print(f"  next complaint step: {detail.next_complaint_step}")
    return EXIT_OK
