"""The administration verbs: `settings`, `audit verify`, `staff` and `demo`.

Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from shopdesk.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    ProgressBar,
    Subparsers,
    fail,
    json_option,
    print_json,
    verb,
)
from shopdesk.errors import ShopdeskError
from shopdesk.services.audit import AuditFilter
from shopdesk.shop import Shop

SECRET_ENV = "SHOPDESK_NEW_SECRET"  # a new account's PIN or password, for scripts


def register(sub: Subparsers) -> None:
    settings = verb(sub, "settings", _settings, "read or change shop settings")
    settings.add_argument("action", choices=["get", "set", "list"])
    settings.add_argument("key", nargs="?")
    settings.add_argument("value", nargs="?")
    json_option(settings)

    audit = verb(sub, "audit", _audit, "check or read the audit trail")
    audit.add_argument("action", choices=["verify", "list"])
    audit.add_argument("--offline", action="store_true", help="do not ask the central "
                       "server for its anchor (check the chain and local anchors only)")
    audit.add_argument("--staff", help="list: entries made by this name")
    audit.add_argument("--did", dest="did", metavar="ACTION", help="list: e.g. view, erase")
    audit.add_argument("--entity", help="list: e.g. customer, repair_ticket")
    audit.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    audit.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="list: last day")
    audit.add_argument("--limit", type=int, default=50, metavar="N")
    json_option(audit)

    staff = verb(sub, "staff", _staff, "list or add staff accounts")
    staff.add_argument("action", choices=["list", "add"])
    staff.add_argument("username", nargs="?")
    staff.add_argument("--name", help="display name")
    staff.add_argument("--role", default="front_desk")
    staff.add_argument("--secret-stdin", action="store_true",
                       help="read the PIN or password from standard input")
    json_option(staff)

    demo = verb(sub, "demo", _demo, "fill the data directory with generated customers")
    demo.add_argument("--customers", type=int, default=500, metavar="N")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--tickets-per-customer", type=float, default=4.0, metavar="X",
                      help="repair tickets per customer with devices (0: none)")


def _settings(shop: Shop, args: argparse.Namespace) -> int:
    if args.action == "list":
        found = shop.settings.all()
    elif args.action == "get":
        if not args.key:
            raise ShopdeskError("settings get needs a KEY")
        found = {args.key: shop.settings.get(args.key)}
    else:
        if not args.key or args.value is None:
            raise ShopdeskError("settings set needs a KEY and a VALUE")
        shop.settings.set(args.key, args.value)
        found = {args.key: shop.settings.get(args.key)}
    if args.json:
        return print_json(found)
    if args.action == "get":
        print(found[args.key])
        return EXIT_OK
    for key, value in found.items():
        print(f"{key} = {value}")
    return EXIT_OK


def _audit(shop: Shop, args: argparse.Namespace) -> int:
    if args.action == "list":
        return _audit_list(shop, args)
    return _audit_verify(shop, args)


def _day(value: str | None, option: str, extra_days: int = 0) -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ShopdeskError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None
    return datetime.combine(day + timedelta(days=extra_days), clock_time(), UTC)


def _audit_list(shop: Shop, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise ShopdeskError("--limit must be at least 1")
    page = shop.audit.browse(AuditFilter(
        actor=args.staff, action=args.did, entity=args.entity,
        since=_day(args.date_from, "--from"), until=_day(args.date_to, "--to", 1)),
        limit=args.limit)
    if args.json:
        return print_json(page)
    for r in page.records:
        detail = json.dumps(r.detail, ensure_ascii=False, default=str)
        print(f"#{r.seq:<7} {r.at:%Y-%m-%d %H:%M:%S}  {r.actor[:24]:<24} {r.action:<16} "
              f"{r.entity}:{r.entity_id[:36]}  {detail[:120]}")
    print(f"{len(page.records)} of {page.total} entries", file=sys.stderr)
    return EXIT_OK


def _audit_verify(shop: Shop, args: argparse.Namespace) -> int:
    """Check the chain, and that it still holds the newest entry the central server was
    told of (or, offline, the one it last acknowledged): removed or rewritten entries
    are found even by someone who could rewrite this file."""
    anchor, source = (None, "") if args.offline else shop.sync.audit_anchor()
    report = shop.audit.verify(anchor, source)
    kept, where = shop.backups.newest_anchor()
    if report.ok and kept is not None:  # the newest backup's copy of the trail's end
        checked = shop.audit.verify(kept, where)
        report = checked if not checked.ok else replace(
            report, anchor=f"{report.anchor}{checked.anchor}")
    if report.ok:
        print(f"audit trail intact: {report.checked} entries verified{report.anchor}")
        return EXIT_OK
    return fail(f"audit trail broken at entry #{report.bad_seq}: {report.problem} "
                f"({report.checked} entries before it verified)", EXIT_FAILURE)


def _staff(shop: Shop, args: argparse.Namespace) -> int:
    if args.action == "list":
        accounts = shop.staff.list()
        if args.json:
            return print_json(accounts)
        for s in accounts:
            state = "active" if s.is_active else "inactive"
            print(f"{s.username:<16} {s.display_name:<24} {s.role.value:<12} {state}")
        return EXIT_OK
    if not args.username:
        raise ShopdeskError("staff add needs a USERNAME")
    if args.secret_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    elif os.environ.get(SECRET_ENV):
        secret = os.environ[SECRET_ENV]
    else:
        secret = getpass.getpass("PIN or password: ")
    if shop.needs_owner():
        info = shop.staff.create_owner(args.username, args.name or args.username, secret)
    else:
        info = shop.staff.create(args.username, args.name or args.username, args.role, secret)
    # Always JSON (the account made, for scripts); --json changes nothing here.
    print(json.dumps({"username": info.username, "role": info.role.value}))
    return EXIT_OK


def _demo(shop: Shop, args: argparse.Namespace) -> int:
    from shopdesk.services.demo.demo import generate
    from shopdesk.services.demo.demo_history import DEMO_PIN, create_demo_staff, shape_history

    if args.customers < 1:
        raise ShopdeskError("--customers must be at least 1")
    accounts = create_demo_staff(shop.staff)  # none when the shop has staff already
    for account in accounts:
        print(f"created the {account.role.label.lower()} account: username "
              f"'{account.username}' ({account.display_name}), PIN {DEMO_PIN}")
    if accounts:
        print("change these PINs in Shop → Staff before real use")
    registered_since = shop.store.clock()
    rows = ((n + 2, row) for n, row in enumerate(generate(args.customers, args.seed)))
    report = shop.transfer.import_rows(rows, args.customers, ProgressBar("generating"))
    print(f"added {report.imported} customers to {shop.root} in {report.seconds:.1f} s"
          + (f" ({len(report.rejected)} already present)" if report.rejected else ""))
    if report.stopped:  # Ctrl-C or a busy database: what went in stays; stop here
        return fail(f"demo {report.stopped}", EXIT_FAILURE)
    if args.tickets_per_customer > 0:
        from shopdesk.services.demo.demo_repairs import generate_repairs

        done = generate_repairs(shop.store, shop.audit, shop.staff, args.tickets_per_customer,
                                args.seed, ProgressBar("repairs"))
        print(f"added {done.devices} devices, {done.tickets} repair tickets and "
              f"{done.services} service records in {done.seconds:.1f} s")
    started = time.perf_counter()
    shaped = shape_history(shop.store, shop.audit, registered_since, args.seed)
    print(f"spread the registrations of {shaped} customers over the years before their "
          f"first repair, with who registered them and their last visit, in "
          f"{time.perf_counter() - started:.1f} s")
    return EXIT_OK
