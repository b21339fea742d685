"""What each cut in shopdesk.spec saves: one PyInstaller build per cut, with that cut
left out (SHOPDESK_BUNDLE_KEEP=<cut>), plus one with every cut and one with none.

    python bench/bundle_size.py [--workdir bench/out/bundle-size] [--only CUT,...]

Prints one line per build: the bundle's size and what the cut saves. Takes one
build's time per line (1-4 minutes each).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cut_names() -> list[str]:
    spec = (ROOT / "shopdesk.spec").read_text(encoding="utf-8")
    block = spec[spec.index("CUTS = {"):spec.index("\n}\n", spec.index("CUTS = {"))]
    return re.findall(r'^    "([a-z0-9-]+)": dict\(', block, re.MULTILINE)


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def build(keep: str, workdir: Path) -> tuple[int, float]:
    out = workdir / (keep or "every-cut")
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "SHOPDESK_BUNDLE_KEEP": keep}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level",
                           "WARN", "--distpath", str(out / "dist"), "--workpath",
                           str(out / "build"), str(ROOT / "shopdesk.spec")],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"build with SHOPDESK_BUNDLE_KEEP={keep} failed:\n{done.stderr[-3000:]}")
    seconds = time.perf_counter() - started
    size = size_of(out / "dist" / "shopdesk")
    shutil.rmtree(out / "build", ignore_errors=True)
    return size, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out" / "bundle-size")
    parser.add_argument("--only", default="", help="comma-separated cut names")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or cut_names()
    full, seconds = build("", args.workdir)
    print(f"every cut:         {full / 2**20:7.1f} MiB  (build {seconds:.0f} s)", flush=True)
    for name in names:
        size, seconds = build(name, args.workdir)
        print(f"without {name:<18} {size / 2**20:7.1f} MiB  the cut saves "
              f"{(size - full) / 2**20:5.1f} MiB  (build {seconds:.0f} s)", flush=True)
    none, seconds = build("all", args.workdir)
    print(f"no cut at all:     {none / 2**20:7.1f} MiB  the cuts save "
          f"{(none - full) / 2**20:5.1f} MiB together  (build {seconds:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
