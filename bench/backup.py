"""Backup and restore figures at shop scale (issue 15).

    python bench/backup.py [--source bench/out/shop-100k-repairs] [--target bench/out/shop-backup]

Copies the 100k-customer, 400k-ticket shop made by bench/foundation.py and
bench/repairs.py (encrypting it on the first open if it is a plain file from before
encryption, timed), then, each figure on one line:

- a backup with the window in use (a child process: searches typed and customers
  registered while it runs): its time, its size beside the database's, and the
  longest stall of the window's event loop (target < 100 ms);
- `backup verify` (the database rebuilt from the file and checked);
- single-customer restores (target < 1 s): the first from a backup never read
  before (cold), then others (warm), customers with devices and tickets;
- a whole restore into a new data directory.

The database key comes from $SHOPDESK_DB_PASSPHRASE where the OS keyring cannot keep
it (set here to a bench value when unset).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

HERE = Path(__file__).resolve().parent
OWNER, SECRET = "owner", "bench-pass-1"
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")

from shopdesk.shop import Shop  # noqa: E402


def prepare(source: Path, target: Path) -> None:
    if (target / "shopdesk.sqlite").exists():
        return
    shutil.copytree(source, target)
    started = time.perf_counter()
    with Shop.open(target) as shop:
        size = shop.db_path.stat().st_size
    print(f"first open: {size / 2**20:,.0f} MB database opened (encrypted first if plain) "
          f"in {time.perf_counter() - started:.1f} s")


def backup_in_use(root: Path) -> str:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(HERE / "_backup_child.py"), str(root), OWNER,
                           SECRET], capture_output=True, text=True, env=env, timeout=7200)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BACKUP")), None)
    if done.returncode or line is None:
        raise SystemExit(f"backup child failed: {done.stdout.strip()[-1000:]} "
                         f"{done.stderr.strip()[-2000:]}")
    _, seconds, stall, p99, writes, name = line.split()
    with Shop.open(root) as shop:
        info = next(i for i in shop.backups.available() if i.name == name)
        size = shop.db_path.stat().st_size
    print(f"backup with the window in use: {float(seconds):.1f} s, {info.size / 2**20:,.0f} MB "
          f"for a {size / 2**20:,.0f} MB database ({size / info.size:.1f}x smaller), "
          f"longest stall of the window {stall} ms (p99 {p99} ms; target < 100 ms), "
          f"{writes} registrations saved meanwhile")
    return name


def verify(root: Path, name: str) -> None:
    with Shop.open(root) as shop:
        shop.act_as_system("bench")
        started = time.perf_counter()
        result = shop.backups.verify(shop.backups.folder() / name)
    print(f"backup verify (database rebuilt from the file, integrity_check, row counts): "
          f"{'ok' if result.ok else result.problem} in {time.perf_counter() - started:.1f} s")


def restore_customers(root: Path, name: str, count: int = 10) -> None:
    with Shop.open(root) as shop:
        shop.act_as_system("bench")
        with shop.store.read() as session:
            codes = list(session.execute(text(
                "SELECT c.code FROM customers c WHERE c.id IN (SELECT customer_id FROM "
                "repair_tickets) ORDER BY c.code LIMIT :n OFFSET 4000"), {"n": count}).scalars())
        path = shop.backups.folder() / name
        times = []
        for code in codes:
            started = time.perf_counter()
            report = shop.restores.customer(path, code)
            times.append(time.perf_counter() - started)
    print(f"restore one customer (with devices, tickets, service history): first "
          f"{times[0] * 1000:.0f} ms (backup never read before), then median "
          f"{statistics.median(times[1:]) * 1000:.0f} ms, max {max(times[1:]) * 1000:.0f} ms "
          f"over {len(times) - 1} (target < 1 s); last: {sum(report.updated.values())} "
          "records set back")


def restore_whole(root: Path, name: str, target: Path) -> None:
    with Shop.open(root) as shop:
        shop.act_as_system("bench")
        recovery = shop.backups.recovery_key()
        path = shop.backups.folder() / name
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    with Shop.open(target) as fresh:
        fresh.act_as_system("bench")
        report = fresh.restore_database(path, recovery)
    print(f"restore the whole database into a new data directory: "
          f"{time.perf_counter() - started:.1f} s ({report.counts.get('customers', 0):,} "
          f"customers, {report.counts.get('repair_tickets', 0):,} tickets)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=HERE / "out" / "shop-100k-repairs")
    parser.add_argument("--target", type=Path, default=HERE / "out" / "shop-backup")
    args = parser.parse_args()
    prepare(args.source, args.target)
    name = backup_in_use(args.target)
    verify(args.target, name)
    restore_customers(args.target, name)
    restore_whole(args.target, name, args.target.with_name(args.target.name + "-restored"))


if __name__ == "__main__":
    main()
