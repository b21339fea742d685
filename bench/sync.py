"""Sync figures (issues 5 and 11): first sync, resume after a kill, pushing 100 changes,
visibility, and idle egress.

    python bench/sync.py [--customers 100000] [--tickets 300000] [--quick] [--profile]
                         [--transport direct|pooler|rest] [--egress SECONDS]

Against a local Postgres set up the Supabase way (tests/sync/supabase_like.py: a
non-superuser administrator, the API roles, anon's 3-second statement timeout,
passwords enforced), kept in bench/out/sync/supabase. `--transport pooler` syncs
through PgBouncer in transaction mode; `--transport rest` through the PostgREST-like
stand-in (tests/sync/rest_server.py), whose calls run as anon under its 3 s limit, so
large pages are cut off and the engine adapts. `--egress S` measures what an idle REST
counter downloads: S seconds polling every second (before issue 11) and S seconds with
the idle back-off (after), extrapolated to an hour.

1. A new counter's first sync of a central database holding N customers and M repair
   tickets, in a child process (wall time, rows/s, peak RSS; progress bar on stderr).
   Then a second new counter whose child dies (os._exit) once half the rows are in, and
   a resume that must carry on from the saved cursor. Target < 60 s.
2. One `run_once` pushing 100 queued customer edits, median of 5 (target < 0.5 s).
3. A customer registered on counter A, both counters running a SyncRunner (interval
   1 s): time until it is readable on B, median and max of 10 (target < 2 s).

The central database is seeded by loading JSON documents straight into sync.rows (the
exact columns the capture triggers send; a customer is three rows: customers,
customer_preferences, customer_loyalty), not by pushing the mutations. The rows come
from a migrated copy of bench/out/shop-100k-repairs (bench/repairs.py) in
bench/out/sync/source, or from a shop generated as `shopdesk demo` does when that is
missing. The seeded database is kept (per size and schema) as a template for each
run's fresh copy, so reruns skip the seeding.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import json
import os
import platform
import pstats
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import psycopg

# No OS keyring here (and child processes use a null one): the database key comes from
# a passphrase, as on a headless shop computer.
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # the Supabase-like cluster and REST stand-in live in tests/
OUT = HERE / "out" / "sync"
SHARED_SOURCE = HERE / "out" / "shop-100k-repairs"  # made by bench/repairs.py
OWNER, SECRET = "owner", "bench-pass-1"
STORE = "Bench High St"
KILLED_EXIT = 70
SEED_VERSION = b"3"  # bump when documents() changes what is loaded


# -- Postgres ----------------------------------------------------------------------------
API_KEY = "bench-anon-key"
TRANSPORTS = {"direct": " (psycopg straight to Postgres)",
              "pooler": " (PgBouncer, transaction mode)",
              "rest": " (PostgREST-like, anon statement_timeout 3 s)"}


@contextlib.contextmanager

def keyed(path: Path) -> Any:
    """A raw connection to the encrypted database at `path`, keyed as the app keys it."""
    from shopdesk.db import dbkey
    return dbkey.connect(Path(path))


def copy_database(source: Path, target: Path) -> None:
    """An online-backup copy of the encrypted database `source`, under the same key."""
    from shopdesk.db import cipher, dbkey
    key = dbkey.existing(Path(source))
    with contextlib.closing(cipher.connect(source, key)) as src, \
            contextlib.closing(cipher.connect(target, key, verify=False)) as dst:
        src.backup(dst)

def postgres() -> Iterator[Any]:
    from tests.sync.supabase_like import SupabaseLike

    cluster = SupabaseLike(OUT / "supabase")  # data kept between runs, server stopped after
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def admin(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True)


def databases(url: str, like: str) -> list[str]:
    with admin(url) as conn:
        return [r[0] for r in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (like,))]


# -- the local source of realistic rows -------------------------------------------------------
def source_db(customers: int, tickets: int) -> Path:
    """A migrated shop holding at least `customers` customers with `tickets` tickets."""
    from shopdesk.services.demo.demo import generate
    from shopdesk.services.demo.demo_repairs import generate_repairs
    from shopdesk.shop import Shop

    root = OUT / "source"
    db = root / "shopdesk.sqlite"
    if not db.exists() and (SHARED_SOURCE / "shopdesk.sqlite").exists():
        print(f"copying {SHARED_SOURCE} to {root} (once) ...", flush=True)
        root.mkdir(parents=True, exist_ok=True)
        copy_database(SHARED_SOURCE / "shopdesk.sqlite", db)
    if db.exists() and enough(db, customers, tickets):
        Shop.open(root).close()  # brings it to the current schema (cheap once done)
        return db
    root = OUT / f"source-{customers}-{tickets}"
    db = root / "shopdesk.sqlite"
    if not db.exists():
        print(f"generating {customers:,} customers with tickets in {root} (once) ...", flush=True)
        with Shop.open(root) as shop:
            shop.staff.create_owner(OWNER, "Bench Owner", SECRET)
            shop.act_as_system("bench")
            shop.transfer.import_rows(((n + 2, r) for n, r in enumerate(generate(customers))),
                                      customers)
            generate_repairs(shop.store, shop.audit, shop.staff,
                             tickets / customers * 1.1, 7, None)
    Shop.open(root).close()
    if not enough(db, customers, tickets):
        raise SystemExit(f"{db} has too few customers or tickets for this run")
    return db


def enough(db: Path, customers: int, tickets: int) -> bool:
    with contextlib.closing(keyed(db)) as conn:
        have = conn.execute("SELECT count(*) FROM (SELECT 1 FROM customers LIMIT ?)",
                            (customers,)).fetchone()[0]
        held = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM repair_tickets WHERE customer_id IN "
            "(SELECT id FROM customers ORDER BY rowid LIMIT ?) LIMIT ?)",
            (customers, tickets)).fetchone()[0]
    return bool(have >= customers and held >= tickets)


def documents(db: Path, customers: int, tickets: int) -> Iterator[tuple[str, str, str]]:
    """(table, row id, JSON) as the capture triggers would send each row (capture.py).

    The staff directory comes first (tickets name their technician), then a customer
    travels as three rows (customers, customer_preferences, customer_loyalty: the
    profile needs all three), then come the tickets.
    """
    from sqlalchemy import create_engine

    from shopdesk.db.capture import json_object_sql, synced_columns
    from shopdesk.models.sync import SYNCED_BY_NAME

    chosen = "SELECT id FROM customers ORDER BY rowid LIMIT ?"
    plan = [("staff_directory", "1", ()),
            ("customers", f"t.id IN ({chosen})", (customers,)),
            ("customer_preferences", f"t.customer_id IN ({chosen})", (customers,)),
            ("customer_loyalty", f"t.customer_id IN ({chosen})", (customers,)),
            ("repair_tickets", f"t.customer_id IN ({chosen}) ORDER BY t.rowid LIMIT ?",
             (customers, tickets))]
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        for table, where, params in plan:
            spec = SYNCED_BY_NAME[table]
            doc = json_object_sql("t", synced_columns(conn, spec))
            yield from conn.exec_driver_sql(
                f"SELECT '{table}', t.{spec.pk}, {doc} FROM {table} AS t WHERE {where}", params)
    engine.dispose()


def fingerprint() -> str:
    """Changes when the central schema or the local columns change: the seed is redone."""
    h = hashlib.sha1(SEED_VERSION)
    for path in sorted([*(ROOT / "migrations" / "central" / "versions").glob("*.py"),
                        *(ROOT / "migrations" / "versions").glob("*.py"),
                        ROOT / "src" / "shopdesk" / "models" / "sync.py",
                        ROOT / "src" / "shopdesk" / "db" / "capture.py"]):
        h.update(path.read_bytes())
    return h.hexdigest()[:8]


def seed_central(cluster: Any, customers: int, tickets: int) -> str:
    """The name of a database holding the seeded central rows (made once, kept)."""
    from shopdesk.sync import central

    url = cluster.url()
    name = f"bench_seed_{customers}_{tickets}_{fingerprint()}"
    if databases(url, name):
        return name
    db = source_db(customers, tickets)
    loading = f"bench_loading_{os.getpid()}"
    for old in databases(url, f"bench_seed_{customers}_{tickets}_%"):
        cluster.drop_database(old)
    target = cluster.create_database(loading)
    central.setup(target)
    started = time.perf_counter()
    with psycopg.connect(target) as conn:
        conn.execute("CREATE TEMP TABLE stage (ord bigserial, table_name text, row_id text, "
                     "data text)")
        with conn.cursor() as cur, cur.copy(
                "COPY stage (table_name, row_id, data) FROM STDIN") as copy:
            for row in documents(db, customers, tickets):
                copy.write_row(row)
        copied = time.perf_counter()
        store = conn.execute("INSERT INTO sync.stores (name) VALUES (%s) RETURNING id",
                             (STORE,)).fetchone()[0]  # type: ignore[index]
        # Number the rows as the stamp trigger would (counter + 1, + 2, ...), but in one
        # statement: the trigger UPDATEs the one counter row per inserted row, and inside a
        # single transaction each UPDATE walks the growing chain of that row's versions
        # (60k rows took 41 s that way, quadratic). Pushes come in batches of 200, so
        # they never meet this.
        conn.execute("ALTER TABLE sync.rows DISABLE TRIGGER rows_stamp")
        base = conn.execute("SELECT value FROM sync.counter FOR UPDATE").fetchone()[0]  # type: ignore[index]
        conn.execute("INSERT INTO sync.rows (table_name, row_id, data, seq, store_id) "
                     "SELECT table_name, row_id, data::jsonb, %s + row_number() OVER "
                     "(ORDER BY ord), %s FROM stage ORDER BY ord", (base, store))
        conn.execute("UPDATE sync.counter SET value = (SELECT max(seq) FROM sync.rows)")
        conn.execute("ALTER TABLE sync.rows ENABLE TRIGGER rows_stamp")
        inserted = time.perf_counter()
        # The uniqueness claims a push of these customers would have made.
        for kind in ("phone", "email"):
            conn.execute(
                "INSERT INTO sync.claims (kind, value, row_id) SELECT %s, data->>%s, row_id "
                "FROM sync.rows WHERE table_name = 'customers' AND coalesce(data->>%s, '') <> '' "
                "ON CONFLICT DO NOTHING", (kind, kind, kind))
        loaded = conn.execute("SELECT count(*) FROM sync.rows").fetchone()[0]  # type: ignore[index]
    with admin(target) as conn:
        conn.execute("VACUUM ANALYZE")  # as a long-running central database would be
    with cluster.superuser() as conn:
        conn.execute(f'ALTER DATABASE "{loading}" RENAME TO "{name}"')
    print(f"seeded central database {name}: {loaded:,} rows in "
          f"{time.perf_counter() - started:.1f} s (COPY {copied - started:.1f} s, INSERT into "
          f"sync.rows {inserted - copied:.1f} s)", flush=True)
    return name


def fresh_run_db(cluster: Any, seed: str) -> str:
    name = f"bench_run_{os.getpid()}"
    with admin(cluster.url()) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{seed}" STRATEGY FILE_COPY')
    return name


def drop_run_db(cluster: Any, name: str) -> None:
    from psycopg import sql

    with psycopg.connect(cluster.url(name)) as conn:
        roles = [r[0] for r in conn.execute("SELECT role_name FROM sync.devices")]
    cluster.drop_database(name)
    with admin(cluster.url()) as conn:
        for role in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


# -- counters ---------------------------------------------------------------------------------
def new_counter(root: Path, url: str, name: str, via: dict[str, Any] | None = None) -> str:
    """A fresh data directory joined to the central database (at `url`, or as `via`
    says: {"rest": server URL} or {"pooler": pooled URL}); returns its credential."""
    from shopdesk.shop import Shop
    from shopdesk.sync import credentials

    via = via or {}
    shutil.rmtree(root, ignore_errors=True)
    with Shop.open(root) as shop:
        shop.staff.create_owner(OWNER, "Bench Owner", SECRET)
        shop.sign_in(OWNER, SECRET)
        if "rest" in via:
            joined = shop.sync.join(via["rest"], STORE, name, transport="rest", admin_url=url,
                                    api_key=API_KEY)
        else:
            joined = shop.sync.join(via.get("pooler", url), STORE, name)
        state = shop.sync.engine.state() or {}
    token = joined.token or credentials.load(state["role_name"], root=root)
    assert token, "join kept no credential"
    return token


def counts(root: Path) -> tuple[int, int]:
    """(rows of the seeded tables on this counter, its saved pull cursor)."""
    with contextlib.closing(keyed(root / "shopdesk.sqlite")) as conn:
        held = sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
            "staff_directory", "customers", "customer_preferences", "customer_loyalty",
            "repair_tickets"))
        cursor = conn.execute("SELECT pull_cursor FROM sync_state").fetchone()[0]
    return int(held), int(cursor)


def run_child(root: Path, token: str, label: str, kill_at: float = 0.0,
              profile: Path | None = None) -> tuple[int, dict[str, Any], float]:
    """Sync `root` in a child process; its progress bar goes straight to our stderr."""
    env = dict(os.environ, SHOPDESK_SYNC_TOKEN=token, SHOPDESK_SUPABASE_KEY=API_KEY,
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(root),
           "--label", label, "--kill-at", str(kill_at)]
    if profile:
        cmd += ["--profile-to", str(profile)]
    started = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env, timeout=1800)
    wall = time.perf_counter() - started
    lines = [x for x in done.stdout.splitlines() if x.startswith("CHILD ")]
    if not lines:
        raise SystemExit(f"sync child failed ({done.returncode}): {done.stdout}")
    return done.returncode, json.loads(lines[-1][6:]), wall


def child(root: Path, label: str, kill_at: float, profile_to: str | None) -> None:
    """The syncing process: one run_once with a progress bar, maybe dying half way."""
    from shopdesk.shop import Shop

    shop = Shop.open(root)
    shop.search_engine.warm()  # as the app does at start: the index then follows each page
    started = time.perf_counter()
    tty = sys.stderr.isatty()
    shown = [-1]

    def progress(done: int, total: int) -> None:
        share = done / total if total else 1.0
        step = int(share * (50 if tty else 10))
        if step != shown[0]:
            shown[0] = step
            bar = "#" * int(share * 30)
            line = (f"{label} [{bar:<30}] {share:4.0%} {done:,}/{total:,} rows "
                    f"{time.perf_counter() - started:5.1f} s")
            sys.stderr.write(("\r" + line) if tty else (line + "\n"))
            sys.stderr.flush()
        if kill_at and share >= kill_at:
            state = shop.sync.engine.state() or {}
            print("CHILD " + json.dumps({"killed": True, "cursor": state["pull_cursor"],
                                         "done": done, "total": total}), flush=True)
            os._exit(KILLED_EXIT)  # as a power cut would: no clean-up, no commit

    profiler = cProfile.Profile() if profile_to else None
    if profiler:
        profiler.enable()
    result = shop.sync.run_once(progress)
    seconds = time.perf_counter() - started
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile_to)
    if tty:
        sys.stderr.write("\n")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    state = shop.sync.engine.state() or {}
    shop.close()
    print("CHILD " + json.dumps({"killed": False, "pulled": result.pulled, "seconds": seconds,
                                 "cpu": usage.ru_utime + usage.ru_stime,
                                 "rss_mb": usage.ru_maxrss / 1024,
                                 "cursor": state["pull_cursor"]}), flush=True)


# -- the figures ------------------------------------------------------------------------------
def first_sync(url: str, rows: int, profile: bool,
               via: dict[str, Any] | None = None) -> dict[str, Any]:
    root = OUT / "run" / "first"
    token = new_counter(root, url, "bench first", via)
    prof = OUT / "first-sync.prof" if profile else None
    code, out, wall = run_child(root, token, "first sync", profile=prof)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    held, cursor = counts(root)
    assert code == 0 and held == rows, f"first sync ended with {held} rows of {rows}"
    if prof:
        print_profile(prof)
    with contextlib.closing(keyed(root / "shopdesk.sqlite")) as conn:
        page = conn.execute("SELECT pull_page FROM sync_state").fetchone()[0]
    return {"root": root, "token": token, "seconds": out["seconds"], "wall": wall, "page": page,
            "rows_s": rows / out["seconds"], "rss_mb": out["rss_mb"], "cpu": out["cpu"],
            "children_rss_mb": peak_kb / 1024, "pulled": out["pulled"], "cursor": cursor}


def resumed_sync(url: str, rows: int, via: dict[str, Any] | None = None) -> dict[str, Any]:
    root = OUT / "run" / "resume"
    token = new_counter(root, url, "bench resume", via)
    code, killed, _ = run_child(root, token, "killed sync", kill_at=0.5)
    assert code == KILLED_EXIT and killed["killed"], f"the child was not killed ({code})"
    held, cursor = counts(root)
    assert cursor == killed["cursor"], "saved cursor differs from the one at the kill"
    code, out, _ = run_child(root, token, "resumed sync")
    held2, cursor2 = counts(root)
    assert code == 0 and held2 == rows, f"resume ended with {held2} rows of {rows}"
    return {"root": root, "cursor_at_kill": cursor, "rows_at_kill": held,
            "pulled_by_resume": out["pulled"], "seconds": out["seconds"],
            "complete": out["pulled"] + held == rows, "final_cursor": cursor2}


class TimedTransport:
    """The real transport, with the time spent inside push() recorded."""

    def __init__(self, inner: Any, pushes: list[float]) -> None:
        self._inner, self._pushes = inner, pushes

    def push(self, batch: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return dict(self._inner.push(batch))
        finally:
            self._pushes.append(time.perf_counter() - started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def push_hundred(root: Path, runs: int = 5) -> dict[str, Any]:
    from uuid import UUID

    from shopdesk.shop import Shop
    from shopdesk.sync.engine import default_transport

    pushes: list[float] = []
    with Shop.open(root) as shop:
        shop.sign_in(OWNER, SECRET)
        shop.sync.transport_factory = lambda state: TimedTransport(default_transport(state),
                                                                   pushes)
        shop.sync.run_once()  # the app's runner has been syncing: an idle round first
        with shop.store.read() as session:
            ids = [UUID(hex=r[0]) for r in session.connection().exec_driver_sql(
                "SELECT id FROM customers ORDER BY rowid LIMIT 100")]
        rounds, edits = [], []
        for run in range(runs):
            pushes.clear()
            started = time.perf_counter()
            for i, customer in enumerate(ids):
                shop.customers.update(customer, {"notes": f"bench edit {run}.{i}"})
            edits.append(time.perf_counter() - started)
            assert shop.sync.status().pending == len(ids)
            started = time.perf_counter()
            result = shop.sync.run_once()
            rounds.append(time.perf_counter() - started)
            assert result.pushed == len(ids) and not result.rejected, result
            assert shop.sync.status().pending == 0
        push_calls = sum(pushes)
    return {"median": statistics.median(rounds), "min": min(rounds), "max": max(rounds),
            "runs": rounds, "push_call": push_calls, "edits": statistics.median(edits)}


def free_phone(conn: Any, rng: random.Random) -> str:
    import phonenumbers

    while True:
        candidate = f"+4479{rng.randrange(10**8):08d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)) and not conn.execute(
                "SELECT 1 FROM customers WHERE phone = ?", (candidate,)).fetchone():
            return candidate


def visibility(a_root: Path, b_root: Path, trials: int = 10) -> dict[str, Any]:
    from shopdesk.domain.customer_rules import CustomerInput
    from shopdesk.shop import Shop
    from shopdesk.sync.runner import SyncRunner

    rng = random.Random(5)
    times: list[float] = []
    with Shop.open(a_root) as a, Shop.open(b_root) as b, \
            contextlib.closing(keyed(b_root / "shopdesk.sqlite")) as look:
        a.sign_in(OWNER, SECRET)
        b.sign_in(OWNER, SECRET)
        runners = [SyncRunner(a.sync), SyncRunner(b.sync)]  # interval 1 s: the default
        a.store.subscribe(runners[0].nudge)  # as the app does: a local write starts a round
        b.store.subscribe(runners[1].nudge)
        for runner in runners:
            runner.start()
        for runner in runners:
            assert runner.wait_rounds(1, 120), "a runner did not finish its first round"
        try:
            for trial in range(trials):
                time.sleep(rng.uniform(0.2, 1.2))  # land anywhere in B's 1 s cycle
                phone = free_phone(look, rng)
                started = time.perf_counter()
                saved = a.customers.register(CustomerInput(
                    first_name="Vera", last_name=f"Visible{trial}", phone=phone))
                row = saved.customer.id.hex
                while not look.execute("SELECT 1 FROM customers WHERE id = ?",
                                       (row,)).fetchone():
                    if time.perf_counter() - started > 30:
                        raise SystemExit(f"trial {trial}: not on B after 30 s")
                    time.sleep(0.005)
                times.append(time.perf_counter() - started)
        finally:
            for runner in runners:
                runner.stop()
    return {"median": statistics.median(times), "max": max(times), "min": min(times),
            "times": times}


def print_profile(path: Path) -> None:
    stats = pstats.Stats(str(path))
    report = OUT / "first-sync-profile.txt"
    with report.open("w") as handle:
        pstats.Stats(str(path), stream=handle).sort_stats("cumulative").print_stats(60)
        pstats.Stats(str(path), stream=handle).sort_stats("tottime").print_stats(40)
    print(f"profile of the first sync: {report}")
    stats.sort_stats("tottime").print_stats(15)


def machine(url: str) -> str:
    with admin(url) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return (f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
            f"PostgreSQL {pg} (Supabase-like: pgserver binaries), SQLite {sqlite3.sqlite_version}")


def idle_egress(cluster: Any, seconds: float) -> dict[str, Any]:
    """Bytes an idle REST counter downloads: polling every second vs backing off."""
    from tests.sync.rest_server import rest_server

    from shopdesk.shop import Shop
    from shopdesk.sync import central
    from shopdesk.sync.runner import SyncRunner

    name = f"bench_egress_{os.getpid()}"
    url = cluster.create_database(name)
    central.setup(url)
    figures: dict[str, Any] = {}
    try:
        with rest_server(url, API_KEY) as rest:
            root = OUT / "run" / "egress"
            new_counter(root, url, "bench idle", {"rest": rest.url})
            with Shop.open(root) as shop:
                shop.sign_in(OWNER, SECRET)
                shop.sync.run_once()  # its first upload, so what follows is idle
                for label, cap in (("before", 1.0), ("after", 30.0)):
                    with rest._lock:
                        rest.bytes_out = rest.header_bytes = 0
                        calls = len(rest.calls)
                    runner = SyncRunner(shop.sync, interval=1.0, idle_cap=cap)
                    runner.start()
                    time.sleep(seconds)
                    runner.stop()
                    with rest._lock:
                        body, head = rest.bytes_out, rest.header_bytes
                        made = len(rest.calls) - calls
                    figures[label] = {"calls": made, "bytes": body + head,
                                      "per_hour_kb": (body + head) * 3600 / seconds / 1024,
                                      "calls_per_hour": made * 3600 / seconds}
    finally:
        cluster.drop_database(name)
    return figures


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=300_000)
    parser.add_argument("--quick", action="store_true", help="10k customers, 30k tickets")
    parser.add_argument("--profile", action="store_true", help="cProfile the first sync")
    parser.add_argument("--transport", choices=["direct", "pooler", "rest"], default="direct")
    parser.add_argument("--egress", type=float, metavar="SECONDS", default=0.0,
                        help="measure an idle REST counter's downloads instead")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--label", default="sync", help=argparse.SUPPRESS)
    parser.add_argument("--kill-at", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.label, args.kill_at, args.profile_to)
        return
    if args.quick:
        args.customers, args.tickets = 10_000, 30_000
    from shopdesk.sync import credentials

    # Each counter's credential in memory: the bench never touches the OS keyring.
    keyring.set_keyring(credentials.memory_keyring())
    os.environ.pop("SHOPDESK_SYNC_TOKEN", None)  # each counter uses its own credential
    OUT.mkdir(parents=True, exist_ok=True)
    rows = 3 * args.customers + args.tickets  # + preferences and loyalty rows
    load_start = load()
    via: dict[str, Any] = {}
    with postgres() as cluster:
        url = cluster.url()
        if args.egress:
            show_egress(idle_egress(cluster, args.egress), args.egress)
            return
        seed = seed_central(cluster, args.customers, args.tickets)
        run = fresh_run_db(cluster, seed)
        side: Any = contextlib.nullcontext()
        try:
            central_url = cluster.url(run)
            if args.transport == "rest":
                from tests.sync.rest_server import rest_server

                side = rest_server(central_url, API_KEY)
                via = {"rest": side.__enter__().url}
            elif args.transport == "pooler":
                from tests.sync.supabase_like import PgBouncer

                side = PgBouncer(cluster, OUT / "pgbouncer").start()
                via = {"pooler": side.url(run, "postgres", cluster.url().split(":")[2]
                                          .split("@")[0])}
            print(f"central: {args.customers:,} customers (with preferences and loyalty) + "
                  f"{args.tickets:,} repair tickets = {rows:,} rows in {run}, copied from "
                  f"{seed}; transport {args.transport}", flush=True)
            first = first_sync(central_url, rows, args.profile, via)
            print(f"first sync: {first['seconds']:.1f} s, {first['rows_s']:,.0f} rows/s, "
                  f"peak RSS {first['rss_mb']:.0f} MB, page size now {first['page']}",
                  flush=True)
            resumed = resumed_sync(central_url, rows, via)
            print(f"resume: killed at cursor {resumed['cursor_at_kill']:,}, resume pulled "
                  f"{resumed['pulled_by_resume']:,} rows", flush=True)
            pushed = push_hundred(first["root"])
            print(f"push 100: median {pushed['median']:.3f} s", flush=True)
            seen = visibility(first["root"], resumed["root"])
            print(f"visibility: median {seen['median']:.2f} s, max {seen['max']:.2f} s",
                  flush=True)
            about = machine(url)
        finally:
            if args.transport == "rest" and via:
                side.__exit__(None, None, None)
            elif args.transport == "pooler" and via:
                side.stop()
            drop_run_db(cluster, run)
    print(f"""
