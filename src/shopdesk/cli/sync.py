"""The sync verbs: `sync` (a round now, or its status) and `conflicts` (what sync left
for staff: conflicts, rejected changes, quarantined rows).

Exit codes follow `shopdesk.cli`:

- 1: the transport failed in a way a retry will not mend;
- 2: bad arguments (naming the option), an unknown conflict, rejected change or
  quarantined row, or a counter that has not joined a store yet;
- 4: the central server cannot be reached (the queued changes stay queued);
- 5: sync is stopped until someone acts (copied database, revoked terminal).

Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from uuid import UUID

from shopdesk.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    ProgressBar,
    Subparsers,
    data_dir_option,
    fail,
    json_option,
    verb,
)
from shopdesk.errors import NotFound
from shopdesk.shop import Shop
from shopdesk.sync.engine import Progress, SyncPaused
from shopdesk.sync.views import Conflict
from shopdesk.sync.wire.transport import Forbidden, Retryable, TransportError

LARGE_PULL = 500  # rows; below this a pull takes a moment and a bar would only flicker


def register(sub: Subparsers) -> None:
    sync = verb(sub, "sync", _sync, "one sync round now (or `sync status`)")
    sync.add_argument("action", nargs="?", choices=["status"])
    sync.add_argument("--json", action="store_true", help="JSON output (sync status)")

    con = verb(sub, "conflicts", _conflicts, "conflicts, rejected changes, quarantined rows")
    con_sub = con.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = con_sub.add_parser("list", help="open conflicts")
    listing.add_argument("--all", action="store_true", help="resolved ones too")
    json_option(listing)
    resolve = con_sub.add_parser("resolve", help="close a conflict")
    resolve.add_argument("conflict", metavar="ID", help="a conflict id (or its unique start)")
    how = resolve.add_mutually_exclusive_group(required=True)
    how.add_argument("--distinct", dest="resolution", action="store_const", const="distinct",
                     help="a suspected duplicate: they are different people")
    how.add_argument("--accept", dest="resolution", action="store_const", const="accepted",
                     help="keep what the server kept")
    how.add_argument("--dismiss", dest="resolution", action="store_const", const="dismissed")
    how.add_argument("--merge-into", choices=["a", "b"], metavar="a|b",
                     help="merge a duplicate's other customer into customer a or b")
    rejected = con_sub.add_parser("rejected", help="changes the server rejected, with reasons")
    json_option(rejected)
    dismiss = con_sub.add_parser("dismiss-rejected", help="forget a rejected change")
    dismiss.add_argument("seq", type=int, metavar="SEQ")
    held = con_sub.add_parser("quarantined", help="pulled rows this counter could not store")
    held.add_argument("--all", action="store_true", help="resolved and dismissed ones too")
    json_option(held)
    release = con_sub.add_parser("dismiss-quarantined", help="forget a quarantined row")
    release.add_argument("entry", type=int, metavar="ID")
    for parser in (listing, resolve, rejected, dismiss, held, release):
        data_dir_option(parser)


class _Usage(Exception):
    """A bad argument; the message names it."""


# -- sync ------------------------------------------------------------------------
class _LargePull:
    """Shows the CLI's progress bar only once a pull turns out to be large."""

    def __init__(self, factory: Callable[[str], Progress]) -> None:
        self._factory = factory
        self._bar: Progress | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            if total < LARGE_PULL:
                return
            self._bar = self._factory("pulling")
        self._bar(done, total)


def _sync(shop: Shop, args: argparse.Namespace) -> int:
    status = shop.sync.status()
    if args.action == "status":
        if args.json:
            print(json.dumps(status.as_json(), ensure_ascii=False))
            return EXIT_OK
        for key, value in status.as_json().items():
            print(f"{key.replace('_', ' ')}: {'-' if value is None else value}")
        return EXIT_OK
    if args.json:
        return fail("--json: only with `shopdesk sync status`", EXIT_USAGE)
    if not status.joined:
        return fail("this counter has not joined a store: run `shopdesk central join URL "
                     "--store NAME` first", EXIT_USAGE)
    try:
        done = shop.sync.run_once(_LargePull(ProgressBar))
    except Retryable as exc:
        pending = shop.sync.status().pending
        return fail(f"cannot reach the central server ({exc}); {pending} changes stay "
                     "queued for the next sync", EXIT_UNREACHABLE)
    except (SyncPaused, Forbidden) as exc:
        return fail(f"sync is stopped: {exc}", EXIT_STOPPED)
    except TransportError as exc:
        pending = shop.sync.status().pending
        return fail(f"{exc}; {pending} changes stay queued", EXIT_FAILURE)
    after = shop.sync.status()
    hint = " (see `shopdesk conflicts list`)" if after.open_conflicts else ""
    print(f"synced: pushed {done.pushed}, rejected {done.rejected}, conflicts "
          f"{done.conflicts}, pulled {done.pulled}; {after.pending} pending, "
          f"{after.open_conflicts} open conflicts{hint}")
    return EXIT_OK


