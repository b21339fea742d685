"""Loyalty figures (issue 17): balance and tier of a long ledger, the nightly pass.

    python bench/loyalty.py [--customers 100000] [--workdir bench/out]

Builds a shop of `--customers` customers (the demo's realistic names) with a skewed
ledger: most customers have a handful of entries over two years, a few hundred have
hundreds, one has 5,000; about a third redeemed some points; tiers as earned.

Cold: a fresh process opens the shop and asks once (the first time it sees the data).
Warm: the same question again in that process (median of 200). The nightly pass runs
in a fresh process: first on a shop that never ran it (every lot of two years that
expired is due, notices, tier moves), then the next day (what a shop's night holds),
then again that day (nothing left to do).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
OWNER, SECRET = "owner", "bench-pass-1"
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

CHILD = r"""
import json, os, statistics, sys, time, uuid
from datetime import datetime
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")
from shopdesk.shop import Shop
root, task, heavy, at = sys.argv[1], sys.argv[2], uuid.UUID(sys.argv[3]), sys.argv[4]
moment = datetime.fromisoformat(at)
shop = Shop.open(root, clock=lambda: moment)
shop.sign_in("owner", "bench-pass-1")
out = {}
if task == "balance":
    t = time.perf_counter(); b = shop.loyalty.balance(heavy); out["cold"] = time.perf_counter() - t
    warm = []
    for _ in range(200):
        t = time.perf_counter(); shop.loyalty.balance(heavy); warm.append(time.perf_counter() - t)
    out["warm"] = statistics.median(warm); out["balance"] = b.balance; out["tier"] = b.tier
    t = time.perf_counter(); a = shop.loyalty.account(heavy)
    out["account_cold"] = time.perf_counter() - t
    warm = []
    for _ in range(20):
        t = time.perf_counter(); shop.loyalty.account(heavy); warm.append(time.perf_counter() - t)
    out["account_warm"] = statistics.median(warm); out["entries"] = a.entries
else:
    r = shop.loyalty_nightly.run()
    out["first"] = r.__dict__
    shop.close()
    from datetime import timedelta
    moment = moment + timedelta(days=1)
    shop = Shop.open(root, clock=lambda: moment)
    shop.sign_in("owner", "bench-pass-1")
    r = shop.loyalty_nightly.run()
    out["next"] = r.__dict__
    r = shop.loyalty_nightly.run()
    out["again"] = r.__dict__
print(json.dumps(out, default=str))
shop.close()
"""


def build(workdir: Path, count: int) -> tuple[Path, uuid.UUID]:
    from shopdesk.models.base import Money, UTCDateTime
    from shopdesk.services.demo.demo import generate
    from shopdesk.shop import Shop

    root = workdir / f"loyalty-{count}"
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(17)
    stamp = UTCDateTime().process_bind_param
    pence = Money().process_bind_param
    with Shop.open(root, clock=lambda: NOW - timedelta(days=800)) as shop:
        shop.staff.create_owner(OWNER, "Bench Owner", SECRET)
        shop.sign_in(OWNER, SECRET)
        shop.transfer.import_rows(((n + 2, r) for n, r in enumerate(generate(count, 11))),
                                  count)
        with shop.store.read() as session:
            ids = [r[0] for r in session.connection().exec_driver_sql(
                "SELECT id FROM customers ORDER BY id")]
        heavy = uuid.UUID(hex=ids[0])
        rows = []
        for n, cid in enumerate(ids):
            many = 5000 if n == 0 else min(400, int(rng.paretovariate(1.1)))
            for _ in range(many):
                at = NOW - timedelta(days=rng.uniform(0, 730), seconds=rng.uniform(0, 86400))
                paid = rng.randint(10, 300)
                if rng.random() < 0.25:
                    rows.append((uuid.uuid4().hex, cid, "redeem", "ticket", -rng.randint(1, 50),
                                 0, stamp(at, None), None))
                else:
                    rows.append((uuid.uuid4().hex, cid, "earn", "ticket", paid,
                                 pence(__import__("decimal").Decimal(paid), None),
                                 stamp(at, None), stamp(at + timedelta(days=365), None)))
        with shop.store.write() as session:
            session.connection().exec_driver_sql(
                "INSERT INTO loyalty_entries (id, customer_id, kind, source, points, spend, "
                "reason, ticket_id, ref_id, expires_at, staff_id, actor, created_at) VALUES "
                "(?, ?, ?, ?, ?, ?, '', NULL, NULL, ?, NULL, 'bench', ?)",
                [(i, c, k, s, p, sp, e, a) for i, c, k, s, p, sp, a, e in rows])
    print(f"built {count:,} customers and {len(rows):,} ledger entries "
          f"(the heaviest customer has 5,000)")
    return root, heavy


def child(root: Path, task: str, heavy: uuid.UUID, at: datetime) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(root), task, str(heavy),
                           at.isoformat()], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100000)
    parser.add_argument("--workdir", type=Path, default=HERE / "out")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    root, heavy = build(args.workdir, args.customers)
    print(f"(build {time.perf_counter() - started:.0f} s)")
    b = child(root, "balance", heavy, NOW)
    print(f"balance and tier of a customer with {b['entries']:,} entries: "
          f"cold {b['cold'] * 1000:.2f} ms, warm {b['warm'] * 1000:.2f} ms "
          f"(balance {b['balance']}, {b['tier']})")
    print(f"whole account (lots by FIFO replay, history): cold {b['account_cold'] * 1000:.1f} "
          f"ms, warm {b['account_warm'] * 1000:.1f} ms")
    n = child(root, "nightly", heavy, NOW)

    def line(what: str, r: dict) -> None:
        print(f"{what}: {float(r['seconds']):.2f} s ({r['expired_lots']:,} lots and "
              f"{r['expired_points']:,} points expired, {r['notices']:,} notices, "
              f"{r['anniversaries']:,} anniversaries, {r['promotions']:,} promotions, "
              f"{r['demotions']:,} demotions; {r['customers']:,} accounts touched)")

    line(f"first pass over {args.customers:,} customers (two years of expiries due)",
         n["first"])
    line("the nightly pass the next day", n["next"])
    line("the same pass again that day (nothing left to do)", n["again"])


if __name__ == "__main__":
    main()
