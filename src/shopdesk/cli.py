"""The command line: the same facade as the window, for managers, IT and scripts.

Every command takes ``--data-dir`` (else ``SHOPDESK_HOME``, else the platform's
data directory) and exits non-zero with a one-line reason on failure. Commands
act as the built-in system actor, named in the audit trail with the OS user.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import NoReturn
from uuid import UUID

from shopdesk import __version__, cli_sync
from shopdesk.errors import ShopdeskError, ValidationError
from shopdesk.shop import Shop

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_SOME_REJECTED = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"shopdesk: error: {message} (see 'shopdesk --help')\n")


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="data directory (default: $SHOPDESK_HOME or the user data dir)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="shopdesk", description="Counter app of a device repair shop. "
                     "With no command, opens the window.")
    parser.add_argument("--version", action="version", version=f"shopdesk {__version__}")
    _data_dir_option(parser)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    gui = sub.add_parser("gui", help="open the window (the default)")
    _data_dir_option(gui)

    demo = sub.add_parser("demo", help="fill the data directory with generated customers")
    demo.add_argument("--customers", type=int, default=500, metavar="N")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--tickets-per-customer", type=float, default=4.0, metavar="X",
                      help="repair tickets per customer with devices (0: none)")
    _data_dir_option(demo)

    imp = sub.add_parser("import", help="import records from a file")
    imp.add_argument("what", choices=["customers"])
    imp.add_argument("file", type=Path)
    imp.add_argument("--rejects", type=Path, help="where to write rejected rows "
                     "(default: FILE.rejects.csv)")
    _data_dir_option(imp)

    exp = sub.add_parser("export", help="export records to .csv or .json")
    exp.add_argument("what", choices=["customers"])
    exp.add_argument("file", type=Path)
    _data_dir_option(exp)

    settings = sub.add_parser("settings", help="read or change shop settings")
    settings.add_argument("action", choices=["get", "set", "list"])
    settings.add_argument("key", nargs="?")
    settings.add_argument("value", nargs="?")
    _data_dir_option(settings)

    audit = sub.add_parser("audit", help="check the audit trail")
    audit.add_argument("action", choices=["verify"])
    _data_dir_option(audit)

    search = sub.add_parser("search", help="find customers as the search box does")
    search.add_argument("text", nargs="?", help="what to look for")
    search.add_argument("--batch", type=Path, metavar="FILE",
                        help="one query a line; one JSON line out per query")
    search.add_argument("--limit", type=int, default=10, metavar="N")
    search.add_argument("--json", action="store_true", help="JSON output")
    _data_dir_option(search)

    staff = sub.add_parser("staff", help="list or add staff accounts")
    staff.add_argument("action", choices=["list", "add"])
    staff.add_argument("username", nargs="?")
    staff.add_argument("--name", help="display name")
    staff.add_argument("--role", default="front_desk")
    staff.add_argument("--secret-stdin", action="store_true",
                       help="read the PIN or password from standard input")
    _data_dir_option(staff)

    devices = sub.add_parser("devices", help="look up devices")
    devices.add_argument("action", choices=["history"])
    devices.add_argument("identifier", metavar="IMEI_OR_SERIAL")
    devices.add_argument("--json", action="store_true", help="JSON output")
    _data_dir_option(devices)

    tickets = sub.add_parser("tickets", help="list or show repair tickets")
    tickets.add_argument("action", choices=["list", "show"])
    tickets.add_argument("number", nargs="?", metavar="NUMBER")
    tickets.add_argument("--status", help="only tickets in this status (default: open ones)")
    tickets.add_argument("--limit", type=int, default=500, metavar="N")
    tickets.add_argument("--json", action="store_true", help="JSON output")
    _data_dir_option(tickets)

    printer = sub.add_parser("print", help="write a ticket's document as PDF")
    printer.add_argument("document", choices=["receipt", "jobsheet", "labels", "feedback"])
    printer.add_argument("number", metavar="TICKET")
    printer.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    printer.add_argument("--paper", choices=["80mm", "a4", "letter"],
                         help="receipt paper (default: setting print.receipt_paper)")
    _data_dir_option(printer)

    report = sub.add_parser("report", help="write a manager report as PDF")
    report.add_argument("kind", choices=["summary"])
    report.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    _data_dir_option(report)

    cli_sync.add_parsers(sub, _data_dir_option)  # central, sync, conflicts
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
    args = build_parser().parse_args(argv)
    if not args.command:
        build_parser().print_help()
        return EXIT_USAGE
    try:
        with Shop.open(getattr(args, "data_dir", None)) as shop:
            shop.act_as_system(f"command line: {args.command}")
            return COMMANDS[args.command](shop, args)
    except ValidationError as exc:
        print(f"shopdesk: error: {exc}", file=sys.stderr)
    except ShopdeskError as exc:
        print(f"shopdesk: error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"shopdesk: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
    except KeyboardInterrupt:
        print("shopdesk: interrupted", file=sys.stderr)
    return EXIT_FAILURE


class ProgressBar:
    """A one-line progress bar on stderr (redrawn in place on a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.started = time.perf_counter()
        self._last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        if not self.tty:
            tenth = int(fraction * 10)
            if tenth == self._last_tenth:
                return
            self._last_tenth = tenth
        width = 30
        bar = "#" * int(fraction * width)
        line = (f"{self.label} [{bar:<{width}}] {done}/{total} "
                f"({time.perf_counter() - self.started:.1f} s)")
        sys.stderr.write(("\r" + line) if self.tty else line + "\n")
        if self.tty and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _demo(shop: Shop, args: argparse.Namespace) -> int:
    from shopdesk.services.demo.demo import generate

    if args.customers < 1:
        raise ShopdeskError("--customers must be at least 1")
    if shop.needs_owner():
        shop.staff.create_owner("owner", "Demo Owner", "1234")
        print("created the owner account: username 'owner', PIN 1234 (change it in Staff)")
    rows = ((n + 2, row) for n, row in enumerate(generate(args.customers, args.seed)))
    report = shop.transfer.import_rows(rows, args.customers, ProgressBar("generating"))
    print(f"added {report.imported} customers to {shop.root} in {report.seconds:.1f} s"
          + (f" ({len(report.rejected)} already present)" if report.rejected else ""))
    if args.tickets_per_customer > 0:
        from shopdesk.services.demo.demo_repairs import generate_repairs

        done = generate_repairs(shop.store, shop.audit, shop.staff, args.tickets_per_customer,
                                args.seed, ProgressBar("repairs"))
        print(f"added {done.devices} devices, {done.tickets} repair tickets and "
              f"{done.services} service records in {done.seconds:.1f} s")
    return 0


def _import(shop: Shop, args: argparse.Namespace) -> int:
    report = shop.transfer.import_csv(args.file, ProgressBar("importing"), args.rejects)
    print(f"imported {report.imported} of {report.total} rows in {report.seconds:.1f} s")
    if report.rejected:
        for r in report.rejected[:20]:
            print(f"  line {r.line}: {r.field}: {r.reason}", file=sys.stderr)
        if len(report.rejected) > 20:
            print(f"  ... and {len(report.rejected) - 20} more", file=sys.stderr)
        print(f"rejected {len(report.rejected)} rows; written to {report.rejects_path}")
        return EXIT_SOME_REJECTED
    return 0


def _export(shop: Shop, args: argparse.Namespace) -> int:
    count = shop.transfer.export(args.file, ProgressBar("exporting"))
    print(f"exported {count} customers to {args.file}")
    return 0


def _settings(shop: Shop, args: argparse.Namespace) -> int:
    if args.action == "list":
        for key, value in shop.settings.all().items():
            print(f"{key} = {value}")
    elif args.action == "get":
        if not args.key:
            raise ShopdeskError("settings get needs a KEY")
        print(shop.settings.get(args.key))
    else:
        if not args.key or args.value is None:
            raise ShopdeskError("settings set needs a KEY and a VALUE")
        shop.settings.set(args.key, args.value)
        print(f"{args.key} = {shop.settings.get(args.key)}")
    return 0


def _audit(shop: Shop, args: argparse.Namespace) -> int:
    report = shop.audit.verify()
    if report.ok:
        print(f"audit trail intact: {report.checked} entries verified")
        return 0
    print(f"shopdesk: error: audit trail broken at entry #{report.bad_seq}: {report.problem} "
          f"({report.checked} entries before it verified)", file=sys.stderr)
    return EXIT_FAILURE


def _staff(shop: Shop, args: argparse.Namespace) -> int:
    if args.action == "list":
        for s in shop.staff.list():
            state = "active" if s.is_active else "inactive"
            print(f"{s.username:<16} {s.display_name:<24} {s.role.value:<12} {state}")
        return 0
    if not args.username:
        raise ShopdeskError("staff add needs a USERNAME")
    if args.secret_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    elif os.environ.get("SHOPDESK_NEW_SECRET"):
        secret = os.environ["SHOPDESK_NEW_SECRET"]
    else:
        secret = getpass.getpass("PIN or password: ")
    if shop.needs_owner():
        info = shop.staff.create_owner(args.username, args.name or args.username, secret)
    else:
        info = shop.staff.create(args.username, args.name or args.username, args.role, secret)
    print(json.dumps({"username": info.username, "role": info.role.value}))
    return 0


def _search_record(shop: Shop, query: str, limit: int) -> dict[str, object]:
    started = time.perf_counter()
    hits = shop.search(query, limit)
    ms = (time.perf_counter() - started) * 1000
    return {"query": query, "ms": round(ms, 3), "results": [
        {"id": str(h.id), "code": h.code, "name": h.name, "phone": h.phone, "email": h.email,
         "score": h.score} for h in hits]}


def _search(shop: Shop, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise ShopdeskError("--limit must be at least 1")
    if (args.text is None) == (args.batch is None):
        raise ShopdeskError("give either TEXT or --batch FILE")
    shop.search_engine.warm()  # built once per process, not counted per query
    if args.batch is not None:
        if not args.batch.is_file():
            raise ShopdeskError(f"cannot read {args.batch}: no such file")
        print(f"index of {shop.search_engine.index_size} customers built in "
              f"{shop.search_engine.build_seconds:.2f} s", file=sys.stderr)
        with args.batch.open(encoding="utf-8") as handle:
            for line in handle:
                query = line.rstrip("\r\n")
                if query.strip():
                    print(json.dumps(_search_record(shop, query, args.limit),
                                     ensure_ascii=False))
        return 0
    record = _search_record(shop, args.text, args.limit)
    if args.json:
        print(json.dumps(record, ensure_ascii=False))
        return 0
    results = record["results"]
    assert isinstance(results, list)
    for r in results:
        print(f"{r['code']:<11} {r['name']:<32} {r['phone']:<16} {r['email'] or '':<32} "
              f"{r['score']:>7.1f}")
    print(f"{len(results)} found in {record['ms']} ms", file=sys.stderr)
    return 0 if results else EXIT_FAILURE


def _plain(value: object) -> object:
    """A view (dataclass) as JSON-ready data: UUIDs, dates and Decimals as text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, UUID | Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _day(value: datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def _devices(shop: Shop, args: argparse.Namespace) -> int:
    history = shop.devices.history_of(args.identifier)
    if args.json:
        print(json.dumps(_plain(history), ensure_ascii=False))
        return 0
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
    return 0


def _tickets(shop: Shop, args: argparse.Namespace) -> int:
    if args.action == "show":
        if not args.number:
            raise ShopdeskError("tickets show needs a NUMBER")
        detail = shop.tickets.get(args.number)
        if args.json:
            print(json.dumps(_plain(detail), ensure_ascii=False))
            return 0
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
        return 0
    if args.limit < 1:
        raise ShopdeskError("--limit must be at least 1")
    board = shop.tickets.board(status=args.status, limit=args.limit)
    if args.json:
        print(json.dumps(_plain(board), ensure_ascii=False))
        return 0
    for t in board:
        print(f"{t.number:<14} {t.status:<18} {t.customer_code:<10} {t.customer_name:<28} "
              f"{t.technician_name or '-':<16} {t.devices}")
    print(f"{len(board)} tickets", file=sys.stderr)
    return 0


def _write_pdf(path: Path, pdf: bytes) -> None:
    if path.is_dir():
        raise ShopdeskError(f"cannot write {path}: it is a folder")
    try:
        path.write_bytes(pdf)
    except OSError as exc:
        raise ShopdeskError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path} ({len(pdf) // 1024 + 1} KB)")


def _print(shop: Shop, args: argparse.Namespace) -> int:
    documents: dict[str, Callable[[str], bytes]] = {
        "receipt": lambda n: shop.printing.receipt(n, args.paper),
        "jobsheet": shop.printing.jobsheet, "labels": shop.printing.labels,
        "feedback": shop.printing.feedback}
    _write_pdf(args.out, documents[args.document](args.number))
    return 0


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ShopdeskError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def _report(shop: Shop, args: argparse.Namespace) -> int:
    start, end = _date(args.date_from, "--from"), _date(args.date_to, "--to")
    _write_pdf(args.out, shop.printing.summary_report(start, end))
    return 0


COMMANDS: dict[str, Callable[[Shop, argparse.Namespace], int]] = {
    "demo": _demo, "import": _import, "export": _export, "settings": _settings,
    "audit": _audit, "staff": _staff, "search": _search, "devices": _devices,
    "tickets": _tickets, "print": _print, "report": _report,
}
COMMANDS.update(cli_sync.commands(ProgressBar))