=== shopdesk sync figures (issues 5, 11) ===
machine:       {about}
transport:     {args.transport}{TRANSPORTS[args.transport]}; pull page adapted to \
{first['page'] or 'the full 10000'}
load average:  {load_start} at start, {load()} at end (1/5/15 min; anything near or above
               the core count means other work shared the CPU with this run)
central:       {args.customers:,} customers + {args.tickets:,} repair tickets = {rows:,} rows
               (each customer is 3 rows: customers, customer_preferences, customer_loyalty)
first sync:    {first['seconds']:.1f} s in run_once (target < 60 s), {first['rows_s']:,.0f} rows/s;
               child process {first['wall']:.1f} s with start-up, {first['cpu']:.1f} s of CPU in it
               (the rest: waiting on Postgres, or on other processes)
peak memory:   {first['rss_mb']:.0f} MB RSS of the syncing process \
(RUSAGE_CHILDREN: {first['children_rss_mb']:.0f} MB)
resumable:     killed (os._exit) at cursor {resumed['cursor_at_kill']:,} with \
{resumed['rows_at_kill']:,} of {rows:,} rows in;
               the resume pulled {resumed['pulled_by_resume']:,} rows \
(< {rows:,}) in {resumed['seconds']:.1f} s, \
counter complete: {'yes' if resumed['complete'] else 'NO'}
push 100:      run_once with 100 queued customer edits: median {pushed['median']:.3f} s, \
min {pushed['min']:.3f}, max {pushed['max']:.3f} over {len(pushed['runs'])} runs \
(target < 0.5 s)
visibility:    registered on A -> readable on B, both SyncRunner(interval=1 s): \
median {seen['median']:.2f} s, max {seen['max']:.2f} s over {len(seen['times'])} trials \
(target < 2 s)""")


def show_egress(figures: dict[str, Any], seconds: float) -> None:
    before, after = figures["before"], figures["after"]
    print(f"""
=== idle egress of one REST counter (issue 11) ===
measured:      {seconds:.0f} s each, response bodies and headers at the PostgREST stand-in
before:        polling every 1 s: {before['calls_per_hour']:,.0f} calls/h, \
{before['per_hour_kb']:,.0f} KB/h ({before['per_hour_kb'] * 24 * 30 / 1024:,.0f} MB/month)
after:         backing off to 30 s while idle: {after['calls_per_hour']:,.0f} calls/h, \
{after['per_hour_kb']:,.0f} KB/h ({after['per_hour_kb'] * 24 * 30 / 1024:,.0f} MB/month)
(real Supabase adds TLS and its gateway's headers to every answer: per call, more)""")


if __name__ == "__main__":
    main()
