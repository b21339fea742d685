"""The `central` verbs: set up the central database, join this counter, and look after
its credential (revoke, list terminals, replace the API key, trust the server's CA).

Exit codes follow `shopdesk.cli`: 1 the central database refused, 2 a bad argument
(naming the option). Admin URLs are only ever printed without their password
(`central.redact`). Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from shopdesk.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    Subparsers,
    data_dir_option,
    fail,
    json_option,
    verb,
)
from shopdesk.cli.messaging import webhook_deploy_notes
from shopdesk.errors import ShopdeskError
from shopdesk.shop import Shop
from shopdesk.sync import central, credentials
from shopdesk.sync.wire.transport import first_line

API_KEY_ENV = "SHOPDESK_SUPABASE_KEY"

T = TypeVar("T")


def register(sub: Subparsers) -> None:
    cen = verb(sub, "central", _central, "set up the central database, join this counter")
    cen_sub = cen.add_subparsers(dest="action", required=True, metavar="ACTION")
    setup = cen_sub.add_parser("setup", help="create or upgrade the central schema")
    setup.add_argument("url", metavar="URL", help="an administrator's Postgres URL")
    scope = setup.add_mutually_exclusive_group()
    scope.add_argument("--store-scoped", dest="scoped", action="store_const", const=True,
                       help="each store's counters receive only that store's tickets and "
                       "devices (customers stay shared)")
    scope.add_argument("--shared-stores", dest="scoped", action="store_const", const=False,
                       help="every store receives every ticket and device (the default)")
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
    join.add_argument("--ca-file", type=Path, metavar="FILE", help="the central server's "
                      "CA certificate (Supabase: Database settings, Download certificate)")
    revoke = cen_sub.add_parser("revoke", help="switch a counter's credential off for good")
    revoke.add_argument("url", metavar="URL", help="an administrator's Postgres URL")
    revoke.add_argument("terminal", metavar="NAME_OR_TAG")
    terms = cen_sub.add_parser("terminals", help="list the registered counters")
    terms.add_argument("url", metavar="URL", help="an administrator's Postgres URL")
    json_option(terms)
    key = cen_sub.add_parser("set-api-key", help="replace the project's API key (rest)")
    key.add_argument("key", nargs="?", metavar="KEY", help=f"the new key (default: "
                     f"${API_KEY_ENV}, or one line on standard input with --key-stdin)")
    key.add_argument("--key-stdin", action="store_true", help="read the key from stdin")
    ca = cen_sub.add_parser("set-ca", help="trust this CA certificate for the central server")
    ca.add_argument("file", type=Path, metavar="FILE")
    hook = cen_sub.add_parser("webhook-key", help="make a key for the shopdesk-webhooks Edge "
                              "Function (printed once; only its hash is kept)")
    hook.add_argument("url", metavar="URL", help="an administrator's Postgres URL")
    for parser in (setup, join, revoke, terms, key, ca, hook):
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
        if args.action == "set-api-key":
            return _set_api_key(shop, args)
        if args.action == "set-ca":
            return _set_ca(shop, args)
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
        if args.scoped is not None:
            _on_central(lambda: central.set_store_scoped(url, args.scoped))
        scoped = _on_central(lambda: central.store_scoped(url))
        print("tickets and devices: " + ("each store receives only its own" if scoped else
                                         "shared by every store (one customer base)"))
        for note in _on_central(lambda: central.hardening_notes(url)):
            print(f"note: {note}")
        print(webhook_deploy_notes())
        return EXIT_OK
    if args.action == "webhook-key":
        print(_on_central(lambda: central.create_webhook_key(url)))
        print("set it as the Edge Function's SHOPDESK_WEBHOOK_KEY secret; it is not shown "
              "again", file=sys.stderr)
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
    if args.ca_file is not None:
        shop.sync.set_ca_file(args.ca_file)
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
    elif result.secret_file:
        print(f"no OS keyring on this machine: the credential is kept in {result.secret_file}"
              ", readable by you only. Anyone with a copy of this data folder could sync as "
              "this counter: if it is copied, revoke the counter (`shopdesk central revoke`)")
    else:
        print("the credential is kept in the OS keyring")
    return EXIT_OK


def _set_api_key(shop: Shop, args: argparse.Namespace) -> int:
    if args.key_stdin:
        key = sys.stdin.readline().strip()
    else:
        key = (args.key or os.environ.get(API_KEY_ENV) or "").strip()
    if not key:
        raise _Usage(f"KEY: give the new API key, --key-stdin, or set ${API_KEY_ENV}")
    note = shop.sync.set_api_key(key)
    print(f"the API key was replaced{note}; sync goes on with it")
    return EXIT_OK


def _set_ca(shop: Shop, args: argparse.Namespace) -> int:
    kept = shop.sync.set_ca_file(args.file)
    print(f"the central server is now verified against {args.file} (kept as {kept})")
    return EXIT_OK


