"""A local Postgres set up the way a Supabase project is, and PgBouncer in front of it.

What a real project has and a superuser test server hides (see
`shared/research/supabase-realities.md`; supabase/postgres init scripts):

- the administrator `postgres` is NOT a superuser: LOGIN CREATEROLE CREATEDB
  REPLICATION BYPASSRLS, with pg_monitor, pg_read_all_data and pg_signal_backend and
  membership of the API roles; the real superuser (`supabase_admin`) is used here only to
  build the cluster, over the local socket;
- `anon`, `authenticated`, `service_role` (NOLOGIN) and `authenticator` (LOGIN
  NOINHERIT, member of the three) exist before any migration; `anon` has
  `statement_timeout = 3s`, `authenticated` and `authenticator` 8s;
- default privileges give `anon`, `authenticated` and `service_role` everything
  `postgres` creates in `public` (which is why a careless migration exposes tables);
- passwords are enforced: SCRAM-SHA-256 for every TCP login (no `trust`), so a test
  that expects a refused credential fails for the right reason;
- PgBouncer in transaction mode (Supavisor's port 6543 behaves the same way: no
  prepared statements, no session state, startup `options` refused), authenticating
  users through `auth_query` with SCRAM pass-through, as Supabase's own PgBouncer did.

Runs the Postgres binaries the `pgserver` package ships (and Debian's `pgbouncer`,
which `.ci/run` installs). As root, both run as the unprivileged `pgserver` user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

ADMIN = "postgres"
ADMIN_PASSWORD = "admin-Secret-1"
AUTHENTICATOR_PASSWORD = "authenticator-Secret-1"
POOLER_USER = "pgbouncer"
POOLER_PASSWORD = "pooler-Secret-1"
SUPERUSER = "supabase_admin"
RUN_AS = "pgserver"  # the system user the pgserver package runs Postgres as under root


@contextlib.contextmanager
def cluster_dir(label: str) -> Iterator[Path]:
    """A fresh folder for a cluster, outside pytest's temporary tree: pytest resets that
    tree's root to mode 0700 whenever another session starts, which would lock the
    unprivileged server user out of a running cluster."""
    root = Path(tempfile.mkdtemp(prefix=f"shopdesk-{label}-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _give_to_runner(path: Path) -> None:
    """Under root, let the unprivileged runner own `path` and reach it."""
    if not _as_root():
        return
    import pwd

    from pgserver.utils import ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(RUN_AS)
    entry = pwd.getpwnam(RUN_AS)
    ensure_prefix_permissions(path)
    for item in [path, *path.rglob("*")]:
        os.chown(item, entry.pw_uid, entry.pw_gid)


def _run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    if _as_root():
        kwargs["user"] = RUN_AS
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


# Bootstrap, run once by the superuser in template1 (so every database made
# afterwards has it) and in `postgres`.
_PER_DATABASE = [
    # Supabase: whatever the administrator creates in public is granted to the API roles.
    f"ALTER DEFAULT PRIVILEGES FOR ROLE {ADMIN} IN SCHEMA public "
    "GRANT ALL ON TABLES TO anon, authenticated, service_role",
    f"ALTER DEFAULT PRIVILEGES FOR ROLE {ADMIN} IN SCHEMA public "
    "GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role",
    f"ALTER DEFAULT PRIVILEGES FOR ROLE {ADMIN} IN SCHEMA public "
    "GRANT ALL ON SEQUENCES TO anon, authenticated, service_role",
    "GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role",
    f"GRANT ALL ON SCHEMA public TO {ADMIN}",
    # PgBouncer's auth_query: the stored SCRAM secret, readable only through this door.
    "CREATE SCHEMA IF NOT EXISTS pgbouncer",
    f"GRANT USAGE ON SCHEMA pgbouncer TO {POOLER_USER}",
    """CREATE OR REPLACE FUNCTION pgbouncer.get_auth(p_usename text)
        RETURNS TABLE (username text, password text) LANGUAGE sql SECURITY DEFINER
        SET search_path = pg_catalog AS
        $$ SELECT usename::text, passwd::text FROM pg_shadow WHERE usename = p_usename $$""",
    "REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC",
    f"GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO {POOLER_USER}",
]

_ROLES = [
    f"CREATE ROLE {ADMIN} LOGIN NOSUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS "
    f"PASSWORD '{ADMIN_PASSWORD}'",
    # What supabase/postgres migrations grant the demoted administrator.
    f"GRANT pg_monitor, pg_read_all_data, pg_signal_backend TO {ADMIN}",
    "CREATE ROLE anon NOLOGIN INHERIT",
    "CREATE ROLE authenticated NOLOGIN INHERIT",
    "CREATE ROLE service_role NOLOGIN INHERIT BYPASSRLS",
    f"CREATE ROLE authenticator LOGIN NOINHERIT PASSWORD '{AUTHENTICATOR_PASSWORD}'",
    "GRANT anon, authenticated, service_role TO authenticator",
    f"GRANT anon, authenticated, service_role TO {ADMIN}",
    "ALTER ROLE anon SET statement_timeout = '3s'",
    "ALTER ROLE authenticated SET statement_timeout = '8s'",
    "ALTER ROLE authenticator SET statement_timeout = '8s'",
    "ALTER ROLE authenticator SET lock_timeout = '8s'",
    f"CREATE ROLE {POOLER_USER} LOGIN PASSWORD '{POOLER_PASSWORD}'",
    # The administrator owns the API database, as on a project.
    f"ALTER DATABASE postgres OWNER TO {ADMIN}",
]


class SupabaseLike:
    """One cluster: start it, make databases as the (non-superuser) administrator, stop it.

    Used from the test thread (a session fixture); `restart()` is for fault tests.
    """

    def __init__(self, root: Path, bin_dir: Path | None = None,
                 tls: tuple[bytes, bytes] | None = None) -> None:
        """`tls`: (certificate PEM, key PEM) to serve TLS with (plain TCP otherwise)."""
        self.tls = tls
        if bin_dir is None:
            from pgserver._commands import POSTGRES_BIN_PATH

            bin_dir = POSTGRES_BIN_PATH
        self.root, self.bin = root, bin_dir
        self.data = root / "data"
        self.sockets = root / "s"
        self.port = free_port()

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> SupabaseLike:
        self.root.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        self._pg_ctl("start")
        if not (self.root / "bootstrapped").exists():
            self._bootstrap()
            (self.root / "bootstrapped").touch()
        return self

    def _initdb(self) -> None:
        pwfile = self.root / "superuser.pw"
        pwfile.write_text("unused-superuser-password\n")
        _give_to_runner(self.root)
        _run([str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
              "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8",
              "--no-instructions", f"--pwfile={pwfile}"])
        # Only the superuser may skip the password, and only over the local socket
        # (this fixture's own door); every TCP login, the administrator's included,
        # proves its password with SCRAM.
        (self.data / "pg_hba.conf").write_text(
            f"local all {SUPERUSER} trust\n"
            "local all all scram-sha-256\n"
            "host all all 127.0.0.1/32 scram-sha-256\n")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# supabase-like test cluster\n"
                       "password_encryption = 'scram-sha-256'\n"
                       "max_connections = 200\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                       "log_min_messages = warning\n")
            if self.tls is not None:
                (self.data / "server.crt").write_bytes(self.tls[0])
                (self.data / "server.key").write_bytes(self.tls[1])
                (self.data / "server.key").chmod(0o600)
                conf.write("ssl = on\nssl_cert_file = 'server.crt'\n"
                           "ssl_key_file = 'server.key'\n")
        _give_to_runner(self.root)

    def _pg_ctl(self, action: str) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.sockets}"
        args = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                "-l", str(self.root / "log")]
        if action in ("start", "restart"):
            args += ["-o", options]
        if action in ("stop", "restart"):
            args += ["-m", "fast"]
        _run([*args, action])

    def _bootstrap(self) -> None:
        with self.superuser("postgres") as conn:
            for statement in _ROLES:
                conn.execute(statement)
        for db in ("template1", "postgres"):
            with self.superuser(db) as conn:
                for statement in _PER_DATABASE:
                    conn.execute(statement)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("stop")

    def restart(self) -> None:
        self._pg_ctl("restart")

    # -- connecting --------------------------------------------------------------
    def superuser(self, db: str = "postgres") -> psycopg.Connection[Any]:
        """The bootstrap superuser over the socket: for the fixture, never the app."""
        return psycopg.connect(host=str(self.sockets), port=self.port, user=SUPERUSER,
                               dbname=db, autocommit=True)

    def url(self, db: str = "postgres", user: str = ADMIN,
            password: str = ADMIN_PASSWORD, port: int | None = None) -> str:
        return (f"postgresql://{user}:{password}@127.0.0.1:{port or self.port}/{db}"
                "?sslmode=disable")

    def create_database(self, name: str) -> str:
        """A database made by the administrator (as a project's owner would); its URL."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.superuser() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def debian_bin() -> Path:
    """Debian's Postgres server binaries (package postgresql, which `.ci/run` installs): the
    build the `pgserver` package ships has no TLS, which the TLS tests need."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    if not found:
        raise RuntimeError("Debian's postgresql server package is not installed "
                           "(apt-get install postgresql); .ci/run installs it")
    return found[-1].parent


class PgBouncer:
    """PgBouncer in transaction mode on a loopback port, in front of `cluster`."""

    def __init__(self, cluster: SupabaseLike, root: Path, pool_size: int = 5) -> None:
        self.cluster, self.root = cluster, root
        self.port = free_port()
        self.pool_size = pool_size
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> PgBouncer:
        exe = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(exe).exists():
            raise RuntimeError("pgbouncer is not installed (Debian package `pgbouncer`; "
                               ".ci/run installs it)")
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "userlist.txt").write_text(f'"{POOLER_USER}" "{POOLER_PASSWORD}"\n')
        (self.root / "pgbouncer.ini").write_text(f"""[databases]
* = host=127.0.0.1 port={self.cluster.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
pool_mode = transaction
auth_type = scram-sha-256
auth_file = {self.root / 'userlist.txt'}
auth_user = {POOLER_USER}
auth_query = SELECT username, password FROM pgbouncer.get_auth($1)
default_pool_size = {self.pool_size}
max_client_conn = 500
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = {self.root / 'pgbouncer.log'}
pidfile = {self.root / 'pgbouncer.pid'}
""")
        _give_to_runner(self.root)
        args = [exe, str(self.root / "pgbouncer.ini")]
        if _as_root():
            args[1:1] = ["-u", RUN_AS]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.5):
                return self
            if self._proc.poll() is not None or time.monotonic() > deadline:
                log = (self.root / "pgbouncer.log")
                raise RuntimeError("pgbouncer did not start: "
                                   + (log.read_text()[-2000:] if log.exists() else "no log"))
            time.sleep(0.05)

    def url(self, db: str, user: str, password: str) -> str:
        return self.cluster.url(db, user, password, port=self.port)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None
