"""Privacy figures (issue 15) on a realistic shop: what sealing costs an import, and how
long an erasure, a data export, the monthly data-quality check, a page of the audit
browser and the access alerts take.

    python bench/privacy.py [--customers 100000] [--workdir bench/out] [--reuse]

Cold: a fresh process that opens the shop and does the task once (the first time this
data is seen by it). Warm: the same task again in that process, on other customers.
Prints one line per figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Without an OS keyring (a headless machine) the database key comes from a passphrase, as
# on a headless shop computer; the children inherit it.
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")
OWNER, SECRET = "owner", "bench-pass-1"

CHILD = r"""
import json, os, sys, time, uuid
from pathlib import Path
# Without an OS keyring (a headless machine, a child process) the database key comes
# from a passphrase, as on a headless shop computer.
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")

from shopdesk.shop import Shop
from shopdesk.services.audit import AuditFilter
root, task, ids, out = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), Path(sys.argv[4])
shop = Shop.open(root)
shop.sign_in("owner", "bench-pass-1")
def run(i):
    c = uuid.UUID(ids[i])
    if task == "erase":
        shop.erasure.forget(c, "bench")
    elif task == "export":
        shop.portability.export_data(c, out / f"{ids[i]}.zip")
    elif task == "quality":
        shop.privacy_reports.data_quality()
    elif task == "browse":
        shop.audit.browse(AuditFilter(action=("create", "view")[i % 2]), offset=100 * i)
    elif task == "alerts":
        shop.monitoring.alerts(days=7)
times = []
for i in range(len(ids)):
    t = time.perf_counter(); run(i); times.append(time.perf_counter() - t)
print(json.dumps(times))
shop.close()
"""


def build(workdir: Path, count: int) -> tuple[Path, float]:
    from shopdesk.services.demo.demo import generate
    from shopdesk.services.demo.demo_repairs import generate_repairs
    from shopdesk.shop import Shop

    root = workdir / f"privacy-{count}"
    shutil.rmtree(root, ignore_errors=True)
    with Shop.open(root) as shop:
        shop.staff.create_owner(OWNER, "Bench Owner", SECRET)
        shop.sign_in(OWNER, SECRET)
        rows = ((n + 2, row) for n, row in enumerate(generate(count, 11)))
        started = time.perf_counter()
        report = shop.transfer.import_rows(rows, count)
        seconds = time.perf_counter() - started
        generate_repairs(shop.store, shop.audit, shop.staff, 1.5, 11)
        # A month of profile views by three people, for the alerts and the browser.
        ids = [c.id for c in shop.customers.summaries(shop.customers.search_ids("", 3000))]
        for n, customer in enumerate(ids[:3000]):
            if n % 3 == 0:
                shop.customers.open_profile(customer)
    print(f"import of {report.imported:,} customers with sealed audit values: "
          f"{seconds:.1f} s ({report.imported / seconds:,.0f} rows/s)")
    return root, seconds


def sealing_cost(root: Path, entries: int = 20000) -> None:
    """The audit append of `entries` customer creations, sealed and not (rolled back)."""
    from shopdesk.domain.customer_rules import CustomerInput, clean_customer
    from shopdesk.services.customers.customers import created_fields
    from shopdesk.shop import Shop

    with Shop.open(root) as shop:
        shop.sign_in(OWNER, SECRET)
        actor = shop.store.actor
        assert actor is not None
        ids = shop.customers.search_ids("", entries)
        clean = clean_customer(CustomerInput(first_name="Ana", last_name="Lopez",
                                             phone="07400123456", email="a@example.com"),
                               shop.settings.policy(), shop.store.clock().date())
        detail = {"code": "X", "fields": created_fields(clean)}
        for seal in (False, True):
            with shop.store.write() as session:
                started = time.perf_counter()
                shop.audit.append_many(session, actor, [("create", "customer", c, detail)
                                                        for c in ids], seal=seal)
                seconds = time.perf_counter() - started
                session.rollback()
            shop.audit.subject_keys.forget_cached([c.hex for c in ids])
            print(f"audit append of {len(ids):,} customer entries, "
                  f"{'sealed' if seal else 'unsealed'}: {seconds:.2f} s "
                  f"({seconds / len(ids) * 1e6:.0f} µs an entry)")


def sample(root: Path, count: int) -> list[str]:
    from shopdesk.shop import Shop

    with Shop.open(root) as shop:
        shop.sign_in(OWNER, SECRET)
        with shop.store.read() as session:
            rows = session.connection().exec_driver_sql(
                "SELECT customer_id FROM repair_tickets GROUP BY customer_id "
                "ORDER BY count(*) DESC, customer_id LIMIT ?", (count,)).all()
    return [str(uuid.UUID(hex=str(r[0]))) for r in rows]


def child(root: Path, task: str, ids: list[str], out: Path) -> list[float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(root), task, json.dumps(ids),
                           str(out)], capture_output=True, text=True, check=True)
    return [float(x) for x in json.loads(done.stdout.strip().splitlines()[-1])]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100000)
    parser.add_argument("--workdir", type=Path, default=HERE / "out")
    parser.add_argument("--reuse", action="store_true",
                        help="use the shop a previous run built (no import or sealing figures)")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    root = args.workdir / f"privacy-{args.customers}"
    if not (args.reuse and (root / "shopdesk.sqlite").exists()):
        root, _ = build(args.workdir, args.customers)
        sealing_cost(root)
    people = sample(root, 40)
    out = args.workdir / "privacy-exports"
    out.mkdir(exist_ok=True)
    plan = [("erase", "erasure of a customer with tickets", 6),
            ("export", "data export (ZIP) of a customer", 6),
            ("browse", "audit browser page (100 entries, filtered)", 6),
            ("alerts", "access alerts over the last week", 3),
            ("quality", f"data-quality check of {args.customers:,} customers", 2)]
    used = 0
    for task, label, runs in plan:
        ids = people[used:used + runs] if task in ("erase", "export") else people[:runs]
        used += runs if task in ("erase", "export") else 0
        times = child(root, task, ids, out)
        warm = statistics.median(times[1:]) if len(times) > 1 else times[0]
        print(f"{label}: cold {times[0] * 1000:,.0f} ms, warm {warm * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
