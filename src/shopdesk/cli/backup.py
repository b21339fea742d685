"""The backup verbs: `backup now|list|verify|key` and `restore`.

    shopdesk backup now [--json]              take, verify and keep one backup now
    shopdesk backup list [--json]             the backups in the backup folder, newest first
    shopdesk backup verify [FILE] [--json]    check a backup (default: this counter's newest)
    shopdesk backup key                       the recovery key (write it down, keep it safe)
    shopdesk restore BACKUP                   replace the database with a backup
    shopdesk restore customer CODE --from BACKUP [--json]
                                              put one customer and their records back

A backup made on another computer (a disk that died) needs its shop's recovery key:
``--recovery-key CODE`` or ``$SHOPDESK_RECOVERY_KEY``. Exit codes: 0 done, 1 failed
(a backup not made, a backup that fails its check, a restore refused; the reason on
stderr), 2 usage. Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from shopdesk.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    Subparsers,
    fail,
    json_option,
    print_json,
    verb,
)
from shopdesk.errors import ShopdeskError
from shopdesk.services.backup.parts import BackupResult
from shopdesk.shop import Shop

RECOVERY_ENV = "SHOPDESK_RECOVERY_KEY"


def register(sub: Subparsers) -> None:
    backup = verb(sub, "backup", _backup, "take, list and check backups")
    backup.add_argument("action", choices=["now", "list", "verify", "key"])
    backup.add_argument("file", nargs="?", type=Path, help="verify: the backup to check")
    _recovery_option(backup)
    json_option(backup)
    # For the window, which runs `backup now` in a child process (services/backup/runner):
    # why the backup is taken, and the database key on standard input (hex key + salt).
    backup.add_argument("--reason", choices=["manual", "auto"], default="manual",
                        help=argparse.SUPPRESS)
    backup.add_argument("--db-key-stdin", action="store_true", help=argparse.SUPPRESS)

    restore = verb(sub, "restore", _restore, "restore the database, or one customer, from "
                   "a backup (BACKUP, or: customer CODE --from BACKUP)")
    restore.add_argument("target", metavar="BACKUP|customer",
                         help="the backup file to restore, or the word customer")
    restore.add_argument("code", nargs="?", help="with customer: the customer's code")
    restore.add_argument("--from", dest="source", type=Path, metavar="BACKUP",
                         help="with customer: the backup to take the customer from")
    _recovery_option(restore)
    json_option(restore)


def _recovery_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--recovery-key", metavar="CODE", default=None,
                        help=f"the shop's recovery key, for a backup made on another "
                        f"computer (default: ${RECOVERY_ENV}, else this counter's own)")


def _recovery(args: argparse.Namespace) -> str | None:
    return args.recovery_key or os.environ.get(RECOVERY_ENV) or None


def _size(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 1024:.0f} KB"


def _backup(shop: Shop, args: argparse.Namespace) -> int:
    backups = shop.backups
    if args.action == "now":
        result = backups.run(args.reason)
        if args.json:
            return print_json({**result.as_json(), "path": str(result.path)})
        note = f" ({result.problem})" if result.problem else ""
        print(f"backup written and verified: {result.path} ({_size(result.size)}, "
              f"{result.documents} documents, {result.seconds:.1f} s){note}")
        return EXIT_OK
    if args.action == "list":
        found = backups.available()
        if args.json:
            return print_json(found)
        if not found:
            print(f"no backups in {backups.folder()}")
        for info in found:
            state = {True: "verified", False: f"FAILED: {info.problem}", None: "not checked"}
            print(f"{info.created_at.astimezone():%Y-%m-%d %H:%M}  {info.node:<5} "
                  f"{info.reason:<15} {_size(info.size):>9}  {state[info.verified]:<12} "
                  f"{','.join(r for r in info.roles if r not in ('newest', 'recent')) or '-':<22} "
                  f"{info.name}")
        return EXIT_OK
    if args.action == "key":
        print(backups.recovery_key())
        print("Keep this recovery key apart from the computer (printed, or in the owner's "
              "password manager): it opens every backup of this shop.")
        return EXIT_OK
    return _verify(shop, args)


def _verify(shop: Shop, args: argparse.Namespace) -> int:
    path = args.file
    if path is None:
        mine = [i for i in shop.backups.available() if i.node == shop.store.node_tag]
        if not mine:
            return fail(f"no backup of this counter in {shop.backups.folder()}", EXIT_FAILURE)
        path = mine[0].path
    if not path.is_file():
        return fail(f"{path}: no such backup file", EXIT_USAGE)
    result: BackupResult = shop.backups.verify(path, _recovery(args))
    if args.json:
        print_json({**result.as_json(), "path": str(path)})
        return EXIT_OK if result.ok else EXIT_FAILURE
    if result.ok:
        print(f"backup verified: {path.name} opens, passes integrity_check, and holds the "
              f"rows and files it recorded ({result.seconds:.1f} s)")
        return EXIT_OK
    return fail(f"backup {path.name} is not usable: {result.problem}", EXIT_FAILURE)


def _restore(shop: Shop, args: argparse.Namespace) -> int:
    if args.target == "customer":
        if not args.code or args.source is None:
            return fail("restore customer needs a CODE and --from BACKUP", EXIT_USAGE)
        if not args.source.is_file():
            return fail(f"{args.source}: no such backup file", EXIT_USAGE)
        one = shop.restores.customer(args.source, args.code, _recovery(args))
        if args.json:
            return print_json({k: v for k, v in one.__dict__.items() if k != "changes"})
        touched = sum(one.inserted.values()) + sum(one.updated.values())
        print(f"restored customer {one.code} ({one.name}) from {args.source.name}: "
              f"{sum(one.inserted.values())} records put back, "
              f"{sum(one.updated.values())} set back to the backup's values, "
              f"{one.documents} documents ({one.seconds * 1000:.0f} ms)"
              + ("" if touched else "; they were already as in the backup"))
        return EXIT_OK
    if args.code is not None or args.source is not None:
        return fail("restore BACKUP takes no CODE or --from (did you mean restore customer?)",
                    EXIT_USAGE)
    path = Path(args.target)
    if not path.is_file():
        return fail(f"{path}: no such backup file", EXIT_USAGE)
    root = shop.root
    report = shop.restore_database(path, _recovery(args))
    with Shop.open(root) as again:
        again.act_as_system("command line: restore")
        checked = again.audit.verify()
        customers = again.customers.count()
    if args.json:
        return print_json({**report.__dict__, "customers": customers,
                           "audit_ok": checked.ok})
    print(f"restored {path.name} (taken {report.created_at}): {customers} customers, "
          f"{report.documents} documents, keys: {', '.join(report.keys) or 'none'}"
          + (f"; upgraded from schema {report.schema}" if report.upgraded else ""))
    if report.safety_backup:
        print(f"the database as it was is kept as {report.safety_backup}")
    print(f"audit trail: {'intact' if checked.ok else 'BROKEN: ' + checked.problem} "
          f"({checked.checked} entries)")
    if report.resumes_sync:
        print("this counter resumes sync with its next round: run `shopdesk sync` before "
              "serving customers")
    if not checked.ok:
        raise ShopdeskError(f"the restored audit trail does not verify: {checked.problem}")
    return EXIT_OK
