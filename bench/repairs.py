"""Repairs figures: a device's history by IMEI, and the ticket board, at shop scale.

    python bench/repairs.py [--source bench/out/shop-100000] [--target bench/out/shop-100k-repairs]

Copies the 100k-customer shop made by bench/foundation.py, adds generated
devices and repair tickets (about 150k and 400k), then times
`shop.devices.history_of(imei)` (target < 5 ms), `shop.tickets.board()` and what
the board screen reads (`board_groups`, `board_page`; target: the board opens in
< 200 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

# Without an OS keyring (a headless machine, a child process) the database key comes
# from a passphrase, as on a headless shop computer.
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")

from shopdesk.models import Device, RepairTicket
from shopdesk.services.demo.demo_repairs import generate_repairs
from shopdesk.shop import Shop

HERE = Path(__file__).resolve().parent


def copy_db(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    from shopdesk.db import cipher, dbkey
    key = dbkey.existing(source / "shopdesk.sqlite")  # the copy keeps the same key
    src = cipher.connect(source / "shopdesk.sqlite", key)
    dst = cipher.connect(target / "shopdesk.sqlite", key, verify=False)
    src.backup(dst)
    dst.close()
    src.close()


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return sorted(out)


def describe(label: str, ms: list[float], target: str) -> None:
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    print(f"{label}: median {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms, "
          f"max {ms[-1]:.2f} ms over {len(ms)} runs (target {target})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=HERE / "out" / "shop-100000")
    parser.add_argument("--target", type=Path, default=HERE / "out" / "shop-100k-repairs")
    parser.add_argument("--tickets-per-customer", type=float, default=4.0)
    args = parser.parse_args()
    if not (args.target / "shopdesk.sqlite").exists():
        copy_db(args.source, args.target)
        with Shop.open(args.target) as shop:
            shop.act_as_system("bench")
            done = generate_repairs(shop.store, shop.audit, shop.staff,
                                    args.tickets_per_customer, 7, None)
            print(f"generated {done.devices:,} devices, {done.tickets:,} tickets, "
                  f"{done.services:,} service records in {done.seconds:.0f} s")
    with Shop.open(args.target) as shop:
        shop.act_as_system("bench")
        with shop.store.read() as session:
            customers = session.scalar(text("SELECT count(*) FROM customers"))
            devices = session.scalar(select(func.count()).select_from(Device))
            tickets = session.scalar(select(func.count()).select_from(RepairTicket))
            imeis = list(session.scalars(select(Device.imei).where(Device.imei.is_not(None))))
        print(f"{args.target.name}: {customers:,} customers, {devices:,} devices, "
              f"{tickets:,} repair tickets")
        sample = random.Random(5).sample(imeis, 500)
        for imei in sample[:20]:
            shop.devices.history_of(imei)  # statement compile out of the timing
        ms = []
        for imei in sample:
            started = time.perf_counter()
            history = shop.devices.history_of(imei)
            ms.append((time.perf_counter() - started) * 1000)
            assert history.device.imei == imei
        describe("device history by IMEI", sorted(ms), "< 5 ms")
        shop.tickets.board()
        board = shop.tickets.board()
        describe(f"ticket board, open tickets ({len(board)} rows shown)",
                 timed(shop.tickets.board, 20), "< 200 ms")
        describe("ticket board, one status",
                 timed(lambda: shop.tickets.board(status="in_repair"), 20), "< 200 ms")
        # What the board screen reads: every status counted, then a page at a time.
        groups = shop.tickets.board_groups()
        print("board groups: " + ", ".join(f"{g.status} {g.count:,} ({g.overdue:,} overdue)"
                                           for g in groups))
        describe("board counts, every status (cold run first)",
                 timed(shop.tickets.board_groups, 20), "< 200 ms")
        open_ = ("received", "diagnosing", "awaiting_approval", "awaiting_parts",
                 "in_repair", "ready")
        describe("board overview: open statuses counted + their first pages",
                 timed(lambda: shop.tickets.board_overview(open_), 20), "< 200 ms")
        describe("board page, 50 received (most urgent first)",
                 timed(lambda: shop.tickets.board_page("received", 0, 50), 20), "< 50 ms")
        describe("board page, 50 collected at offset 0",
                 timed(lambda: shop.tickets.board_page("collected", 0, 50), 20), "< 50 ms")
        describe("board page, 50 collected at offset 10,000 (deep scroll)",
                 timed(lambda: shop.tickets.board_page("collected", 10_000, 50), 20),
                 "< 200 ms")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(HERE / "_board_child.py"), str(args.target), "10"],
                          capture_output=True, text=True, env=env, timeout=600)
    lines = [x.split() for x in done.stdout.splitlines() if x.startswith("BOARD")]
    if done.returncode or not lines:
        raise SystemExit(f"board child failed: {done.stderr.strip()}")
    describe(f"ticket board screen, shown to rows painted ({lines[0][2]} rows)",
             sorted(float(x[1]) for x in lines), "< 200 ms")


if __name__ == "__main__":
    main()
