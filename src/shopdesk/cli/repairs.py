"""The repair verbs: `devices history` and `tickets list|show|new|move|pickup`.

Each verb is one call of the same service the window uses, so the rules and the
refusals are the window's: a move the workflow forbids, an IMEI with a wrong
check digit, an amount that is not one, a pickup whose work lines do not add
up. A refusal is one line naming the field and the rule, and exit code 1
(nothing was written); a missing or contradictory option is a usage error
(exit 2). `--json` prints the record the service returned.

Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime

from shopdesk.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    Parser,
    Subparsers,
    data_dir_option,
    fail,
    plain,
    print_json,
    verb,
)
from shopdesk.domain.device_rules import DeviceInput
from shopdesk.domain.money import format_money
from shopdesk.errors import ShopdeskError, ValidationError
from shopdesk.services.repairs.repair_views import TicketDetail, TicketSaved
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop


def json_flag(parser: argparse.ArgumentParser) -> None:
    """--json on a verb and on its group alike (`tickets --json list` or `tickets list --json`):
    SUPPRESS, so the action's parser does not reset what the group's set."""
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="JSON output")


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def refused(error: ValidationError) -> int:
    """A core refusal as the one-line error: each field, what is wrong, the rule."""
    return fail("; ".join(f"{e.field}: {e.message} (rule: {e.rule})" for e in error.errors),
                EXIT_FAILURE)


def group(sub: Subparsers, name: str, help: str) -> Subparsers:
    """A verb group (`tickets`, `support`) whose actions are verbs of their own."""
    parser = sub.add_parser(name, help=help)
    data_dir_option(parser)
    json_flag(parser)
    actions: Subparsers = parser.add_subparsers(dest="action", required=True,
                                                metavar="ACTION", parser_class=Parser)
    return actions


def register(sub: Subparsers) -> None:
    devices = verb(sub, "devices", _devices, "look up devices")
    devices.add_argument("action", choices=["history"])
    devices.add_argument("identifier", metavar="IMEI_OR_SERIAL")
    json_flag(devices)

    tickets = group(sub, "tickets", "repair tickets: list, show, new, move, pickup")
    listing = verb(tickets, "list", _list, "open repair tickets (or one status)")
    listing.add_argument("--status", help="only tickets in this status (default: open ones)")
    listing.add_argument("--limit", type=int, default=500, metavar="N")
    json_flag(listing)
    show = verb(tickets, "show", _show, "one ticket in full")
    show.add_argument("number", metavar="NUMBER")
    json_flag(show)

    new = verb(tickets, "new", _new, "open a repair ticket for one device")
    new.add_argument("--customer", required=True, metavar="CODE", help="the customer's code")
    which = new.add_mutually_exclusive_group(required=True)
    which.add_argument("--imei", help="the device's IMEI (a device on file is reused)")
    which.add_argument("--serial", help="the serial number of a device without an IMEI")
    new.add_argument("--make", help="needed for a device not on file yet")
    new.add_argument("--model", help="needed for a device not on file yet")
    new.add_argument("--fault", required=True, metavar="TEXT",
                     help="the fault, as the customer describes it")
    new.add_argument("--estimate", metavar="X")
    new.add_argument("--deposit", metavar="X", default="0")
    new.add_argument("--promised-by", metavar="YYYY-MM-DD",
                     help="the day promised (default: today + repairs.promised_days)")
    json_flag(new)

    move = verb(tickets, "move", _move, "move a ticket to another status")
    move.add_argument("number", metavar="NUMBER")
    move.add_argument("status", metavar="STATUS")
    move.add_argument("--note", default="", help="kept in the status history")
    json_flag(move)

    pickup = verb(tickets, "pickup", _pickup, "hand a ready ticket back, paid")
    pickup.add_argument("number", metavar="NUMBER")
    pickup.add_argument("--amount", required=True, metavar="X", help="the final amount")
    pickup.add_argument("--method", required=True, metavar="METHOD",
                        help="cash, card, mobile_money, bank_transfer or store_credit")
    json_flag(pickup)


def _day(value: datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def _money(shop: Shop) -> tuple[str, str]:
    return shop.settings.money_format()


def _devices(shop: Shop, args: argparse.Namespace) -> int:
    history = shop.devices.history_of(args.identifier)
    if wants_json(args):
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


def _list(shop: Shop, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise ShopdeskError("--limit must be at least 1")
    board = shop.tickets.board(status=args.status, limit=args.limit)
    if wants_json(args):
        return print_json(board)
    for t in board:
        print(f"{t.number:<14} {t.status:<18} {t.customer_code:<10} {t.customer_name:<28} "
              f"{t.technician_name or '-':<16} {t.devices}")
    every = shop.tickets.count(status=args.status) if len(board) >= args.limit else len(board)
    more = f" of {every} (--limit N to see more)" if every > len(board) else ""
    print(f"{len(board)} tickets{more}", file=sys.stderr)
    return EXIT_OK


def _show(shop: Shop, args: argparse.Namespace) -> int:
    return _done(shop, shop.tickets.get(args.number), args)


def ticket_json(detail: TicketDetail) -> dict[str, object]:
    """The ticket's record, with the figures its receipt prints (total, deposit,
    paid at pickup, balance) under "settlement"."""
    data = plain(detail)
    assert isinstance(data, dict)
    data["settlement"] = plain(detail.settlement)
    return data


def _print_ticket(shop: Shop, detail: TicketDetail) -> None:
    currency, locale = _money(shop)
    s, money = detail.summary, detail.settlement
    print(f"{s.number}  {s.status}  {s.customer_code} {s.customer_name}"
          + (f"  technician {s.technician_name}" if s.technician_name else "")
          + ("  WARRANTY REWORK" if s.warranty_rework else ""))
    print(f"estimate {format_money(s.estimate, currency, locale, '-')}  deposit "
          f"{format_money(detail.deposit, currency, locale)}  final "
          f"{format_money(detail.final_amount, currency, locale, '-')}  balance due "
          f"{format_money(money.balance, currency, locale)}"
          + (f"  promised by {s.promised_by}" if s.promised_by else ""))
    for d in detail.devices:
        print(f"  {d.device.label}: {d.fault}"
              + (f" (pre-existing: {d.pre_existing_faults})" if d.pre_existing_faults
                 else ""))
    for w in detail.work:
        print(f"  {w.kind:<7} {w.description}  {w.quantity} x "
              f"{format_money(w.unit_price, currency, locale)}")
    for h in detail.history:
        print(f"  {_day(h.at)}  {h.from_status or '-'} -> {h.to_status}  {h.staff_name}"
              + (f"  {h.note}" if h.note else ""))


def _new(shop: Shop, args: argparse.Namespace) -> int:
    # An IMEI or serial alone names a device of this customer on file; the service
    # says so if there is none (make and model are then needed).
    device = DeviceInput(make=args.make or "", model=args.model or "", imei=args.imei or "",
                         serial=args.serial or "")
    intake = TicketIntake(args.customer, [TicketDeviceIntake(args.fault, device=device)],
                          estimate=args.estimate, deposit=args.deposit,
                          promised_by=args.promised_by)
    return _write(shop, args, lambda: shop.tickets.intake(intake))


def _move(shop: Shop, args: argparse.Namespace) -> int:
    return _write(shop, args, lambda: shop.tickets.change_status(args.number, args.status,
                                                                  args.note))


def _pickup(shop: Shop, args: argparse.Namespace) -> int:
    return _write(shop, args, lambda: shop.tickets.pickup(args.number, args.amount,
                                                           args.method))


def _write(shop: Shop, args: argparse.Namespace, call: Callable[[], TicketSaved]) -> int:
    """The one service call of a verb; a refusal is the one-line error, exit 1."""
    try:
        saved = call()
    except ValidationError as exc:
        return refused(exc)
    return _done(shop, saved.ticket, args)


def _done(shop: Shop, detail: TicketDetail, args: argparse.Namespace) -> int:
    if wants_json(args):
        return print_json(ticket_json(detail))
    _print_ticket(shop, detail)
    return EXIT_OK
