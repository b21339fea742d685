"""The sync verbs: `central` (setup, join, revoke, terminals), `sync`, `conflicts`.

They follow the rules of `shopdesk.cli`: every command takes ``--data-dir``, acts
as the system actor, and fails with a one-line reason and a non-zero exit:

- 1: the transport failed in a way a retry will not mend;
- 2: bad arguments (naming the option), an unknown conflict or rejected change,
  or a counter that has not joined a store yet;
- 4: the central server cannot be reached (the queued changes stay queued);
- 5: sync is stopped until someone acts (copied database, revoked terminal).

Admin URLs are only ever printed without their password (`central.redact`).
Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit
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
from shopdesk.errors import NotFound, ShopdeskError
from shopdesk.shop import Shop
from shopdesk.sync import central, credentials
from shopdesk.sync.engine import Progress, SyncPaused
from shopdesk.sync.transport import Forbidden, Retryable, TransportError, first_line
from shopdesk.sync.views import Conflict

LARGE_PULL = 500  # rows; below this a pull takes a moment and a bar would only flicker
API_KEY_ENV = "SHOPDESK_SUPABASE_KEY"

T = TypeVar("T")


def register(sub: Subparsers) -> None:
    cen = verb(sub, "central", _central, "set up the central database, join this counter")
    cen_sub = cen.add_subparsers(dest="action", required=True, metavar="ACTION")
    setup = cen_sub.add_parser("setup", help="create or upgrade the central schema")
    setup.add_argument("url", metavar="URL", help="an administrator's Postgres URL")
    join = cen_sub.add_parser("join", help="register this data directory as a counter")
    join.add_argument("url", metavar="URL", help="the central Postgres URL (--transport "
                      "direct) or the Supabase project URL (--transport rest)")
    join.add_argument("--store", required=True, metavar="NAME", help="the store's name")
    join.add_argument("--name", metavar="COUNTER_NAME", help="this counter's name "
                      "(default: 'counter' and its tag)")
    join.add_argument("--transport", choices=["direct", "rest"], default="direct")
    join.add_argument("--api-key", metavar="KEY", help="the Supabase project's API key "
                      f"(--transport rest; default: ${API_KEY_ENV})")
    join.add_argument("--admin-url", metavar="ADMIN_URL", help="the Postgres URL used to "
                      "register (needed with --transport rest)")
    revoke = cen_sub.add_parser("revoke", help="switch a counter's credential off for good")
    revoke.add_argument("url", metavar="URL", help="an administrator's Postgres URL")
    revoke.add_argument("terminal", metavar="NAME_OR_TAG")
    terms = cen_sub.add_parser("terminals", help="list the registered counters")
    terms.add_argument("url", metavar="URL", help="an administrator's Postgres URL")
    json_option(terms)
    for parser in (setup, join, revoke, terms):
        data_dir_option(parser)

    sync = verb(sub, "sync", _sync, "one sync round now (or `sync status`)")
    sync.add_argument("action", nargs="?", choices=["status"])
    sync.add_argument("--json", action="store_true", help="JSON output (sync status)")

    con = verb(sub, "conflicts", _conflicts, "conflicts and rejected changes from sync")
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
    for parser in (listing, resolve, rejected, dismiss):
        data_dir_option(parser)



class _Usage(Exception):
    """A bad argument; the message names it."""


def _postgres_url(value: str, option: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("postgres", "postgresql"):
        raise _Usage(f"{option}: must be a Postgres URL such as "
                     "postgresql://user:password@host:5432/postgres")
    return value


def _http_url(value: str, option: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _Usage(f"{option}: must be the project's URL such as https://abcd.supabase.co")
    return value


def _on_central(call: Callable[[], T]) -> T:
    """Run an admin call; database errors become one-line ShopdeskErrors."""
    import psycopg
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return call()
    except (psycopg.Error, SQLAlchemyError) as exc:
        raise ShopdeskError(f"the central database refused: {first_line(exc)}") from None
    except CommandError as exc:
        raise ShopdeskError(f"cannot upgrade the central schema (is it from a newer "
                            f"shopdesk?): {first_line(exc)}") from None


# -- central -------------------------------------------------------------------
def _central(shop: Shop, args: argparse.Namespace) -> int:
    try:
        if args.action == "join":
            return _join(shop, args)
        url = _postgres_url(args.url, "URL")
    except _Usage as exc:
        return fail(str(exc), EXIT_USAGE)
    shown = central.redact(url)
    if args.action == "setup":
        before = _on_central(lambda: central.setup(url))
        if before is None:
            print(f"created the central schema ({central.CENTRAL_HEAD}) at {shown}")
        elif before == central.CENTRAL_HEAD:
            print(f"the central schema at {shown} is already current ({before})")
        else:
            print(f"upgraded the central schema at {shown} from {before} "
                  f"to {central.CENTRAL_HEAD}")
        return EXIT_OK
    if args.action == "revoke":
        name = _on_central(lambda: central.revoke_terminal(url, args.terminal))
        print(f"revoked counter '{name}': its credential no longer works")
        return EXIT_OK
    rows = _on_central(lambda: central.terminals(url))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return EXIT_OK
    for r in rows:
        state = "revoked" if r["revoked"] else "active"
        print(f"{r['store']:<20} {r['name']:<20} {r['node_tag']:<6} {state:<8} "
              f"last change {r['last_seq']:<8} last push {r['last_push_at'] or '-'}")
    print(f"{len(rows)} counters", file=sys.stderr)
    return EXIT_OK


def _join(shop: Shop, args: argparse.Namespace) -> int:
    store = args.store.strip()
    if not store:
        raise _Usage("--store: give the store's name")
    api_key = args.api_key or os.environ.get(API_KEY_ENV)
    if args.transport == "rest":
        url = _http_url(args.url, "URL")
        if not args.admin_url:
            raise _Usage("--admin-url: needed with --transport rest (the project's Postgres "
                         "URL, used once to register this counter)")
        admin = _postgres_url(args.admin_url, "--admin-url")
        if not api_key:
            raise _Usage(f"--api-key: needed with --transport rest (the project's API key, "
                         f"or set ${API_KEY_ENV})")
    else:
        if args.api_key:
            raise _Usage("--api-key: only used with --transport rest")
        admin = _postgres_url(args.admin_url or args.url, "--admin-url" if args.admin_url
                              else "URL")
        # The counter logs in as its own role; an admin's name and password given here
        # are for registering only and must not be kept in the local database.
        url = central.without_login(_postgres_url(args.url, "URL"))
    was = shop.sync.status()
    result = _on_central(lambda: shop.sync.join(
        url, store, args.name, transport=args.transport, admin_url=admin,
        api_key=api_key if args.transport == "rest" else None))
    again = " again" if was.joined else ""
    print(f"joined{again} store '{result.store}' as counter '{result.device_name}' "
          f"(tag {result.node_tag}, {args.transport} to {central.redact(url)})")
    if was.joined:
        print(f"kept {result.queued} unsent changes, renumbered for this registration")
    else:
        print(f"queued {result.queued} existing records for the first upload; "
              "run `shopdesk sync` to send them")
    if result.token:
        print(f"no OS keyring on this machine: the credential was NOT saved. For this data "
              f"directory, set this environment variable (shown this once only):\n"
              f"{credentials.ENV_TOKEN}={result.token}")
        if args.transport == "rest":
            print(f"and set {API_KEY_ENV} to the project's API key")
    else:
        print("the credential is kept in the OS keyring")
    return EXIT_OK


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
