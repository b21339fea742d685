"""Administering the central Postgres: create or upgrade its schema, register terminals.

These run with an administrator's connection (a Supabase project's `postgres`
or service connection, or a plain Postgres superuser). Terminals never get
that: each is given its own login role and token, which can only EXECUTE the
sync functions, and which `revoke_terminal` switches off.

Any thread; each call opens and closes its own connection.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from shopdesk import paths
from shopdesk.domain.tickets import TRANSITIONS
from shopdesk.errors import ShopdeskError
from shopdesk.models.personal import CUSTOMER_PATH, scrubbed_columns
from shopdesk.models.sync import CUSTOMER_REFS, PARENT_REFS, SYNCED
from shopdesk.sync.rules import all_rules
from shopdesk.sync.wire.transport import first_line

# What a terminal's login may use (issue 10): a few connections, calls that end, no
# transaction left open. A terminal can loosen its own session settings, so the
# server does not rely on them alone: a push ends terminal sessions that sit on the
# commit-order lock (sync.take_turn).
TERMINAL_CONNECTIONS = 4
TERMINAL_SETTINGS = {
    "statement_timeout": "60s",
    "idle_in_transaction_session_timeout": "5s",
    "lock_timeout": "10s",
}
# Settings only a superuser (or a role granted SET on them) may give another role.
TERMINAL_PRIVILEGED_SETTINGS = {"temp_file_limit": "16MB"}

CENTRAL_HEAD = "c0006"


class CentralError(ShopdeskError):
    """The central database refused or could not be reached; the message says why."""


def connect(url: str, **kwargs: Any) -> Any:
    import psycopg

    try:
        return psycopg.connect(url, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as exc:
        raise CentralError(f"cannot reach the central database at {redact(url)}: "
                           f"{first_line(exc)}") from None


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def without_login(url: str) -> str:
    """The URL with no user or password: what a counter may keep in its database."""
    from urllib.parse import parse_qsl, urlencode

    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k not in ("user", "password")], safe="/")
    return f"{parts.scheme}://{host}{parts.path}" + (f"?{query}" if query else "")


def _sqlalchemy_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}" if scheme in {"postgres", "postgresql"} else url


def setup(url: str) -> str | None:
    """Create or upgrade the central schema; returns the revision it was at before."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(_sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE SCHEMA IF NOT EXISTS sync"))
            conn.commit()
            before = MigrationContext.configure(conn, opts={
                "version_table_schema": "sync"}).get_current_revision()
            cfg = Config()
            cfg.set_main_option("script_location", str(paths.migrations_dir() / "central"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
    except OperationalError as exc:
        raise CentralError(f"cannot reach the central database at {redact(url)}: "
                           f"{first_line(exc.orig or exc)}") from None
    finally:
        engine.dispose()
    refresh_registries(url)
    return before


def refresh_registries(url: str) -> None:
    """Tell the server which tables sync and how, and what each column may hold
    (from this version's own models, so server and counters keep the same rules)."""
    with connect(url) as conn:
        for table in ("synced_tables", "policies", "refs", "ticket_transitions", "columns",
                      "personal", "customer_paths"):
            conn.execute(f"DELETE FROM sync.{table}")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO sync.synced_tables (table_name, pk, mode, immutable, owner_column, "
                "owner_table, scoped) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [(t.name, t.pk, t.mode, sorted(t.immutable), t.owner[0] if t.owner else None,
                  t.owner[1] if t.owner else None, t.scoped) for t in SYNCED])
            cur.executemany(
                "INSERT INTO sync.columns (table_name, column_name, kind, nullable, max_length, "
                "choices, minimum, min_exclusive, maximum, exact_length, prefix, lower_case, "
                "required) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [rule.as_row() for rule in all_rules()])
            cur.executemany("INSERT INTO sync.policies VALUES (%s, %s, %s)",
                            [(t.name, c, "quiet") for t in SYNCED for c in t.quiet]
                            + [(t.name, c, "delta") for t in SYNCED for c in t.delta])
            cur.executemany("INSERT INTO sync.refs VALUES (%s, %s, %s)",
                            [(t, c, "customers") for t, c in CUSTOMER_REFS.items()]
                            + list(PARENT_REFS))
            cur.executemany("INSERT INTO sync.ticket_transitions VALUES (%s, %s)",
                            [(a.value, b.value) for a, targets in TRANSITIONS.items()
                             for b in targets])
            cur.executemany("INSERT INTO sync.personal VALUES (%s, %s, %s, %s, %s)",
                            personal_rows())
            cur.executemany("INSERT INTO sync.customer_paths VALUES (%s, %s, %s)",
                            [(t, column, parent) for t, (column, parent) in CUSTOMER_PATH.items()
                             if t in {s.name for s in SYNCED}])


def personal_rows() -> list[tuple[str, str, str, str | None, str | None]]:
    """The registry of personal columns as the server keeps it (synced columns only;
    placeholders as JSON, booleans as the 0/1 counters send)."""
    import json

    rows = []
    for spec in SYNCED:
        for column, rule in scrubbed_columns(spec.name).items():
            if column in spec.local_only:
                continue
            value = int(rule.placeholder) if isinstance(rule.placeholder, bool) else \
                rule.placeholder
            rows.append((spec.name, column, rule.treatment,
                         None if rule.derive else json.dumps(value), rule.derive))
    return rows


def create_webhook_key(url: str) -> str:
    """A new key for the `shopdesk-webhooks` Edge Function (only its hash is stored)."""
    import secrets

    key = "whk_" + secrets.token_urlsafe(32)
    with connect(url) as conn:
        conn.execute("INSERT INTO sync.webhook_keys (key_hash) VALUES (%s)", (token_hash(key),))
    return key


def set_store_scoped(url: str, scoped: bool) -> None:
    """Per-store scoping of tickets and devices on pull (customers stay shared)."""
    with connect(url) as conn:
        conn.execute("UPDATE sync.meta SET store_scoped = %s", (scoped,))


def store_scoped(url: str) -> bool:
    with connect(url) as conn:
        row = conn.execute("SELECT store_scoped FROM sync.meta").fetchone()
    return bool(row and row[0])


def hardening_notes(url: str) -> list[str]:
    """What this server's administrator could not lock down (said at setup, not hidden)."""
    notes = []
    with connect(url) as conn:
        temp = conn.execute("SELECT has_database_privilege('public', current_database(), "
                            "'TEMP')").fetchone()
        if temp and temp[0]:
            notes.append("every role may still create temporary tables in this database "
                         "(setup must run as its owner to take that from the terminals)")
        try:
            may = conn.execute("SELECT has_parameter_privilege(current_user, "
                               "'temp_file_limit', 'SET') OR (SELECT rolsuper FROM pg_roles "
                               "WHERE rolname = current_user)").fetchone()
        except Exception:
            may = (False,)
        if not (may and may[0]):
            notes.append("terminals get no temp_file_limit here (Supabase reserves it); "
                         "their calls are bounded by statement timeouts instead")
    return notes


@dataclass(frozen=True)
class Registration:
    device_id: str  # 32 hex digits, as local ids are stored
    role_name: str
    token: str
    node_tag: str
    store: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_terminal(url: str, store: str, name: str, node_tag: str,
                      db_instance_id: str, transport: str = "direct") -> Registration:
    """Register a terminal of `store` (created if new); returns its credential once.

    A direct terminal gets a login role whose password is its token, sent to the
    server as a SCRAM verifier (never the token itself, which statement logging or
    pgaudit would keep); a REST terminal's role cannot log in at all.
    """
    store = store.strip()
    if not store:
        raise CentralError("store: give the store's name (--store NAME)")
    from psycopg import errors, sql

    token = secrets.token_urlsafe(32)
    device = uuid.uuid4()
    role = f"shopdesk_t_{node_tag.lower()}_{secrets.token_hex(3)}"
    with connect(url) as conn:
        try:
            head = conn.execute("SELECT version_num FROM sync.alembic_version").fetchone()
        except errors.UndefinedTable:
            raise CentralError("the central database has no shopdesk schema yet: "
                               "run `shopdesk central setup URL` first") from None
        if head is None or head[0] != CENTRAL_HEAD:
            raise CentralError(f"the central schema is at {head[0] if head else 'nothing'}, "
                               f"this shopdesk needs {CENTRAL_HEAD}: run `shopdesk central setup`")
        taken = conn.execute("SELECT name FROM sync.devices WHERE node_tag = %s",
                             (node_tag,)).fetchone()
        if taken:
            raise CentralError(f"node tag {node_tag} already belongs to terminal '{taken[0]}'")
        store_id = conn.execute(
            "INSERT INTO sync.stores (name) VALUES (%s) ON CONFLICT (name) DO UPDATE "
            "SET name = EXCLUDED.name RETURNING id", (store,)).fetchone()[0]
        if transport == "direct":
            verifier = conn.pgconn.encrypt_password(
                token.encode(), role.encode(), b"scram-sha-256").decode("ascii")
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} CONNECTION LIMIT {} "
                                 "IN ROLE shopdesk_terminal").format(
                sql.Identifier(role), sql.Literal(verifier), sql.Literal(TERMINAL_CONNECTIONS)))
        else:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN IN ROLE shopdesk_terminal").format(
                sql.Identifier(role)))
        harden_role(conn, role)
        conn.execute(
            "INSERT INTO sync.devices (id, store_id, name, node_tag, role_name, token_hash, "
            "db_instance_id, transport) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (device, store_id, name, node_tag, role, token_hash(token), db_instance_id,
             transport))
    return Registration(device.hex, role, token, node_tag, store)


