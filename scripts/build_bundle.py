"""Build the PyInstaller bundle (shopdesk.spec) and prove the frozen programs work.

    python scripts/build_bundle.py                # build dist/shopdesk/, then smoke-test it
    python scripts/build_bundle.py --skip-build   # smoke-test the dist/shopdesk/ built before

The smoke test runs the frozen programs as a shop would, each step timed:
`--version`; `demo --customers 50`; `search`; `print receipt` and `print labels`
(with a PNG logo, so ReportLab's barcodes and Pillow are exercised); `backup now`,
`backup verify` and `restore customer` (SQLCipher, the backup format and APSW's
reading inside a backup) once the command line has a `backup` verb;
`central setup`, `central join`, `sync` and `sync status` against a real Postgres
(`--pg-url`, else $SHOPDESK_TEST_PG_URL, else one started with `pgserver` from
the test extras); and the window, offscreen, until the sign-in and the owner-setup
dialogs are shown (`shopdesk --smoke-test`).

Credentials never touch an OS keyring (with the keyring's "fail" backend, `join`
keeps the token in a private file of the data directory, where `sync` finds it; the
encrypted database's key comes from $SHOPDESK_DB_PASSPHRASE), and
PSYCOPG_IMPL=binary makes psycopg refuse any implementation but the bundled one.

Exits 1 with `build_bundle: FAILED: <step>: <reason>` on a PyInstaller error, a
missing file in the bundle, a non-zero exit, a traceback, ModuleNotFoundError or
a missing resource in any step's output; prints the build time, the bundle's size
and each step's time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Output that means a frozen program is broken, whatever its exit code.
FORBIDDEN = ("Traceback (most recent call last)", "ModuleNotFoundError", "No module named",
             "ImportError", "FileNotFoundError", "missing resource", "Failed to execute script",
             "[PYI-", "smoke-test: failed")
STEP_TIMEOUT = 600


class Failed(Exception):
    """A step failed; the message says which and why."""


@dataclass
class Bundle:
    folder: Path
    exe_suffix: str = ".exe" if sys.platform == "win32" else ""

    @property
    def cli(self) -> Path:
        return self.folder / f"shopdesk-cli{self.exe_suffix}"

    @property
    def window(self) -> Path:
        return self.folder / f"shopdesk{self.exe_suffix}"

    @property
    def internal(self) -> Path:
        return self.folder / "_internal"


@dataclass
class Report:
    steps: list[tuple[str, float, str]] = field(default_factory=list)

    def add(self, name: str, seconds: float, note: str = "ok") -> None:
        self.steps.append((name, seconds, note))
        print(f"  {name:<34} {seconds:7.2f} s  {note}", flush=True)


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


# -- build ------------------------------------------------------------------------------------

def build(dist: Path, work: Path, report: Report) -> None:
    log = work.parent / "bundle-build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"building with PyInstaller (log: {log}) ...", flush=True)
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm",
                               "--distpath", str(dist), "--workpath", str(work),
                               str(ROOT / "shopdesk.spec")],
                              cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    errors = [line for line in text.splitlines() if " ERROR: " in line or line.startswith("ERROR")]
    if done.returncode or errors:
        tail = "\n".join((errors or text.splitlines())[-20:])
        raise Failed(f"build: PyInstaller exited {done.returncode} "
                     f"with {len(errors)} errors:\n{tail}")
    report.add("build (PyInstaller)", seconds)


def expected_files(bundle: Bundle) -> list[Path]:
    """Files the programs load at run time that must be inside the bundle."""
    inside = bundle.internal
    wanted = [inside / "shopdesk" / name / path.relative_to(ROOT / name)
              for name in ("migrations", "resources")
              for path in (ROOT / name).rglob("*")
              if path.is_file() and "__pycache__" not in path.parts]
    package = ROOT / "src" / "shopdesk"
    wanted += [inside / "shopdesk" / path.relative_to(package) for path in package.rglob("*")
               if path.is_file() and path.suffix not in (".py", ".pyc")
               and "__pycache__" not in path.parts]
    plugins = inside / "PySide6" / "Qt" / "plugins"
    if sys.platform == "win32":
        plugins = inside / "PySide6" / "plugins"
        native = plugins / "platforms" / "qwindows.dll"
    elif sys.platform == "darwin":
        native = plugins / "platforms" / "libqcocoa.dylib"
    else:
        native = plugins / "platforms" / "libqxcb.so"
    ext = {"win32": ".dll", "darwin": ".dylib"}.get(sys.platform, ".so")
    prefix = "" if sys.platform == "win32" else "lib"
    wanted += [native, plugins / "platforms" / f"{prefix}qoffscreen{ext}",
               plugins / "imageformats" / f"{prefix}qsvg{ext}"]
    return wanted


def check_contents(bundle: Bundle, report: Report) -> None:
    started = time.perf_counter()
    for program in (bundle.window, bundle.cli):
        if not program.is_file():
            raise Failed(f"contents: {program.name} is not in {bundle.folder}")
    missing = [p for p in expected_files(bundle) if not p.exists()]
    if missing:
        shown = "\n".join(f"  {p.relative_to(bundle.folder)}" for p in missing[:20])
        raise Failed(f"contents: {len(missing)} files missing from the bundle:\n{shown}")
    report.add("contents (resources, Qt plugins)", time.perf_counter() - started,
               f"{len(expected_files(bundle))} files present")


def print_size(bundle: Bundle) -> int:
    total = tree_size(bundle.folder)
    print(f"bundle size: {mib(total)} ({bundle.folder})")
    parts = sorted(((tree_size(p) if p.is_dir() else p.stat().st_size, p.name)
                    for p in bundle.internal.iterdir()), reverse=True)
    print("  largest: " + ", ".join(f"{name} {mib(size)}" for size, name in parts[:8]))
    return total


# -- smoke test -------------------------------------------------------------------------------

def run(report: Report, name: str, argv: list[str | Path], env: dict[str, str],
        expect: str | None = None, code: int = 0) -> str:
    """Run one frozen command; its stdout, or Failed with the reason. The report shows
    the line that matched `expect` (or the last line)."""
    started = time.perf_counter()
    try:
        done = subprocess.run([str(a) for a in argv], env=env, capture_output=True, text=True,
                              encoding="utf-8", errors="replace", timeout=STEP_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise Failed(f"{name}: no answer within {STEP_TIMEOUT} s") from exc
    seconds = time.perf_counter() - started
    output = done.stdout + done.stderr
    bad = next((word for word in FORBIDDEN if word in output), None)
    if done.returncode != code or bad:
        reason = (f"'{bad}' in its output" if bad else
                  f"exit code {done.returncode}, expected {code}")
        raise Failed(f"{name}: {reason}\n$ {' '.join(map(str, argv))}\n{output.strip()}")
    found = re.search(expect, output) if expect else None
    if expect and found is None:
        raise Failed(f"{name}: expected /{expect}/ in its output, got:\n{output.strip()}")
    lines = [line for line in output.splitlines() if line.strip()]
    note = next((line for line in lines if found and found.group(0) in line),
                lines[-1] if lines else "ok")
    report.add(name, seconds, note.strip()[:80])
    return done.stdout


@contextlib.contextmanager
def postgres(url: str | None, scratch: Path) -> Iterator[str]:
    """An administrator URL of a fresh database, dropped afterwards."""
    import psycopg

    server = None
    if not url:
        with warnings.catch_warnings():  # platformdirs: no XDG_RUNTIME_DIR on a CI box
            warnings.simplefilter("ignore")
            try:
                import pgserver
            except ImportError as exc:
                raise Failed("central: no Postgres: pass --pg-url, set SHOPDESK_TEST_PG_URL "
                             "or install the test extras (pgserver)") from exc
            server = pgserver.get_server(scratch / "pg", cleanup_mode="stop")
        url = server.get_uri()
    name = f"shopdesk_bundle_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = url.partition("?")
    try:
        yield f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if server is not None:
            server.cleanup()


def verbs(help_text: str) -> set[str]:
    match = re.search(r"\{([a-z,_-]+)\}", help_text)
    return set(match.group(1).split(",")) if match else set()


def smoke(bundle: Bundle, report: Report, pg_url: str | None, scratch: Path) -> None:
    cli, window = bundle.cli, bundle.window
    shop, fresh = scratch / "shop", scratch / "new-shop"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SHOPDESK_HOME": str(scratch / "home"),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", "PSYCOPG_IMPL": "binary",
           # No keyring here: the encrypted database's key comes from a passphrase.
           "SHOPDESK_DB_PASSPHRASE": "bundle smoke test passphrase"}
    for variable in ("SHOPDESK_SYNC_TOKEN", "SHOPDESK_SUPABASE_KEY", "PYTHONPATH"):
        env.pop(variable, None)
    data = ["--data-dir", str(shop)]
    from shopdesk import __version__

    version = rf"shopdesk {re.escape(__version__)}"
    run(report, "--version", [cli, "--version"], env, expect=version)
    run(report, "window program: --version", [window, "--version"], env, expect=version)
    available = verbs(run(report, "no verb: help, not the window", [cli], env,
                          expect="usage:", code=2))
    if not {"demo", "search", "print", "central", "sync"} <= available:
        raise Failed(f"--help: cannot read the verbs from the help (found {sorted(available)})")
    run(report, "demo --customers 50", [cli, "demo", "--customers", "50", *data], env,
        expect="added 50 customers")
    tickets = json.loads(run(report, "tickets list --json", [cli, "tickets", "list", "--json",
                                                              *data], env, expect=r"R-\w+-\d+"))
    if not tickets:
        raise Failed("tickets list: the demo made no open tickets")
    ticket = tickets[0]
    run(report, "search", [cli, "search", ticket["customer_name"], *data], env,
        expect=re.escape(ticket["customer_code"]))
    logo = ROOT / "resources" / "icons" / "shopdesk.png"
    run(report, "settings set shop.logo_path", [cli, "settings", "set", "shop.logo_path",
                                                logo, *data], env)
    for document in ("receipt", "labels"):
        pdf = scratch / f"{document}.pdf"
        run(report, f"print {document}", [cli, "print", document, ticket["number"], "--out", pdf,
                                          *data], env)
        if not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF") \
                or pdf.stat().st_size < 2000:
            raise Failed(f"print {document}: {pdf} is not a PDF")
    if "backup" in available:
        made = json.loads(run(report, "backup now", [cli, "backup", "now", "--json", *data],
                              env, expect='"ok": true'))
        run(report, "backup verify", [cli, "backup", "verify", made["path"], *data], env,
            expect="backup verified")
        run(report, "restore customer", [cli, "restore", "customer", ticket["customer_code"],
                                         "--from", made["path"], *data], env,
            expect=f"restored customer {re.escape(ticket['customer_code'])}")
    else:
        report.add("backup now", 0.0, "skipped: the command line has no `backup` verb yet")
    with postgres(pg_url, scratch) as url:
        run(report, "central setup", [cli, "central", "setup", url, *data], env,
            expect="created the central schema")
        joined = run(report, "central join", [cli, "central", "join", url, "--store", "Smoke St",
                                              "--name", "bundle", *data], env, expect="joined .*")
        # No OS keyring here: the credential is kept in a private file of the data
        # directory (older versions printed it for SHOPDESK_SYNC_TOKEN instead).
        token = re.search(r"SHOPDESK_SYNC_TOKEN=(\S+)", joined)
        if token is None and "readable by you only" not in joined:
            raise Failed(f"central join: the credential was kept nowhere:\n{joined}")
        synced = {**env, "SHOPDESK_SYNC_TOKEN": token.group(1)} if token else env
        run(report, "sync", [cli, "sync", *data], synced, expect=r"synced: pushed [1-9]")
        run(report, "sync status", [cli, "sync", "status", *data], synced, expect="pending.*")
    # A windowed program on Windows has no stdout: there the console program (the same
    # code) says what was shown, and the window program answers with its exit code.
    shows = cli if sys.platform == "win32" else window
    shots = ROOT / "build" / "bundle-smoke"  # what the frozen window drew, to look at
    shots.mkdir(parents=True, exist_ok=True)
    run(report, "window: sign-in", [shows, "--smoke-test", *data],
        {**env, "SHOPDESK_SMOKE_SCREENSHOT": str(shots / "sign-in.png")},
        expect=r"smoke-test: sign-in shown after [\d.]+ s")
    run(report, "window: first start (owner setup)", [shows, "--smoke-test", "--data-dir", fresh],
        {**env, "SHOPDESK_SMOKE_SCREENSHOT": str(shots / "owner-setup.png")},
        expect=r"smoke-test: owner setup shown after [\d.]+ s")
    for shot in ("sign-in.png", "owner-setup.png"):
        if not (shots / shot).is_file() or (shots / shot).stat().st_size < 2000:
            raise Failed(f"window: the frozen window drew nothing ({shots / shot})")
    print(f"  screenshots of the frozen window: {shots}")
    if shows != window:
        run(report, "window program: --smoke-test", [window, "--smoke-test", *data], env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true",
                        help="smoke-test the bundle already in --dist")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--pg-url", default=os.environ.get("SHOPDESK_TEST_PG_URL"),
                        help="an administrator Postgres URL (default: $SHOPDESK_TEST_PG_URL, "
                             "else pgserver)")
    args = parser.parse_args(argv)
    bundle = Bundle(args.dist / "shopdesk")
    report = Report()
    started = time.perf_counter()
    try:
        if not args.skip_build:
            build(args.dist, args.work, report)
        check_contents(bundle, report)
        size = print_size(bundle)
        print("smoke test of the frozen programs:", flush=True)
        with tempfile.TemporaryDirectory(prefix="shopdesk-bundle-") as tmp:
            smoke(bundle, report, args.pg_url, Path(tmp))
    except Failed as exc:
        print(f"build_bundle: FAILED: {exc}", file=sys.stderr)
        return 1
    steps = sum(s for name, s, _ in report.steps if not name.startswith("build"))
    built = next((s for name, s, _ in report.steps if name.startswith("build")), None)
    print(f"build_bundle: OK: {f'build {built:.0f} s, ' if built else ''}bundle {mib(size)}, "
          f"{len(report.steps)} steps, smoke test {steps:.1f} s, "
          f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
