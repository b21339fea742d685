"""Messaging figures (issue 16).

    python bench/messaging.py [--root bench/out/messaging] [--drain 10000] [--rate 100]

1. What enqueueing adds to the write that causes it (target < 5 ms): the same ticket
   moves (in_repair -> ready, which queues `ready_for_pickup` and `uncollected_reminder`)
   timed with the automations hooked in and with them unhooked, on a shop of 3,000
   customers with tickets; the first move of a fresh process (cold) and the median and
   p95 of the rest (warm).
2. Draining `--drain` queued messages through a loopback Twilio stand-in with the
   channel's rate limit set to `--rate` per second, by the window's background sender
   thread, while a Qt timer on the GUI thread ticks every 10 ms: the drain time against
   the rate limit's floor, and the longest stall of the event loop (target < 100 ms).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests.messaging.fakes: the loopback providers
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["SHOPDESK_TWILIO_AUTH_TOKEN"] = "twilio-test-token"

from tests.messaging.fakes import SID, Providers  # noqa: E402

from shopdesk.domain.customer_rules import CustomerInput  # noqa: E402
from shopdesk.domain.device_rules import DeviceInput  # noqa: E402
from shopdesk.models import Message  # noqa: E402
from shopdesk.models.base import table_of  # noqa: E402
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake  # noqa: E402
from shopdesk.shop import Shop  # noqa: E402

OWNER, SECRET = "owner", "bench-pass-1"


def build(root: Path, customers: int) -> list[uuid.UUID]:
    """A shop with `customers` customers and one ticket each in repair."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    tickets = []
    with Shop.open(root) as shop:
        shop.staff.create_owner(OWNER, "Bench Owner", SECRET)
        shop.sign_in(OWNER, SECRET)
        shop.settings.set("messaging.quiet_hours", "")
        shop.settings.set("messaging.sms.account_sid", SID)
        shop.settings.set("messaging.sms.from_number", "+447400000001")
        for i in range(customers):
            cid = shop.customers.register(CustomerInput(
                first_name=f"Name{i}", last_name=f"Surname{i % 97}",
                phone=f"+4474{i:08d}", email=f"c{i}@example.com")).customer.id
            t = shop.tickets.intake(TicketIntake(cid, [TicketDeviceIntake(
                "Screen", device=DeviceInput(make="Apple", model="iPhone 12"))])).ticket
            shop.tickets.change_status(t.summary.id, "in_repair")
            tickets.append(t.summary.id)
    return tickets


def moves(shop: Shop, tickets: list[uuid.UUID]) -> list[float]:
    out = []
    for ticket in tickets:
        started = time.perf_counter()
        shop.tickets.change_status(ticket, "ready")
        out.append((time.perf_counter() - started) * 1000)
    return out


def describe(label: str, ms: list[float]) -> str:
    cold, warm = ms[0], sorted(ms[1:])
    p95 = warm[int(len(warm) * 0.95)]
    return (f"{label}: cold {cold:.2f} ms; warm median {statistics.median(warm):.2f} ms, "
            f"p95 {p95:.2f} ms ({len(warm)} moves)")


def in_repair(root: Path, count: int) -> list[uuid.UUID]:
    from sqlalchemy import select

    from shopdesk.models import RepairTicket

    with Shop.open(root) as shop, shop.store.read() as session:
        return list(session.scalars(select(RepairTicket.id).where(
            RepairTicket.status == "in_repair").limit(count)))


