"""The feedback verbs: `feedback record`, `report`, `import-reviews`, `action`, `pending`.

    shopdesk feedback record TICKET [--csat N] [--nps N] [--ces N] [--comment TEXT]
                                    [--channel C] [--speed N ...] [--json]
    shopdesk feedback report --from D --to D [--json] [--pdf FILE.pdf]
    shopdesk feedback import-reviews FILE.csv [--json]
    shopdesk feedback action CATEGORY TEXT [--from D]

Exit codes: 0 done; 1 failed (the reason, naming the field and rule, on stderr;
nothing written); 2 usage; 3 `import-reviews`: the valid rows went in, some were
rejected (listed on stderr with their line numbers).
Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from shopdesk.cli.common import (
    EXIT_OK,
    EXIT_SOME_REJECTED,
    Parser,
    Subparsers,
    json_option,
    print_json,
    verb,
)
from shopdesk.errors import ShopdeskError
from shopdesk.models.feedback import CATEGORIES, CHANNELS
from shopdesk.services.feedback.feedback_views import ASPECTS, FeedbackInput, Score
from shopdesk.shop import Shop


def register(sub: Subparsers) -> None:
    group = sub.add_parser("feedback", help="customer feedback: record, report, reviews")
    inner = group.add_subparsers(dest="feedback_command", parser_class=Parser, required=True)
    record = verb(inner, "record", _record, "record one answer for a repair ticket")
    record.add_argument("ticket", metavar="TICKET", help="repair ticket number")
    record.add_argument("--csat", metavar="N", help="satisfaction, 1 to 5")
    record.add_argument("--nps", metavar="N", help="likelihood to recommend, 0 to 10")
    record.add_argument("--ces", metavar="N", help="'the shop made it easy', 1 to 7")
    for aspect in ASPECTS:
        record.add_argument(f"--{aspect}", metavar="N", help=f"{aspect} rating, 1 to 5")
    record.add_argument("--comment", default="", metavar="TEXT")
    record.add_argument("--channel", default="counter", metavar="C",
                        help=f"one of {', '.join(CHANNELS)} (default counter)")
    record.add_argument("--language", metavar="CODE",
                        help="the comment's language (default: the customer's)")
    json_option(record)
    report = verb(inner, "report", _report, "CSAT, NPS and CES of a period, with counts")
    report.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--pdf", type=Path, metavar="FILE.pdf",
                        help="also write the report with charts as PDF")
    json_option(report)
    reviews = verb(inner, "import-reviews", _import, "import online reviews from a CSV export")
    reviews.add_argument("file", type=Path, metavar="FILE.csv")
    json_option(reviews)
    action = verb(inner, "action", _action, "record an improvement made about a category")
    action.add_argument("category", choices=CATEGORIES)
    action.add_argument("description", metavar="TEXT")
    action.add_argument("--from", dest="started", metavar="YYYY-MM-DD",
                        help="when it took effect (default today)")
    pending = verb(inner, "pending", _pending,
                   "open the complaints this counter owes for detractors' answers")
    json_option(pending)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ShopdeskError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


def _record(shop: Shop, args: argparse.Namespace) -> int:
    saved = shop.feedback.record(FeedbackInput(
        ticket=args.ticket, channel=args.channel, csat=args.csat, nps=args.nps, ces=args.ces,
        aspects={a: getattr(args, a) for a in ASPECTS if getattr(args, a) is not None},
        comment=args.comment, language=args.language))
    f = saved.feedback
    if args.json:
        return print_json(f)
    scores = ", ".join(f"{k.upper()} {getattr(f, k)}" for k in ("csat", "nps", "ces")
                       if getattr(f, k) is not None) or "no scores"
    print(f"recorded feedback on {f.ticket_number} ({scores}); sentiment {f.sentiment}, "
          f"{', '.join(f.categories) or 'no comment'}")
    if f.points_earned:
        print(f"{f.customer_code} earned {f.points_earned} points")
    if f.complaint_number:
        print(f"detractor: complaint {f.complaint_number} opened")
    return EXIT_OK


def _fmt(score: Score) -> str:
    return f"{score.value if score.value is not None else '-'} (n={score.count})"


def _report(shop: Shop, args: argparse.Namespace) -> int:
    start, end = _day(args.date_from, "--from"), _day(args.date_to, "--to")
    report = shop.feedback.report(start, end)
    if args.pdf is not None:
        pdf = shop.printing.feedback_report(start, end)
        try:
            args.pdf.write_bytes(pdf)
        except OSError as exc:
            raise ShopdeskError(f"cannot write {args.pdf}: {exc.strerror or exc}") from None
        print(f"wrote {args.pdf} ({len(pdf) // 1024 + 1} KB)", file=sys.stderr)
    if args.json:
        return print_json(report)
    r = report
    print(f"feedback {r.start} to {r.end}: {r.answers} answers")
    print(f"CSAT {_fmt(r.csat)}  NPS {_fmt(r.nps)} ({r.promoters} promoters, {r.passives} "
          f"passives, {r.detractors} detractors)  CES {_fmt(r.ces)}")
    print("aspects: " + ", ".join(f"{a} {_fmt(s)}" for a, s in r.aspects.items()))
    print(f"comments: sentiment {_fmt(r.sentiment)}; " + ", ".join(
        f"{c} {n} ({r.negative_categories[c]} negative)" for c, n in r.categories.items() if n))
    print(f"complaints opened {r.complaints_opened}, resolved {r.complaints_resolved}")
    for title, groups in (("technician", r.by_technician), ("service", r.by_service),
                          ("channel", r.by_channel)):
        for g in groups:
            print(f"  {title} {g.name}: {g.answers} answers, CSAT {_fmt(g.csat)}, "
                  f"NPS {_fmt(g.nps)}, CES {_fmt(g.ces)}")
    for a in r.actions:
        print(f"  action {a.started_on} [{a.category}] {a.description}: sentiment "
              f"{_fmt(a.before_sentiment)} before, {_fmt(a.after_sentiment)} after")
    return EXIT_OK


def _import(shop: Shop, args: argparse.Namespace) -> int:
    result = shop.feedback.import_reviews(args.file)
    if args.json:
        print_json(result)
    else:
        print(f"{result.added} reviews imported, {result.duplicates} already there, "
              f"{len(result.rejected)} rejected, {result.complaints} complaints opened")
    for line, reason in result.rejected:
        print(f"shopdesk: error: {args.file.name}, line {line}: {reason}", file=sys.stderr)
    return EXIT_SOME_REJECTED if result.rejected else EXIT_OK


def _action(shop: Shop, args: argparse.Namespace) -> int:
    started = _day(args.started, "--from") if args.started else shop.store.clock().date()
    shop.feedback.add_action(args.category, args.description, started)
    print(f"recorded: {args.category} action from {started}")
    return EXIT_OK


def _pending(shop: Shop, args: argparse.Namespace) -> int:
    opened = shop.feedback.process_pending()
    if args.json:
        return print_json({"opened": opened})
    print(f"{opened} complaints opened")
    return EXIT_OK
