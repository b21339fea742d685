"""The loyalty verbs: `loyalty show`, `adjust`, `nightly`, `overspent`, `reverse`.

`loyalty show CODE` prints the balance, tier, progress, lots and recent history
(`--json`: the whole account); `loyalty adjust CODE POINTS --reason TEXT` grants
(or, negative, takes) points by hand — `--social` marks social media engagement.
Exit codes as for every verb: 0 done, 1 failed (reason on stderr), 2 usage.
Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse

from shopdesk.cli.common import EXIT_OK, Parser, Subparsers, json_option, print_json, verb
from shopdesk.errors import NotFound
from shopdesk.shop import Shop


def register(sub: Subparsers) -> None:
    group = sub.add_parser("loyalty", help="loyalty points and tiers")
    inner = group.add_subparsers(dest="loyalty_command", parser_class=Parser, required=True)
    show = verb(inner, "show", _show, "a customer's points, tier, lots and history")
    show.add_argument("code", metavar="CODE", help="customer code")
    show.add_argument("--history", type=int, default=20, metavar="N",
                      help="ledger entries to list (default 20)")
    json_option(show)
    adjust = verb(inner, "adjust", _adjust, "grant (or take, negative) points with a reason")
    adjust.add_argument("code", metavar="CODE")
    adjust.add_argument("points", metavar="POINTS", type=_points)
    adjust.add_argument("--reason", required=True, metavar="TEXT")
    adjust.add_argument("--social", action="store_true",
                        help="points for social media engagement")
    json_option(adjust)
    nightly = verb(inner, "nightly", _nightly,
                   "run the expiry, notice, anniversary and tier pass now")
    json_option(nightly)
    overspent = verb(inner, "overspent", _overspent,
                     "accounts where two counters redeemed the same points")
    json_option(overspent)
    reverse = verb(inner, "reverse", _reverse,
                   "a refunded ticket: take back its points, give back those it used")
    reverse.add_argument("ticket", metavar="TICKET")
    reverse.add_argument("--reason", required=True, metavar="TEXT")


def _points(value: str) -> int:
    try:
        return int(value.strip().replace("+", "", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"POINTS {value!r} is not a whole number") from None


def _show(shop: Shop, args: argparse.Namespace) -> int:
    if args.history < 0:
        raise NotFound("--history must be 0 or more")
    account = shop.loyalty.account(args.code, history=args.history)
    if args.json:
        return print_json(account)
    a = account
    print(f"{a.code} {a.name}: {a.balance} points ({a.available} available), "
          f"{a.tier.capitalize()} tier")
    unit = "points" if a.basis == "points" else "spent"
    progress = (f"{a.to_next} {unit} more to {a.next_tier.capitalize()}" if a.next_tier
                else "top tier")
    print(f"last 12 months: {a.qualifying} {unit}; {progress}")
    if a.demotion_pending_since:
        print(f"qualifies for a lower tier since {a.demotion_pending_since:%Y-%m-%d} "
              "(demoted after the grace period)")
    b = a.benefits
    print(f"benefits: {b.labour_discount}% off labour, +{b.extra_warranty_days} warranty days"
          f"{', priority' if b.priority else ''}"
          f"{'; VIP (' + '; '.join(b.vip_reasons) + ')' if b.vip else ''}")
    if a.overspent:
        print(f"WARNING: {a.overspent} points were redeemed twice on different counters; "
              "a manager should review this account")
    for lot in a.lots:
        until = f"{lot.expires_at:%Y-%m-%d}" if lot.expires_at else "never"
        print(f"  lot {lot.earned_at:%Y-%m-%d}: {lot.remaining}/{lot.points} left, "
              f"expires {until}")
    for e in a.history:
        ticket = f" {e.ticket_number}" if e.ticket_number else ""
        print(f"  {e.at.astimezone():%Y-%m-%d %H:%M} {e.kind:<7} {e.points:>+7}{ticket}  "
              f"{e.reason} ({e.actor})")
    return EXIT_OK


def _adjust(shop: Shop, args: argparse.Namespace) -> int:
    customer = shop.loyalty.customer_id(args.code)
    shop.loyalty.adjust(customer, args.points, args.reason,
                        source="social" if args.social else "staff")
    balance = shop.loyalty.balance(customer)
    if args.json:
        return print_json(balance)
    print(f"{args.code.upper()}: {args.points:+d} points; balance {balance.balance}, "
          f"{balance.tier} tier")
    return EXIT_OK


def _nightly(shop: Shop, args: argparse.Namespace) -> int:
    report = shop.loyalty_nightly.run()
    if args.json:
        return print_json(report)
    print(f"{report.expired_points} points expired in {report.expired_lots} lots; "
          f"{report.notices} expiry notices; {report.anniversaries} anniversary bonuses; "
          f"{report.promotions} promotions, {report.demotions} demotions; "
          f"{report.corrections} corrections ({report.seconds:.2f} s)")
    return EXIT_OK


def _overspent(shop: Shop, args: argparse.Namespace) -> int:
    rows = shop.loyalty.overspent()
    if args.json:
        return print_json([{"customer_id": c, "code": code, "overspent": n}
                           for c, code, n in rows])
    for _cid, code, n in rows:
        print(f"{code}: {n} points redeemed twice")
    if not rows:
        print("no account is overspent")
    return EXIT_OK


def _reverse(shop: Shop, args: argparse.Namespace) -> int:
    ticket = shop.tickets.get(args.ticket).summary
    shop.loyalty.reverse_ticket(ticket.id, args.reason)
    points = shop.loyalty.ticket_points(ticket.id)
    print(f"{ticket.number}: points reversed; balance now {points.balance if points else 0}")
    return EXIT_OK