# -- conflicts ---------------------------------------------------------------------
def _conflicts(shop: Shop, args: argparse.Namespace) -> int:
    try:
        if args.action == "list":
            return _list(shop, args)
        if args.action == "resolve":
            return _resolve(shop, args)
        if args.action == "rejected":
            return _rejected(shop, args)
        if args.action == "quarantined":
            return _quarantined(shop, args)
        if args.action == "dismiss-quarantined":
            try:
                shop.sync.dismiss_quarantined(args.entry)
            except NotFound as exc:
                raise NotFound(f"ID: {exc} (see `shopdesk conflicts quarantined`)") from None
            print(f"dismissed quarantined row {args.entry}")
            return EXIT_OK
        try:
            shop.sync.dismiss_rejected(args.seq)
        except NotFound as exc:
            raise NotFound(f"SEQ: {exc} (see `shopdesk conflicts rejected`)") from None
    except NotFound as exc:
        return fail(str(exc), EXIT_USAGE)
    except _Usage as exc:
        return fail(str(exc), EXIT_USAGE)
    print(f"forgot rejected change {args.seq}")
    return EXIT_OK


def _find(shop: Shop, given: str) -> Conflict:
    """A conflict by its id or by a unique start of it (ids are long to type)."""
    given = given.strip().lower()
    try:
        return shop.sync.conflict(given)
    except NotFound:
        pass
    matches = [c for c in shop.sync.conflicts(include_resolved=True)
               if given and c.id.lower().startswith(given)]
    if len(matches) > 1:
        raise _Usage(f"ID: '{given}' starts {len(matches)} conflict ids; give more of it")
    if not matches:
        raise NotFound(f"ID: no conflict '{given}' on this counter "
                       "(see `shopdesk conflicts list --all`)")
    return matches[0]


def _customer_line(shop: Shop, row_id: str | None) -> str:
    try:
        c = shop.customers.profile(UUID(hex=row_id or "")).summary
    except (NotFound, ValueError):
        return f"{row_id} (not on this counter yet)"
    return f"{c.code} {c.name} {c.phone} {c.email or ''}".rstrip()


def _list(shop: Shop, args: argparse.Namespace) -> int:
    found = shop.sync.conflicts(include_resolved=args.all)
    if args.json:
        print(json.dumps([{**dataclasses.asdict(c), "summary": c.summary} for c in found],
                         ensure_ascii=False, default=str))
        return EXIT_OK
    for c in found:
        state = "" if c.status == "open" else f" [{c.status}: {c.resolution}]"
        print(f"{c.id}  {c.kind:<17} {c.summary}{state}")
        if c.duplicate_customers:
            print(f"    a: {_customer_line(shop, c.row_a)}")
            print(f"    b: {_customer_line(shop, c.row_b)}")
    print(f"{len(found)} {'' if args.all else 'open '}conflicts", file=sys.stderr)
    return EXIT_OK


def _resolve(shop: Shop, args: argparse.Namespace) -> int:
    conflict = _find(shop, args.conflict)
    if args.merge_into is None:
        done = shop.sync.resolve(conflict.id, args.resolution)
        print(f"conflict {done.id} resolved: {done.resolution}; the other counters hear "
              "of it at the next sync")
        return EXIT_OK
    if not conflict.duplicate_customers:
        raise _Usage(f"--merge-into: only a duplicate customer can be merged; conflict "
                     f"{conflict.id} is {conflict.kind}")
    if conflict.status != "open":
        raise _Usage(f"ID: conflict {conflict.id} is already resolved ({conflict.resolution})")
    a, b = conflict.row_a or "", conflict.row_b or ""
    survivor, loser = (a, b) if args.merge_into == "a" else (b, a)
    shop.sync.merge(UUID(hex=survivor), UUID(hex=loser))
    print(f"merged {_customer_line(shop, loser)} into {_customer_line(shop, survivor)}; "
          "the other counters follow at the next sync")
    return EXIT_OK


def _rejected(shop: Shop, args: argparse.Namespace) -> int:
    found = shop.sync.rejected()
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in found], ensure_ascii=False,
                         default=str))
        return EXIT_OK
    for r in found:
        print(f"{r.device_seq:<8} {r.op or '-':<7} {r.table or '-':<20} {r.row_id or '-':<33} "
              f"{r.reason}")
    print(f"{len(found)} rejected changes", file=sys.stderr)
    return EXIT_OK


def _quarantined(shop: Shop, args: argparse.Namespace) -> int:
    found = shop.sync.quarantined(include_closed=args.all)
    if args.json:
        print(json.dumps([dataclasses.asdict(q) for q in found], ensure_ascii=False,
                         default=str))
        return EXIT_OK
    for q in found:
        print(f"{q.id:<6} {q.kind:<8} {q.table:<20} {q.row_id:<33} {q.reason}")
    print(f"{len(found)} quarantined rows", file=sys.stderr)
    return EXIT_OK
