"""Cold start of the frozen window to the sign-in dialog (issue 14: under 2 s at 100k customers).

    python bench/bundle_start.py [--customers 100000] [--runs 5] [--bundle dist/shopdesk]

Makes once a data directory of N customers (`shopdesk demo --tickets-per-customer 0`
from the source install, which also creates the owner), then starts
`<bundle>/shopdesk --smoke-test --data-dir DIR` in a fresh process `--runs` times,
offscreen. Each run prints the wall clock from spawn to the "sign-in shown" line
(what the person at the counter waits for) and to exit, beside the app's own figure
(from the moment Python starts running shopdesk). Before the first run the bundle's
and the data directory's files are evicted from the OS page cache (Linux:
posix_fadvise DONTNEED on those files only; the machine's shared libraries stay
cached, as on a shop PC that has been on for a while), so the first run reads them
from disk; later runs are warm. The source install (`python -m shopdesk
--smoke-test`) is timed the same way for comparison (its first run evicts only the
data directory).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Without an OS keyring (a headless machine, a child process) the database key comes
# from a passphrase, as on a headless shop computer.
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")


ROOT = Path(__file__).resolve().parent.parent
SHOWN = re.compile(r"smoke-test: (sign-in|owner setup) shown after (\d+\.\d+) s")


def make_data(root: Path, customers: int) -> None:
    if (root / "shopdesk.sqlite").is_file():
        return
    print(f"making {root} with {customers} customers ...", flush=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "shopdesk", "demo", "--customers", str(customers),
                    "--tickets-per-customer", "0", "--data-dir", str(root)],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"  made in {time.perf_counter() - started:.0f} s", flush=True)


def evict(*folders: Path) -> int:
    """Drop these files from the page cache; how many were dropped (0 where unsupported)."""
    if not hasattr(os, "posix_fadvise"):
        return 0
    count = 0
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    count += 1
                finally:
                    os.close(fd)
    return count


def start(argv: list[str]) -> tuple[float, float, float]:
    """(spawn to the dialog shown, spawn to exit, the app's own figure), in seconds."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    assert process.stdout is not None
    shown, own = None, None
    for line in process.stdout:
        found = SHOWN.search(line)
        if found:
            shown, own = time.perf_counter() - started, float(found.group(2))
    stderr = process.stderr.read() if process.stderr else ""
    code = process.wait()
    ended = time.perf_counter() - started
    if code or shown is None or own is None:
        raise SystemExit(f"{argv[0]} --smoke-test failed ({code}):\n{stderr}")
    return shown, ended, own


def series(name: str, argv: list[str], runs: int, cold: list[Path]) -> None:
    evicted = evict(*cold)
    times = [start(argv) for _ in range(runs)]
    first, rest = times[0], times[1:]
    print(f"{name}: first run ({evicted} files evicted from the page cache): shown "
          f"{first[0]:.2f} s, exit {first[1]:.2f} s (app's own figure {first[2]:.2f} s)")
    if rest:
        print(f"{name}: later runs: shown median {statistics.median(t[0] for t in rest):.2f} s "
              f"(min {min(t[0] for t in rest):.2f}, max {max(t[0] for t in rest):.2f}), "
              f"exit median {statistics.median(t[1] for t in rest):.2f} s, "
              f"app's own median {statistics.median(t[2] for t in rest):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "shopdesk")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    program = args.bundle / ("shopdesk.exe" if sys.platform == "win32" else "shopdesk")
    if not program.is_file():
        raise SystemExit(f"{program} not found: build it with `python scripts/build_bundle.py`")
    root = args.workdir / f"bundle-start-{args.customers}"
    make_data(root, args.customers)
    print(f"{args.customers} customers, {args.runs} runs each, offscreen")
    series("frozen window", [str(program), "--smoke-test", "--data-dir", str(root)], args.runs,
           [args.bundle, root])
    series("source install", [sys.executable, "-m", "shopdesk", "--smoke-test", "--data-dir",
                              str(root)], args.runs, [root])


if __name__ == "__main__":
    main()
