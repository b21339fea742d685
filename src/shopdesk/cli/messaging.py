"""The messaging verbs: `messages` (send, outbox, deliver, history, log, test, resolve,
templates, set-secret, verify, confirm) and `appointments` (list, add, cancel, done).

`messages deliver` exits 0 when everything due went out (or nothing was due), 1
when a message failed for good in this run (the reasons are on stderr and on the
customer's profile), 4 when some wait for a retry (a provider unreachable, rate
limited or failing). Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from uuid import UUID

from shopdesk.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_UNREACHABLE,
    Parser,
    Subparsers,
    data_dir_option,
    fail,
    json_option,
    print_json,
    verb,
)
from shopdesk.domain.messaging.rules import CALL_OUTCOMES, SEND_CHANNELS, TEMPLATE_NAMES
from shopdesk.errors import ShopdeskError
from shopdesk.services.messaging.config import SECRETS, set_secret
from shopdesk.services.messaging.views import MessageView
from shopdesk.shop import Shop


def _action(group: argparse._SubParsersAction[Parser], name: str, handler: object,
            help: str) -> argparse.ArgumentParser:
    parser = group.add_parser(name, help=help)
    parser.set_defaults(handler=handler)
    data_dir_option(parser)
    return parser


def register(sub: Subparsers) -> None:
    messages = verb(sub, "messages", _missing, "send messages, see the outbox and history")
    acts = messages.add_subparsers(dest="action", parser_class=Parser, metavar="ACTION")
    send = _action(acts, "send", _send, "queue a message to a customer")
    send.add_argument("code", metavar="CODE", help="the customer's code")
    send.add_argument("--template", required=True, choices=TEMPLATE_NAMES, metavar="NAME",
                      help=f"one of: {', '.join(TEMPLATE_NAMES)}")
    send.add_argument("--ticket", metavar="NUMBER", help="the repair ticket it is about")
    send.add_argument("--channel", choices=SEND_CHANNELS, help="default: the customer's "
                      "preferred channel, then the shop's fallbacks")
    json_option(send)
    outbox = _action(acts, "outbox", _outbox, "messages not yet sent, or failed")
    outbox.add_argument("--all", action="store_true", help="every outgoing message")
    json_option(outbox)
    deliver = _action(acts, "deliver", _deliver, "send what is due now and report")
    deliver.add_argument("--no-wait", action="store_true", help="stop at a channel's rate "
                         "limit instead of waiting")
    json_option(deliver)
    history = _action(acts, "history", _history, "a customer's messages, calls and visits")
    history.add_argument("code", metavar="CODE")
    json_option(history)
    log = _action(acts, "log", _log, "log a phone call or a visit")
    log.add_argument("code", metavar="CODE")
    log.add_argument("--channel", choices=["call", "visit"], default="call")
    log.add_argument("--outcome", choices=CALL_OUTCOMES, required=True)
    log.add_argument("--note", default="")
    log.add_argument("--incoming", action="store_true", help="the customer called or came")
    json_option(log)
    test = _action(acts, "test", _test, "send a test message on a channel now")
    test.add_argument("channel", choices=SEND_CHANNELS)
    test.add_argument("to", metavar="ADDRESS", help="a phone number (E.164) or e-mail")
    json_option(test)
    resolve = _action(acts, "resolve", _resolve, "settle an unknown or failed message")
    resolve.add_argument("message_id", metavar="MESSAGE_ID")
    how = resolve.add_mutually_exclusive_group(required=True)
    how.add_argument("--sent", action="store_true", help="it did arrive")
    how.add_argument("--resend", action="store_true", help="send it again")
    templates = _action(acts, "templates", _templates, "list or change the automated messages")
    templates.add_argument("name", nargs="?", choices=TEMPLATE_NAMES, metavar="NAME")
    templates.add_argument("--language", help="default: the shop's")
    templates.add_argument("--subject")
    templates.add_argument("--body")
    templates.add_argument("--enable", dest="enabled", action="store_const", const=True)
    templates.add_argument("--disable", dest="enabled", action="store_const", const=False)
    templates.add_argument("--delay", type=int, metavar="MINUTES")
    templates.add_argument("--preview", metavar="CODE", nargs="?", const="",
                           help="show the text as a customer (or a sample one) gets it")
    json_option(templates)
    secret = _action(acts, "set-secret", _set_secret, "store a channel's password or token "
                     "in the OS keyring (read from standard input)")
    secret.add_argument("channel", choices=sorted(SECRETS))
    verify = _action(acts, "verify", _verify, "send a verification code (phone or e-mail)")
    verify.add_argument("code", metavar="CODE")
    verify.add_argument("--item", choices=["phone", "email"], default="phone")
    verify.add_argument("--channel", choices=SEND_CHANNELS)
    confirm = _action(acts, "confirm", _confirm, "check a verification code the customer "
                      "read out")
    confirm.add_argument("code", metavar="CODE")
    confirm.add_argument("verification_code", metavar="DIGITS")
    confirm.add_argument("--item", choices=["phone", "email"], default="phone")

    appts = verb(sub, "appointments", _missing, "the appointment book")
    acts = appts.add_subparsers(dest="action", parser_class=Parser, metavar="ACTION")
    lst = _action(acts, "list", _appointments_list, "a day's appointments")
    lst.add_argument("--date", required=True, type=_date, metavar="YYYY-MM-DD")
    json_option(lst)
    add = _action(acts, "add", _appointments_add, "book an appointment")
    add.add_argument("code", metavar="CODE")
    add.add_argument("--at", required=True, type=_instant, metavar="YYYY-MM-DDTHH:MM",
                     help="local time of this computer unless an offset is given")
    add.add_argument("--reason", required=True)
    add.add_argument("--minutes", type=int, default=30)
    add.add_argument("--ticket", metavar="NUMBER")
    json_option(add)
    for name in ("cancel", "done", "no-show"):
        act = _action(acts, name, _appointments_status, f"mark an appointment {name}")
        act.add_argument("appointment_id", metavar="ID")
        json_option(act)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a time (YYYY-MM-DDTHH:MM)") from None
    return value if value.tzinfo else value.astimezone()


def _uuid(text: str, what: str) -> UUID:
    try:
        return UUID(text.strip())
    except ValueError:
        raise ShopdeskError(f"{what}: '{text}' is not an id") from None


def _missing(shop: Shop, args: argparse.Namespace) -> int:
    raise ShopdeskError(f"{args.command} needs an action (see 'shopdesk {args.command} --help')")


def _line(m: MessageView) -> str:
    when = (m.sent_at or m.due_at).astimezone().strftime("%Y-%m-%d %H:%M")
    what = m.template or m.outcome or m.purpose
    arrow = "->" if m.direction == "out" else "<-"
    error = f"  ({m.last_error})" if m.last_error and m.status in (
        "failed", "unknown", "queued", "sending") else ""
    return (f"{when}  {m.channel:<8} {arrow} {m.customer_code or m.to_address or '-':<12} "
            f"{what:<20} {m.status:<10}{error}")


def _send(shop: Shop, args: argparse.Namespace) -> int:
    view = shop.messaging.send(args.code, args.template, args.ticket, args.channel)
    if args.json:
        return print_json(view)
    print(f"queued {view.template} for {view.customer_code} by {view.channel} "
          f"({view.to_address}); id {view.id}")
    return EXIT_OK


def _outbox(shop: Shop, args: argparse.Namespace) -> int:
    rows = shop.messaging.outbox(everything=args.all)
    if args.json:
        return print_json(rows)
    for m in rows:
        print(_line(m))
    print(f"{len(rows)} messages", file=sys.stderr)
    return EXIT_OK


def _deliver(shop: Shop, args: argparse.Namespace) -> int:
    report = shop.messaging.deliver(pace=not args.no_wait)
    if args.json:
        print_json(report)
    else:
        print(f"sent {report.sent}, failed {report.failed}, retrying {report.retrying}, "
              f"waiting {report.waiting}, cancelled {report.cancelled}, reconciled "
              f"{report.reconciled}, unknown {report.unknown}, verified {report.verified}")
    if report.failed or report.unknown:
        failed = [m for m in shop.messaging.outbox() if m.status in ("failed", "unknown")]
        for m in failed[-5:]:
            print(f"shopdesk: {m.status}: {m.customer_code or m.to_address} {m.channel}: "
                  f"{m.last_error}", file=sys.stderr)
        return EXIT_FAILURE
    if report.retrying:
        return EXIT_UNREACHABLE
    return EXIT_OK


def _history(shop: Shop, args: argparse.Namespace) -> int:
    history = shop.messaging.history(args.code)
    if args.json:
        return print_json(history)
    for m in history.entries:
        print(_line(m))
    for s in history.stats:
        median = f"{s.median_response_minutes:.0f} min" if s.median_response_minutes else "-"
        rate = f"{s.response_rate:.0%}" if s.response_rate is not None else "-"
        print(f"{s.channel}: {s.sent} sent, {s.answered} answered ({rate}), median answer "
              f"{median}")
    if history.satisfaction is not None:
        print(f"satisfaction: {history.satisfaction:.1f} / 5")
    return EXIT_OK


def _log(shop: Shop, args: argparse.Namespace) -> int:
    view = shop.messaging.log_contact(args.code, args.channel, args.outcome, args.note,
                                      "in" if args.incoming else "out")
    return print_json(view) if args.json else (print(_line(view)) or EXIT_OK)


def _test(shop: Shop, args: argparse.Namespace) -> int:
    view = shop.messaging.test_message(args.channel, args.to)
    if args.json:
        print_json(view)
    else:
        print(f"{args.channel} test to {args.to}: {view.status}")
    if view.status != "sent":
        return fail(f"{args.channel}: {view.last_error}", EXIT_FAILURE)
    return EXIT_OK


def _resolve(shop: Shop, args: argparse.Namespace) -> int:
    view = shop.messaging.resolve(_uuid(args.message_id, "MESSAGE_ID"), sent=args.sent)
    print(f"message {view.id}: {view.status}")
    return EXIT_OK


def _templates(shop: Shop, args: argparse.Namespace) -> int:
    changing = any(v is not None for v in (args.subject, args.body, args.enabled, args.delay))
    if changing:
        if not args.name:
            raise ShopdeskError("give the template NAME to change")
        language = args.language or shop.settings.get("shop.language")
        shop.messaging.save_template(args.name, language, subject=args.subject,
                                     body=args.body, enabled=args.enabled,
                                     delay_minutes=args.delay)
    if args.preview is not None:
        if not args.name:
            raise ShopdeskError("give the template NAME to preview")
        subject, body = shop.messaging.preview(args.name, args.language, args.preview or None)
        if args.json:
            return print_json({"subject": subject, "body": body})
        print(subject)
        print()
        print(body)
        return EXIT_OK
    rows = [t for t in shop.messaging.templates(args.language)
            if not args.name or t.name == args.name]
    if args.json:
        return print_json(rows)
    for t in rows:
        state = "on " if t.enabled else "off"
        print(f"{t.name:<22} {state} delay {t.delay_minutes:>6} min  {t.purpose:<9} "
              f"{'(edited) ' if t.customized else ''}{t.body[:60]}")
    return EXIT_OK


def _set_secret(shop: Shop, args: argparse.Namespace) -> int:
    from shopdesk.domain.permissions import Permission

    shop.store.require(Permission.CHANGE_SETTINGS)
    value = sys.stdin.readline().strip()
    if not value:
        raise ShopdeskError("give the secret as one line on standard input")
    set_secret(args.channel, value)
    print(f"{args.channel}: secret stored in the OS keyring")
    return EXIT_OK


def _verify(shop: Shop, args: argparse.Namespace) -> int:
    customer = shop.customers.by_code(args.code)
    if customer is None:
        raise ShopdeskError(f"no customer {args.code}")
    started = shop.verification.start(customer.id, args.item, args.channel)
    print(f"code sent by {started.channel} to {started.address}; valid until "
          f"{started.expires_at.astimezone().strftime('%H:%M')} (run `shopdesk messages "
          "deliver` if no window is open)")
    return EXIT_OK


def _confirm(shop: Shop, args: argparse.Namespace) -> int:
    customer = shop.customers.by_code(args.code)
    if customer is None:
        raise ShopdeskError(f"no customer {args.code}")
    if shop.verification.confirm(customer.id, args.item, args.verification_code):
        print(f"{args.item} of {customer.code} verified")
        return EXIT_OK
    return fail(f"code: wrong {args.item} verification code", EXIT_FAILURE)


def _appointments_list(shop: Shop, args: argparse.Namespace) -> int:
    rows = shop.appointments.day(args.date)
    if args.json:
        return print_json(rows)
    for a in rows:
        print(f"{a.starts_at.astimezone().strftime('%H:%M')}  {a.duration_minutes:>3} min  "
              f"{a.customer_code:<10} {a.customer_name:<28} {a.status:<9} {a.reason}"
              + (f"  [{a.ticket_number}]" if a.ticket_number else ""))
    print(f"{len(rows)} appointments on {args.date.isoformat()}", file=sys.stderr)
    return EXIT_OK


def _appointments_add(shop: Shop, args: argparse.Namespace) -> int:
    view = shop.appointments.book(args.code, args.at, args.reason, args.minutes, args.ticket)
    if args.json:
        return print_json(view)
    print(f"booked {view.customer_code} on {view.starts_at.astimezone():%Y-%m-%d %H:%M}; "
          f"id {view.id}")
    return EXIT_OK


def _appointments_status(shop: Shop, args: argparse.Namespace) -> int:
    status = {"cancel": "cancelled", "done": "done", "no-show": "no_show"}[args.action]
    view = shop.appointments.set_status(_uuid(args.appointment_id, "ID"), status)
    if args.json:
        return print_json(view)
    print(f"appointment {view.id}: {view.status}")
    return EXIT_OK


def webhook_deploy_notes() -> str:
    """How to deploy the webhook receiver (printed by `shopdesk central setup`)."""
    return """\
messaging webhooks: delivery/read receipts, replies and e-mail confirmation links reach
this database through the Edge Function in supabase/functions/shopdesk-webhooks/ (ships
with shopdesk's source). To deploy it with the Supabase CLI:
  1. shopdesk central webhook-key URL            (prints the key once)
  2. supabase secrets set SHOPDESK_WEBHOOK_KEY=<key> SHOPDESK_API_KEY=<the project API key> \\
       SHOPDESK_REST_URL=https://<project>.supabase.co WHATSAPP_APP_SECRET=<app secret> \\
       WHATSAPP_VERIFY_TOKEN=<any phrase> TWILIO_AUTH_TOKEN=<auth token> \\
       SHOPDESK_PUBLIC_URL=https://<project>.supabase.co/functions/v1/shopdesk-webhooks
  3. supabase functions deploy shopdesk-webhooks --no-verify-jwt
  4. WhatsApp (Meta app, Webhooks): callback <public url>/whatsapp, verify token as above,
     subscribe to "messages"; Twilio: the number's incoming-message webhook
     <public url>/twilio; then on a counter:
     shopdesk settings set messaging.public_url <public url>"""
