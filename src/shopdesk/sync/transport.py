"""Two ways to reach the same server functions: direct Postgres, or Supabase's REST RPC.

Both send one request per call and return the function's JSON. Errors are
sorted for the engine: `Retryable` (network, server busy or restarting:
try again later, nothing was lost), `Forbidden` (credential unknown or
revoked: stop and tell staff), `ProtocolError` (anything else: keep the
queue, report it).

A transport object is used by one thread at a time (the sync thread).
"""

from __future__ import annotations

import json
from typing import Any, Protocol


class TransportError(Exception):
    """A sync call failed; `str()` is a sentence for staff."""


class Retryable(TransportError):
    pass


class Forbidden(TransportError):
    pass


class ProtocolError(TransportError):
    pass


class Transport(Protocol):
    def hello(self) -> dict[str, Any]: ...
    def push(self, batch: dict[str, Any]) -> dict[str, Any]: ...
    def pull(self, cursor: int, limit: int, ack_floor: int) -> dict[str, Any]: ...
    def close(self) -> None: ...


class DirectTransport:
    """psycopg to the central Postgres, logged in as this terminal's own role."""

    def __init__(self, url: str, role: str | None, token: str) -> None:
        self._url, self._role, self._token = url, role, token
        self._conn: Any = None

    def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed:
            extra: dict[str, Any] = (
                {"user": self._role, "password": self._token} if self._role else {})
            try:
                # A call stuck behind a lock or a dead link must fail (and be
                # retried), not stall the sync thread: bound it on both ends.
                self._conn = psycopg.connect(
                    self._url, connect_timeout=5, keepalives=1, keepalives_idle=30,
                    keepalives_interval=10, keepalives_count=3,
                    options="-c statement_timeout=60000", **extra)
            except psycopg.OperationalError as exc:
                if _login_refused(exc):  # a revoked role or a wrong token: retrying cannot help
                    raise Forbidden(f"the central database refused this counter's login "
                                    f"(revoked?): {first_line(exc)}") from None
                raise Retryable(f"central database unreachable: {first_line(exc)}") from None
        return self._conn

    def _call(self, sql: str, params: tuple[Any, ...]) -> dict[str, Any]:
        import psycopg
        from psycopg import errors

        conn = self._connection()
        try:
            with conn.transaction():
                row = conn.execute(sql, params).fetchone()
        except errors.InsufficientPrivilege as exc:
            raise Forbidden(first_line(exc)) from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self.close()
            raise Retryable(
                f"connection to the central database lost: {first_line(exc)}") from None
        except (errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable,
                errors.QueryCanceled, errors.AdminShutdown) as exc:
            self.close()
            raise Retryable(f"central database busy: {first_line(exc)}") from None
        except psycopg.Error as exc:
            raise ProtocolError(f"central database refused the call: {first_line(exc)}") from None
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


class RestTransport:
    """Supabase's PostgREST: POST {url}/rest/v1/rpc/<function> with the project's API key."""

    def __init__(self, url: str, api_key: str, token: str, timeout: float = 30.0) -> None:
        import requests

        self._base = url.rstrip("/") + "/rest/v1/rpc/"
        self._token, self._timeout = token, timeout
        self._http = requests.Session()
        self._http.headers.update({"apikey": api_key, "Authorization": f"Bearer {api_key}",
                                   "Content-Type": "application/json",
                                   "Accept": "application/json"})

    def _call(self, function: str, body: dict[str, Any]) -> dict[str, Any]:
        import requests

        try:
            reply = self._http.post(self._base + function, data=json.dumps(body),
                                    timeout=self._timeout)
        except requests.RequestException as exc:
            raise Retryable(f"central server unreachable: {type(exc).__name__}") from None
        if reply.status_code in (408, 429) or reply.status_code >= 500:
            raise Retryable(f"central server answered {reply.status_code}; will retry")
        if reply.status_code == 401:
            raise Forbidden(f"central server refused the API key (401): {_message(reply)}; "
                            "check the project's anon key given at join or in "
                            "$SHOPDESK_SUPABASE_KEY")
        if reply.status_code == 403:
            raise Forbidden(f"central server refused this terminal (403): {_message(reply)}")
        if reply.status_code >= 400:
            raise ProtocolError(f"central server refused the call ({reply.status_code}): "
                                f"{_message(reply)}")
        try:
            answer = reply.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):  # a proxy's error page, a cut-off or empty body
            raise Retryable("central server sent an incomplete answer; will retry")
        return answer

    def hello(self) -> dict[str, Any]:
        return self._call("shopdesk_hello", {"p_token": self._token})

    def push(self, batch: dict[str, Any]) -> dict[str, Any]:
        return self._call("shopdesk_push", {"p_token": self._token, "p_batch": batch})

    def pull(self, cursor: int, limit: int, ack_floor: int) -> dict[str, Any]:
        return self._call("shopdesk_pull", {"p_token": self._token, "p_cursor": cursor,
                                            "p_limit": limit, "p_ack_floor": ack_floor})

    def close(self) -> None:
        self._http.close()


def _login_refused(exc: BaseException) -> bool:
    text = str(exc)
    return (getattr(exc, "sqlstate", None) in ("28000", "28P01")
            or "is not permitted to log in" in text or "password authentication failed" in text)


def first_line(exc: BaseException) -> str:
    """An error's first line, for one-line messages to staff."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _message(reply: Any) -> str:
    try:
        body = reply.json()
        return str(body.get("message") or body) if isinstance(body, dict) else str(body)
    except ValueError:
        return reply.text[:200]
