"""Foundation figures: import 100k rows, save one registration, cold start to a usable window.

    python bench/foundation.py [--customers 100000] [--workdir bench/out]

Prints one line per figure. Targets (issue 2): import of 100k rows under 60 s,
a registration saved under 50 ms, cold start to a usable main window under
1.5 s with 100k customers.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Without an OS keyring (a headless machine, a child process) the database key comes
# from a passphrase, as on a headless shop computer.
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.services.demo.demo import generate
from shopdesk.shop import Shop

OWNER, SECRET = "owner", "bench-pass-1"
HERE = Path(__file__).resolve().parent


def write_csv(path: Path, count: int) -> None:
    rows = generate(count, seed=11)
    first = next(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(first))
        writer.writeheader()
        writer.writerow(first)
        writer.writerows(rows)


def bench_import(workdir: Path, count: int) -> Path:
    source = workdir / f"customers-{count}.csv"
    if not source.exists():
        write_csv(source, count)
    root = workdir / f"shop-{count}"
    shutil.rmtree(root, ignore_errors=True)
    with Shop.open(root) as shop:
        shop.staff.create_owner(OWNER, "Bench Owner", SECRET)
        shop.act_as_system("bench")
        started = time.perf_counter()
        report = shop.transfer.import_csv(source)
        seconds = time.perf_counter() - started
    print(f"import: {report.imported} of {report.total} rows in {seconds:.1f} s "
          f"({report.imported / seconds:,.0f} rows/s; target < 60 s)")
    return root


def bench_register(root: Path, samples: int = 200) -> None:
    with Shop.open(root) as shop:
        shop.sign_in(OWNER, SECRET)
        times = []
        for n in range(samples):
            data = CustomerInput(first_name="Bench", last_name=f"Person{n}",
                                 phone=f"+44 7999 9{n:05d}", email=f"bench{n}@example.com",
                                 city="Leeds", preferred_contact="sms")
            started = time.perf_counter()
            shop.customers.register(data)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"register: {samples} saves on {root.name}: median {statistics.median(times):.1f} ms, "
          f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms (target < 50 ms)")


def bench_cold_start(root: Path, runs: int = 5) -> None:
    child = HERE / "_startup_child.py"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    walls, inner = [], []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(child), str(root), OWNER, SECRET,
                               str(time.time())],
                              capture_output=True, text=True, env=env, timeout=120)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"start-up child failed: {done.stderr.strip()}")
        ready_line = next(line for line in done.stdout.splitlines()
                          if line.startswith("READY"))
        walls.append(wall)
        inner.append(float(ready_line.split()[1]))
    print(f"cold start: process start to usable main window (signed in, list loaded) "
          f"median {statistics.median(inner):.2f} s, worst {max(inner):.2f} s over {runs} runs; "
          f"whole process incl. exit median {statistics.median(walls):.2f} s (target < 1.5 s)")


def app_memory(root: Path, secret: str) -> None:
    """Resident memory of the running app (window shown, search index built)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(HERE / "_startup_child.py"), str(root), OWNER,
                           secret, str(time.time()), "--memory"],
                          capture_output=True, text=True, env=env, timeout=600)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RSS")), None)
    if done.returncode or line is None:
        raise SystemExit(f"memory child failed: {done.stderr.strip()}")
    print(f"memory: running app on {root.name}, window shown and search index built: "
          f"{line.split()[1]} MB resident ({line.split()[2]})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=HERE / "out")
    parser.add_argument("--skip-start", action="store_true")
    parser.add_argument("--memory-of", type=Path, metavar="DATA_DIR",
                        help="only report the running app's memory on this data directory "
                        "(e.g. a 1M-customer one made with `shopdesk demo`)")
    parser.add_argument("--secret", default=SECRET,
                        help="the owner's PIN there (`shopdesk demo` makes 1234)")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.memory_of:
        app_memory(args.memory_of, args.secret)
        return
    root = bench_import(args.workdir, args.customers)
    if not args.skip_start:
        bench_cold_start(root)
    bench_register(root)


if __name__ == "__main__":
    main()
