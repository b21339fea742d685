"""The repair verbs: `devices history`, `tickets list` and `tickets show`.

Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from shopdesk.cli.common import EXIT_OK, Subparsers, json_option, print_json, verb
from shopdesk.errors import ShopdeskError
from shopdesk.shop import Shop


def register(sub: Subparsers) -> None:
    devices = verb(sub, "devices", _devices, "look up devices")
    devices.add_argument("action", choices=["history"])
    devices.add_argument("identifier", metavar="IMEI_OR_SERIAL")
    json_option(devices)

    tickets = verb(sub, "tickets", _tickets, "list or show repair tickets")
    tickets.add_argument("action", choices=["list", "show"])
    tickets.add_argument("number", nargs="?", metavar="NUMBER")
    tickets.add_argument("--status", help="only tickets in this status (default: open ones)")
    tickets.add_argument("--limit", type=int, default=500, metavar="N")
    json_option(tickets)


def _day(value: datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def _devices(shop: Shop, args: argparse.Namespace) -> int:
    history = shop.devices.history_of(args.identifier)
    if args.json:
        return print_json(history)
    d = history.device
    print(f"{d.make} {d.model}  IMEI {d.imei or '-'}  IMEI2 {d.imei2 or '-'}  "
          f"serial {d.serial or '-'}  condition {d.condition}")
    print(f"owner {d.customer_code} {d.customer_name}; shop warranty until "
          f"{d.shop_warranty_until or '-'}; {len(history.owners)} owner(s) so far")
    for e in history.entries:
        amount = "" if e.amount is None else f"{e.amount:>9}"
        status = f" [{e.status}]" if e.status else ""
        print(f"{_day(e.at)}  {e.title:<16} {e.owner_code:<10} {amount}{status}  "
              f"{e.description}")
        if e.pre_existing_faults:
            print(f"{'':18}pre-existing: {e.pre_existing_faults}")
    if not history.entries:
        print("no tickets or services yet")
    return EXIT_OK


def _tickets(shop: Shop, args: argparse.Namespace) -> int:
    if args.action == "show":
        return _show(shop, args)
    if args.limit < 1:
        raise ShopdeskError("--limit must be at least 1")
    board = shop.tickets.board(status=args.status, limit=args.limit)
    if args.json:
        return print_json(board)
    for t in board:
        print(f"{t.number:<14} {t.status:<18} {t.customer_code:<10} {t.customer_name:<28} "
              f"{t.technician_name or '-':<16} {t.devices}")
    print(f"{len(board)} tickets", file=sys.stderr)
    return EXIT_OK


def _show(shop: Shop, args: argparse.Namespace) -> int:
    if not args.number:
        raise ShopdeskError("tickets show needs a NUMBER")
    detail = shop.tickets.get(args.number)
    if args.json:
        return print_json(detail)
    s = detail.summary
    print(f"{s.number}  {s.status}  {s.customer_code} {s.customer_name}"
          + (f"  technician {s.technician_name}" if s.technician_name else "")
          + ("  WARRANTY REWORK" if s.warranty_rework else ""))
    print(f"estimate {s.estimate if s.estimate is not None else '-'}  deposit "
          f"{detail.deposit}  final {detail.final_amount or '-'}")
    for d in detail.devices:
        print(f"  {d.device.label}: {d.fault}"
              + (f" (pre-existing: {d.pre_existing_faults})" if d.pre_existing_faults
                 else ""))
    for h in detail.history:
        print(f"  {_day(h.at)}  {h.from_status or '-'} -> {h.to_status}  {h.staff_name}"
              + (f"  {h.note}" if h.note else ""))
    return EXIT_OK
