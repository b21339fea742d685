"""The privacy verbs (spec 13): a person's consents, their data archive, forgetting them,
marketing lists of consenting customers, access alerts, the privacy reports.

- ``shopdesk customers forget CODE --reason TEXT`` erases the person (every record of
  them: merged copies, suspected duplicates) here and, through sync, everywhere.
- ``shopdesk customers export-data CODE --out FILE.zip`` writes everything held about
  them (JSON, their documents, a README).
- ``shopdesk customers consent CODE [--grant|--withdraw PURPOSE --method M]`` shows or
  records consents; ``shopdesk customers marketing CHANNEL --out FILE.csv`` lists only
  those who agreed to marketing on that channel.
- ``shopdesk alerts [--days N]`` lists unusual access; ``shopdesk alerts review KEY``.
- ``shopdesk report data-quality|compliance --out FILE.pdf`` (registered by `printing`,
  made here); ``shopdesk report due`` makes the ones due into ``<data dir>/reports``
  (the window runs it in a child process at start).

Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from uuid import UUID

from shopdesk.cli.common import EXIT_OK, Subparsers, json_option, print_json, verb
from shopdesk.domain.privacy.consent import MARKETING_CHANNELS, Purpose
from shopdesk.errors import NotFound, ShopdeskError
from shopdesk.shop import Shop


def register(sub: Subparsers) -> None:
    customers = verb(sub, "customers", _customers,
                     "a person's data: forget, export-data, consent, marketing lists")
    customers.add_argument("action", choices=["forget", "export-data", "consent", "marketing"])
    customers.add_argument("target", metavar="CODE|CHANNEL",
                           help="the customer's code (marketing: whatsapp, sms, email, phone)")
    customers.add_argument("--reason", help="forget: why (the request and its date)")
    customers.add_argument("--out", type=Path, metavar="FILE",
                           help="export-data: FILE.zip; marketing: FILE.csv")
    customers.add_argument("--grant", metavar="PURPOSE", choices=[p.value for p in Purpose])
    customers.add_argument("--withdraw", metavar="PURPOSE",
                           choices=[p.value for p in Purpose])
    customers.add_argument("--method", choices=["signed_form", "online", "verbal"],
                           help="consent: how the customer said so")
    customers.add_argument("--at", metavar="YYYY-MM-DDTHH:MM",
                           help="consent: when they said so (default: now)")
    customers.add_argument("--note", default="")
    json_option(customers)

    alerts = verb(sub, "alerts", _alerts, "unusual access to customer data")
    alerts.add_argument("action", nargs="?", choices=["list", "review"], default="list")
    alerts.add_argument("key", nargs="?", help="review: the alert's key")
    alerts.add_argument("--days", type=int, default=7, metavar="N")
    json_option(alerts)


def _customer(shop: Shop, code: str) -> UUID:
    found = shop.customers.by_code(code.strip().upper())
    if found is None:
        raise NotFound(f"no customer with code {code}")
    return found.id


def _customers(shop: Shop, args: argparse.Namespace) -> int:
    handlers = {"forget": _forget, "export-data": _export_data, "consent": _consent,
                "marketing": _marketing}
    return handlers[args.action](shop, args)


def _forget(shop: Shop, args: argparse.Namespace) -> int:
    if not args.reason:
        raise ShopdeskError("forget needs --reason TEXT (the request and its date)")
    done = shop.erasure.forget(_customer(shop, args.target), args.reason)
    if args.json:
        return print_json({"erased": [{"code": t.code, "why": t.why} for t in done.customers],
                           "rows": done.rows, "documents_deleted": done.documents_deleted,
                           "queued_for_sync": done.queued})
    for t in done.customers:
        print(f"erased {t.code} ({t.why})")
    where = ("sent to the central server with the next sync" if done.queued
             else "this counter has not joined a store")
    print(f"{sum(done.rows.values())} rows changed, {done.documents_deleted} document files "
          f"deleted; {where}")
    return EXIT_OK


def _export_data(shop: Shop, args: argparse.Namespace) -> int:
    if args.out is None:
        raise ShopdeskError("export-data needs --out FILE.zip")
    done = shop.portability.export_data(_customer(shop, args.target), args.out)
    if args.json:
        return print_json(done)
    print(f"wrote {done.path} ({done.size // 1024 + 1} KB): {sum(done.rows.values())} rows "
          f"of {len(done.rows)} tables, {done.documents} documents")
    return EXIT_OK


def _consent(shop: Shop, args: argparse.Namespace) -> int:
    customer = _customer(shop, args.target)
    if args.grant and args.withdraw:
        raise ShopdeskError("give --grant or --withdraw, not both")
    purpose = args.grant or args.withdraw
    if purpose:
        if not args.method:
            raise ShopdeskError("--method is required: signed_form, online or verbal")
        at = None
        if args.at:
            try:
                at = datetime.fromisoformat(args.at).astimezone()
            except ValueError:
                raise ShopdeskError(f"--at {args.at!r} is not a date and time "
                                    "(YYYY-MM-DDTHH:MM)") from None
        shop.consent.record(customer, purpose, bool(args.grant), args.method, at, args.note)
    view = shop.consent.view(customer)
    if args.json:
        return print_json({"erased": view.erased, "current": list(view.states.values()),
                           "history": view.history})
    for state in view.states.values():
        if state.granted is None:
            shown = "allowed (nothing recorded)" if state.allowed else "not recorded"
        else:
            shown = (f"{'given' if state.granted else 'withdrawn'} "
                     f"{state.since:%Y-%m-%d} ({state.method})")
        print(f"{state.label:<24} {shown}")
    return EXIT_OK


def _marketing(shop: Shop, args: argparse.Namespace) -> int:
    channel = args.target.strip().lower()
    if channel not in MARKETING_CHANNELS:
        raise ShopdeskError(f"marketing CHANNEL must be one of: {', '.join(MARKETING_CHANNELS)}")
    if args.out is not None:
        count = shop.consent.export_marketing(channel, args.out)
        print(f"wrote {args.out}: {count} customers who agreed to marketing by {channel}")
        return EXIT_OK
    members = shop.consent.marketing_segment(channel)
    if args.json:
        return print_json(members)
    for m in members:
        print(f"{m.code:<11} {m.name:<32} {m.contact}")
    return EXIT_OK


def _alerts(shop: Shop, args: argparse.Namespace) -> int:
    if args.action == "review":
        if not args.key:
            raise ShopdeskError("alerts review needs the alert's KEY")
        shop.monitoring.review(args.key)
        print(f"alert {args.key} marked reviewed")
        return EXIT_OK
    if args.days < 1:
        raise ShopdeskError("--days must be at least 1")
    found = shop.monitoring.alerts(days=args.days)
    if args.json:
        return print_json(found)
    for a in found:
        print(f"{a.at:%Y-%m-%d %H:%M}  {a.kind:<18} {a.summary}  [{a.key}]")
    if not found:
        print(f"no unusual access in the last {args.days} days")
    return EXIT_OK


def report(shop: Shop, kind: str, out: Path | None, as_json: bool) -> int:
    """`shopdesk report data-quality|compliance` (the verb belongs to `cli.printing`)."""
    made = shop.privacy_reports.make(kind)
    if out is not None:
        if out.is_dir():
            raise ShopdeskError(f"cannot write {out}: it is a folder")
        data = shop.privacy_reports.pdf(made, out)
        if not as_json:
            print(f"wrote {out} ({len(data) // 1024 + 1} KB)")
    if as_json:
        return print_json(made.as_json())
    if out is None:
        raise ShopdeskError(f"report {kind} needs --out FILE.pdf (or --json)")
    return EXIT_OK


def reports_due(shop: Shop, as_json: bool) -> int:
    """`shopdesk report due`: the privacy reports not made yet for their period."""
    made = shop.privacy_reports.run_due()
    if as_json:
        return print_json(made)
    for m in made:
        print(f"wrote {m.path} ({m.kind}, {m.period})")
    if not made:
        print("no privacy report is due")
    return EXIT_OK