def enqueue_cost(root: Path, per_run: int) -> None:
    tickets = in_repair(root, per_run * 3)
    runs = [tickets[i * per_run:(i + 1) * per_run] for i in range(3)]
    with Shop.open(root) as shop:  # a fresh Shop: the first move compiles its statements
        shop.sign_in(OWNER, SECRET)
        hooked = moves(shop, runs[0])
    with Shop.open(root) as shop:  # as in the window: the sender thread warmed up first
        shop.sign_in(OWNER, SECRET)
        shop.messaging.warm()
        warmed = moves(shop, runs[1])
    with Shop.open(root) as shop:
        shop.sign_in(OWNER, SECRET)
        shop.store._hooks.clear()  # the same move with no automation hooked in
        bare = moves(shop, runs[2])
    print(describe("ticket move with automations (2 messages queued)", hooked))
    print(describe("the same after the window's warm-up", warmed))
    print(describe("ticket move without automations", bare))
    added = statistics.median(sorted(hooked[1:])) - statistics.median(sorted(bare[1:]))
    print(f"enqueueing adds {added:.2f} ms (median) to the write that causes it, "
          f"{added / 2:.2f} ms per message (first move in a fresh process: "
          f"{hooked[0] - bare[0]:+.2f} ms; after the warm-up: {warmed[0] - bare[0]:+.2f} ms); "
          "target < 5 ms per message")


def drain(root: Path, count: int, rate: int) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from shopdesk.services.messaging.runner import MessagingRunner

    providers = Providers()
    app = QApplication.instance() or QApplication([])
    try:
        with Shop.open(root) as shop:
            shop.sign_in(OWNER, SECRET)
            shop.settings.set("messaging.sms.base_url", providers.url)
            shop.settings.set("messaging.sms.rate_per_second", str(rate))
            now = shop.store.clock()
            with shop.store.write() as session:
                session.execute(table_of(Message).delete())
                rows = [{"id": uuid.uuid4(), "customer_id": None, "channel": "sms",
                         "direction": "out", "purpose": "manual", "to_address":
                         f"+4475{i:08d}", "subject": "", "body": f"Bench message {i}",
                         "status": "queued", "node": shop.store.node_tag, "due_at": now,
                         "next_attempt_at": now, "attempts": 0, "created_at": now,
                         "updated_at": now} for i in range(count)]
                session.execute(table_of(Message).insert(), rows)
            gaps: list[float] = []
            last = [time.perf_counter()]

            def tick() -> None:
                t = time.perf_counter()
                gaps.append((t - last[0]) * 1000)
                last[0] = t

            timer = QTimer()
            timer.setInterval(10)
            timer.timeout.connect(tick)
            timer.start()
            done = threading.Event()

            def reported(_report: object) -> None:
                if len(providers.sent) >= count:
                    done.set()

            runner = MessagingRunner(shop.messaging, interval=0.2, on_report=reported)
            started = time.perf_counter()
            runner.start()
            while not done.is_set() and time.perf_counter() - started < count / rate * 4 + 60:
                app.processEvents()
                time.sleep(0.002)
            elapsed = time.perf_counter() - started
            runner.stop()
            timer.stop()
            sent = len(providers.sent)
            stamps = [s.at for s in providers.sent]
            span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
            print(f"drained {sent:,} of {count:,} messages in {elapsed:.1f} s at a limit of "
                  f"{rate}/s (floor {count / rate:.1f} s; provider saw "
                  f"{(sent - 1) / span if span else 0:.0f}/s)")
            print(f"event loop: longest gap between 10 ms ticks {max(gaps):.1f} ms, "
                  f"p99 {sorted(gaps)[int(len(gaps) * 0.99)]:.1f} ms over {len(gaps):,} "
                  f"ticks, {sum(g > 100 for g in gaps)} over 100 ms (target: none)")
    finally:
        providers.down()
        del app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=HERE / "out" / "messaging")
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--drain", type=int, default=10000)
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the shop already in --root (its tickets still in repair)")
    parser.add_argument("--drain-only", action="store_true", help="measure the drain only")
    args = parser.parse_args()
    if not args.reuse:
        started = time.perf_counter()
        build(args.root, args.customers)
        print(f"built {args.customers:,} customers with a ticket each in "
              f"{time.perf_counter() - started:.0f} s")
    if not args.drain_only:
        enqueue_cost(args.root, 200)
    drain(args.root, args.drain, args.rate)


if __name__ == "__main__":
    main()
