"""The command line: the same facade as the window, for managers, IT and scripts.

Every command takes ``--data-dir`` (else ``SHOPDESK_HOME``, else the platform's
data directory) and acts as the built-in system actor, named in the audit trail
with the OS user. A failure prints one line, ``shopdesk: error: <reason>``, on
stderr. Control characters in anything printed (stored names, notes) are shown
escaped as ``\\uXXXX``, never sent to the terminal. Every verb that prints
records takes ``--json``. Exit codes:

====  ===================================================================
0     done
1     failed (the reason is on stderr); also `search` that found nothing
      and `audit verify` that found the trail broken
2     usage: bad or missing arguments; an unknown conflict or rejected
      change; `sync` on a counter that has not joined a store
3     `import`, `feedback import-reviews`: the valid rows went in, some rows
      were rejected
4     `sync`: the central server cannot be reached (changes stay queued)
5     `sync`: stopped until someone acts (copied database, revoked counter)
1/4   `messages deliver`: 1 a message failed for good, 4 some wait for a retry
====  ===================================================================

Each verb group is one module with a ``register(subparsers)`` that adds its
parsers and binds each verb's handler; `VERBS` below is the one list of them, so
a new area adds one module and one line there. Runs on the main thread; never
imports Qt (`shopdesk.main` starts the window instead).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from shopdesk import __version__
from shopdesk.cli import (
    admin,
    backup,
    central,
    customers,
    feedback,
    loyalty,
    messaging,
    printing,
    privacy,
    repairs,
    support,
    sync,
)
from shopdesk.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    Handler,
    Parser,
    Subparsers,
    data_dir_option,
    error,
    printing_safely,
    read_key,
)
from shopdesk.errors import ShopdeskError
from shopdesk.shop import Shop

# The registry: every verb group, in the order `shopdesk --help` lists them.
VERBS: tuple[Callable[[Subparsers], None], ...] = (
    customers.register,  # import, export, search
    privacy.register,  # customers forget/export-data/consent/marketing, alerts
    repairs.register,  # devices, tickets
    support.register,  # support tickets and complaints
    printing.register,  # print, report
    central.register,  # central setup/join/revoke/terminals/set-api-key/set-ca
    sync.register,  # sync, conflicts
    messaging.register,  # messages, appointments
    admin.register,  # settings, audit, staff, demo
    backup.register,  # backup now/list/verify/key, restore
    loyalty.register,  # loyalty show/adjust/nightly/overspent/reverse
    feedback.register,  # feedback record/report/import-reviews/action/pending
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="shopdesk", description="Counter app of a device repair shop. "
                    "With no command, opens the window.")
    parser.add_argument("--version", action="version", version=f"shopdesk {__version__}")
    data_dir_option(parser)
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    gui = sub.add_parser("gui", help="open the window (the default)")
    data_dir_option(gui)
    for register in VERBS:
        register(sub)
    return parser


def wants_gui(args: list[str]) -> bool:
    """True when the arguments ask for the window (no command, or `gui`)."""
    rest = [a for a in args if not a.startswith("--data-dir")]
    if "--data-dir" in args:
        index = args.index("--data-dir")
        rest = args[:index] + args[index + 2:]
    return not rest or rest[0] == "gui"


def gui_data_dir(args: list[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg == "--data-dir" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--data-dir="):
            return arg.split("=", 1)[1]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:  # no verb (or `gui`, which `shopdesk.main` opens before this)
        parser.print_help()
        return EXIT_USAGE
    with printing_safely():
        try:
            key = read_key(sys.stdin) if getattr(args, "db_key_stdin", False) else None
            with Shop.open(getattr(args, "data_dir", None), key=key) as shop:
                shop.act_as_system(f"command line: {args.command}")
                return handler(shop, args)
        except ShopdeskError as exc:
            error(str(exc))
        except OSError as exc:
            error(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        except KeyboardInterrupt:
            print("shopdesk: interrupted", file=sys.stderr)
    return EXIT_FAILURE
