"""The customer verbs: `import` and `export` customers, `search` as the search box does.

Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shopdesk.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_SOME_REJECTED,
    ProgressBar,
    Subparsers,
    fail,
    json_option,
    verb,
)
from shopdesk.errors import ShopdeskError, ValidationError
from shopdesk.shop import Shop

SHOWN_REJECTS = 20  # rejected rows listed on stderr; all of them go to the rejects file


DELIMITERS = {",": ",", "comma": ",", ";": ";", "semicolon": ";", "tab": "\t", "\\t": "\t",
              "\t": "\t", "|": "|", "pipe": "|"}


def _delimiter(text: str) -> str:
    try:
        return DELIMITERS[text.strip().lower() if text.strip() else text]
    except KeyError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a delimiter (use , ; tab or |)") from None


def register(sub: Subparsers) -> None:
    imp = verb(sub, "import", _import, "import records from a file")
    imp.add_argument("what", choices=["customers"])
    imp.add_argument("file", type=Path)
    imp.add_argument("--rejects", type=Path, help="where to write rejected rows "
                     "(default: FILE.rejects.csv)")
    imp.add_argument("--encoding", metavar="E", help="the file's encoding (default: "
                     "detected: byte-order mark, else UTF-8, else the system's legacy code "
                     "page, cp1252 on Linux and macOS), e.g. utf-8, cp1252, latin-1, utf-16")
    imp.add_argument("--delimiter", type=_delimiter, metavar="D",
                     help="the column separator: , ; tab or | (default: detected from "
                     "the header row)")

    exp = verb(sub, "export", _export, "export records to .csv or .json")
    exp.add_argument("what", choices=["customers"])
    exp.add_argument("file", type=Path)

    search = verb(sub, "search", _search, "find customers as the search box does")
    search.add_argument("text", nargs="?", help="what to look for")
    search.add_argument("--batch", type=Path, metavar="FILE",
                        help="one query a line; one JSON line out per query")
    search.add_argument("--limit", type=int, default=10, metavar="N")
    json_option(search)


@contextmanager
def _ctrl_c_stops(event: threading.Event) -> Iterator[None]:
    """While inside, the first Ctrl-C sets `event` (the import ends after the batch in
    hand, with its summary); a second one stops at once."""
    def first(_signum: int, _frame: object) -> None:
        print("\nstopping after the current batch (Ctrl-C again to stop at once)",
              file=sys.stderr)
        event.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    if threading.current_thread() is not threading.main_thread():
        yield  # signals go to the main thread only (an embedding caller)
        return
    previous = signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _import(shop: Shop, args: argparse.Namespace) -> int:
    interrupted = threading.Event()
    try:
        with _ctrl_c_stops(interrupted):
            report = shop.transfer.import_csv(
                args.file, ProgressBar("importing"), args.rejects, encoding=args.encoding,
                delimiter=args.delimiter, cancel=interrupted)
    except ValidationError as exc:
        # The service names the problem; the command line names its option for it.
        header = exc.for_field("header")
        if exc.for_field("encoding"):
            raise ShopdeskError(f"{exc} (see --encoding)") from None
        if header is not None and "it looks" in header.message:
            raise ShopdeskError(f"{exc} (see --delimiter)") from None
        raise
    if report.cancelled:
        report.stopped = "interrupted (Ctrl-C)"
    if report.format is not None:
        print(f"read {args.file} as {report.format.describe()}")
    if report.total == 0 and report.stopped is None:
        print(f"no rows: {args.file} has a header row and nothing else; nothing imported")
        return EXIT_OK
    print(report.summary())
    if report.rejected:
        for r in report.rejected[:SHOWN_REJECTS]:
            print(f"  line {r.line}: {r.field}: {r.reason}", file=sys.stderr)
        if len(report.rejected) > SHOWN_REJECTS:
            print(f"  ... and {len(report.rejected) - SHOWN_REJECTS} more", file=sys.stderr)
        if report.rejects_path is not None:
            print(f"rejected {len(report.rejected)} rows; written to {report.rejects_path}")
    stopped = report.stop_reason()
    if stopped is not None:
        return fail(stopped, EXIT_FAILURE)
    if report.rejects_error is not None:
        return fail(f"rejected {len(report.rejected)} rows, but {report.rejects_error}",
                    EXIT_FAILURE)
    return EXIT_SOME_REJECTED if report.rejected else EXIT_OK


def _export(shop: Shop, args: argparse.Namespace) -> int:
    count = shop.transfer.export(args.file, ProgressBar("exporting"))
    print(f"exported {count} customers to {args.file}")
    return EXIT_OK


def _search_record(shop: Shop, query: str, limit: int) -> dict[str, object]:
    started = time.perf_counter()
    hits = shop.search(query, limit)
    ms = (time.perf_counter() - started) * 1000
    return {"query": query, "ms": round(ms, 3), "results": [
        {"id": str(h.id), "code": h.code, "name": h.name, "phone": h.phone, "email": h.email,
         "score": h.score} for h in hits]}


def _batch_queries(path: Path) -> list[str]:
    """The queries of a --batch file, all read (and checked) before the first runs."""
    if path.is_dir():
        raise ShopdeskError(f"cannot read {path}: it is a folder; give a file with one "
                            "query a line")
    if not path.is_file():
        raise ShopdeskError(f"cannot read {path}: no such file")
    queries = []
    for number, raw in enumerate(path.read_bytes().split(b"\n"), 1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise ShopdeskError(
                f"{path} line {number}: byte 0x{raw[exc.start]:02X} at column "
                f"{exc.start + 1} is not UTF-8; save the file as UTF-8") from None
        if line.strip():
            queries.append(line.rstrip("\r"))
    return queries


def _search(shop: Shop, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise ShopdeskError("--limit must be at least 1")
    if (args.text is None) == (args.batch is None):
        raise ShopdeskError("give either TEXT or --batch FILE")
    shop.search_engine.warm()  # built once per process, not counted per query
    if args.batch is not None:
        queries = _batch_queries(args.batch)
        print(f"index of {shop.search_engine.index_size} customers built in "
              f"{shop.search_engine.build_seconds:.2f} s", file=sys.stderr)
        for query in queries:
            print(json.dumps(_search_record(shop, query, args.limit), ensure_ascii=False))
        return EXIT_OK
    record = _search_record(shop, args.text, args.limit)
    if args.json:
        print(json.dumps(record, ensure_ascii=False))
        return EXIT_OK
    results = record["results"]
    assert isinstance(results, list)
    for r in results:
        print(f"{r['code']:<11} {r['name']:<32} {r['phone']:<16} {r['email'] or '':<32} "
              f"{r['score']:>7.1f}")
    print(f"{len(results)} found in {record['ms']} ms", file=sys.stderr)
    return EXIT_OK if results else EXIT_FAILURE
