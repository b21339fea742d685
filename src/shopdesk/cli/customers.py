"""The customer verbs: `import` and `export` customers, `search` as the search box does.

Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from shopdesk.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_SOME_REJECTED,
    ProgressBar,
    Subparsers,
    json_option,
    verb,
)
from shopdesk.errors import ShopdeskError
from shopdesk.shop import Shop

SHOWN_REJECTS = 20  # rejected rows listed on stderr; all of them go to the rejects file


def register(sub: Subparsers) -> None:
    imp = verb(sub, "import", _import, "import records from a file")
    imp.add_argument("what", choices=["customers"])
    imp.add_argument("file", type=Path)
    imp.add_argument("--rejects", type=Path, help="where to write rejected rows "
                     "(default: FILE.rejects.csv)")

    exp = verb(sub, "export", _export, "export records to .csv or .json")
    exp.add_argument("what", choices=["customers"])
    exp.add_argument("file", type=Path)

    search = verb(sub, "search", _search, "find customers as the search box does")
    search.add_argument("text", nargs="?", help="what to look for")
    search.add_argument("--batch", type=Path, metavar="FILE",
                        help="one query a line; one JSON line out per query")
    search.add_argument("--limit", type=int, default=10, metavar="N")
    json_option(search)


def _import(shop: Shop, args: argparse.Namespace) -> int:
    report = shop.transfer.import_csv(args.file, ProgressBar("importing"), args.rejects)
    print(f"imported {report.imported} of {report.total} rows in {report.seconds:.1f} s")
    if report.rejected:
        for r in report.rejected[:SHOWN_REJECTS]:
            print(f"  line {r.line}: {r.field}: {r.reason}", file=sys.stderr)
        if len(report.rejected) > SHOWN_REJECTS:
            print(f"  ... and {len(report.rejected) - SHOWN_REJECTS} more", file=sys.stderr)
        print(f"rejected {len(report.rejected)} rows; written to {report.rejects_path}")
        return EXIT_SOME_REJECTED
    return EXIT_OK


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