def harden_role(conn: Any, role: str) -> list[str]:
    """Give a terminal's role its limits; returns the settings the administrator may not
    give (on Supabase, `temp_file_limit` is reserved to the platform)."""
    from psycopg import errors, sql

    for name, value in TERMINAL_SETTINGS.items():
        conn.execute(sql.SQL("ALTER ROLE {} SET {} = {}").format(
            sql.Identifier(role), sql.Identifier(name), sql.Literal(value)))
    refused = []
    for name, value in TERMINAL_PRIVILEGED_SETTINGS.items():
        try:
            with conn.transaction():
                conn.execute(sql.SQL("ALTER ROLE {} SET {} = {}").format(
                    sql.Identifier(role), sql.Identifier(name), sql.Literal(value)))
        except errors.InsufficientPrivilege:
            refused.append(name)
    return refused


def revoke_terminal(url: str, name_or_tag: str) -> str:
    """Switch a terminal's credential off for good; returns the terminal's name.
    Its open sessions are ended too, so a revoked counter cannot go on."""
    from psycopg import sql

    with connect(url) as conn:
        row = conn.execute(
            "UPDATE sync.devices SET revoked_at = now() WHERE (name = %s OR node_tag = %s) "
            "AND revoked_at IS NULL RETURNING name, role_name",
            (name_or_tag, name_or_tag.upper())).fetchone()
        if row is None:
            raise CentralError(f"no active terminal named or tagged '{name_or_tag}'")
        conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(row[1])))
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE usename = %s AND datname = current_database()", (row[1],))
        return str(row[0])


def terminals(url: str) -> list[dict[str, Any]]:
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT d.name, s.name, d.node_tag, d.last_seq, d.last_push_at, d.revoked_at, d.forks "
            "FROM sync.devices d JOIN sync.stores s ON s.id = d.store_id ORDER BY s.name, d.name"
        ).fetchall()
    return [{"name": r[0], "store": r[1], "node_tag": r[2], "last_seq": r[3],
             "last_push_at": r[4].isoformat() if r[4] else None,
             "revoked": r[5] is not None, "forks": r[6]} for r in rows]
