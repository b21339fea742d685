"""The direct transport: psycopg to the central Postgres, as this terminal's own role.

What a real Supabase project needs (issue 11), kept here in one place:

- Poolers. Supavisor (port 6543 transaction mode, 5432 session mode) and PgBouncer
  know a tenant by the user name `role.<project_ref>`: when the URL's user carries a
  project ref, the terminal logs in as `<its role>.<ref>`. Nothing relies on session
  state, no startup `options` are sent (poolers refuse or drop them; an `options` in
  the URL is kept as it is), and psycopg never prepares statements
  (`prepare_threshold=None`: a transaction pooler hands the next statement to another
  server connection, where `_pg3_0` does not exist).
- Calls end. Each call is one autocommit statement with a client-side deadline: past
  it the query is cancelled and the call is retried later (`Timeout`), so a call
  stuck behind a lock or on a half-dead link never stalls the sync thread.
- TLS. For any host that is not this machine, TLS is required and the server is
  verified (`sslmode=verify-full`) against the CA file given at join (Supabase's
  "Download certificate"), else the system's trusted CAs. A URL's own `sslmode`
  wins, so an operator can still choose.
- A connection that dies (server restart, pooler recycle, an administrator ending
  the session) is replaced at once, once: pushes are idempotent, so repeating the
  call is safe, and a revoked terminal learns it from the new login.

Thread rule: one thread at a time (the sync thread); `close()` from any thread.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from shopdesk.sync.wire.transport import (
    Forbidden,
    ProtocolError,
    Retryable,
    Timeout,
    first_line,
)

CALL_SECONDS = 30.0
LOCAL_HOSTS = {"localhost", ""}


def is_local(host: str | None) -> bool:
    """A host on this machine (or a Unix socket), where TLS adds nothing."""
    if host is None or host in LOCAL_HOSTS or host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def pooler_user(url: str, role: str) -> str:
    """The login name for `role` at `url`: poolers want `role.<project_ref>`, taken
    from the URL's own user (`postgres.abcdefgh` at aws-0-….pooler.supabase.com)."""
    user = urlsplit(url).username or ""
    name, dot, ref = user.partition(".")
    if dot and ref and name:
        return f"{role}.{ref}"
    return role


def connect_kwargs(url: str, role: str | None, token: str,
                   ca_file: Path | None = None) -> dict[str, Any]:
    """psycopg.connect keyword arguments for a terminal (see the module docstring)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    kwargs: dict[str, Any] = {
        "connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30,
        "keepalives_interval": 10, "keepalives_count": 3, "autocommit": True,
        "prepare_threshold": None, "application_name": "shopdesk-sync",
    }
    if role:
        kwargs["user"] = pooler_user(url, role)
        kwargs["password"] = token
    if "sslmode" not in query and not is_local(parts.hostname):
        kwargs["sslmode"] = "verify-full"
        kwargs["sslrootcert"] = str(ca_file) if ca_file and ca_file.is_file() else "system"
    return kwargs


def login_refused(exc: BaseException) -> bool:
    text = str(exc)
    return (getattr(exc, "sqlstate", None) in ("28000", "28P01")
            or "is not permitted to log in" in text or "password authentication failed" in text
            or "SASL authentication failed" in text)


class DirectTransport:
    """psycopg to the central Postgres, logged in as this terminal's own role."""

    def __init__(self, url: str, role: str | None, token: str, *,
                 ca_file: Path | None = None, call_seconds: float = CALL_SECONDS) -> None:
        self._url, self._role, self._token = url, role, token
        self._kwargs = connect_kwargs(url, role, token, ca_file)
        self.call_seconds = call_seconds
        self._conn: Any = None

    def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(self._url, **self._kwargs)
            except psycopg.OperationalError as exc:
                if login_refused(exc):  # a revoked role or a wrong token: retrying cannot help
                    raise Forbidden(f"the central database refused this counter's login "
                                    f"(revoked?): {first_line(exc)}") from None
                if "certificate" in str(exc) or "SSL" in str(exc):
                    raise ProtocolError(
                        f"cannot verify the central database's TLS certificate: "
                        f"{first_line(exc)}. Give its CA with `shopdesk central set-ca FILE` "
                        "(Supabase: Project Settings → Database → Download certificate)") from None
                raise Retryable(f"central database unreachable: {first_line(exc)}") from None
        return self._conn

    def _call(self, sql: str, params: tuple[Any, ...], *, again: bool = True) -> dict[str, Any]:
        import psycopg
        from psycopg import errors

        conn = self._connection()
        timer = threading.Timer(self.call_seconds, _cancel, (conn,))
        timer.daemon = True
        timer.start()
        try:
            row = conn.execute(sql, params).fetchone()
        except errors.InsufficientPrivilege as exc:
            raise Forbidden(first_line(exc)) from None
        except errors.QueryCanceled as exc:
            raise Timeout(f"the central database took too long: {first_line(exc)}") from None
        except (errors.SerializationFailure, errors.DeadlockDetected,
                errors.LockNotAvailable) as exc:
            raise Retryable(f"central database busy: {first_line(exc)}") from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self.close()
            if again:  # one fresh login: a restart, a recycled pooler link, a revocation
                return self._call(sql, params, again=False)
            raise Retryable(
                f"connection to the central database lost: {first_line(exc)}") from None
        except psycopg.Error as exc:
            raise ProtocolError(f"central database refused the call: {first_line(exc)}") from None
        finally:
            timer.cancel()
        if row is None or not isinstance(row[0], dict):
            raise ProtocolError("the central database answered without a JSON object")
        return dict(row[0])

    def hello(self) -> dict[str, Any]:
        return self._call("SELECT public.shopdesk_hello(%s)", (self._token,))

    def push(self, batch: dict[str, Any]) -> dict[str, Any]:
        return self._call("SELECT public.shopdesk_push(%s, %s::jsonb)",
                          (self._token, json.dumps(batch)))

    def pull(self, cursor: int, limit: int, ack_floor: int) -> dict[str, Any]:
        return self._call("SELECT public.shopdesk_pull(%s, %s, %s, %s)",
                          (self._token, cursor, limit, ack_floor))

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def _cancel(conn: Any) -> None:
    # A failed cancel leaves the keepalives and the server's own timeout to end it.
    with contextlib.suppress(Exception):
        conn.cancel_safe(timeout=5.0)
