"""A small PostgREST stand-in on 127.0.0.1: Supabase's RPC endpoint over the real central Postgres.

`POST /rest/v1/rpc/<function>` with a JSON object of named arguments calls
`public.<function>(name => value, ...)` in one transaction, as the `anon`
role (what a Supabase request carrying the anon API key runs as), and answers
the function's JSON. It behaves like PostgREST where sync depends on it:
- it logs in as `authenticator` (a password login, as PostgREST does) and
  impersonates `anon` per request, applying anon's own settings (Supabase gives
  it `statement_timeout = 3s`: a longer call is cancelled, SQLSTATE 57014, 500);
- STABLE and IMMUTABLE functions run in a read-only transaction (a write inside
  is SQLSTATE 25006, answered 405);
- `apikey` must carry the API key, and so must `Authorization: Bearer` when sent
  (401 PGRST301 otherwise);
- an unknown function is 404 PGRST202, two overloads matching the arguments are
  300 PGRST203, a body that is not a JSON object 400 PGRST102;
- database errors map to HTTP statuses as PostgREST documents them (`status_of`),
  with a body `{code, message, details, hint}`.

Fault knobs for tests: `fail_next_with(status)` answers the next request with
that status (or any body) without touching the database;
`drop_response_after_commit` commits the next call, then hangs up without an
answer; `down()` closes the listening socket (connection refused) and `up()`
opens it again on the same port.

The HTTP server answers on its own threads (one per request); the knobs and
`calls` may be used from the test's thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

PREFIX = "/rest/v1/rpc/"
EXPOSED = "shopdesk_"


@dataclass
class Call:
    """One request as the server saw it, and what it produced (even if never sent)."""

    function: str
    status: int
    body: Any
    delivered: bool
    args: dict[str, Any] | None = None  # the request's arguments, token included


@dataclass
class _Fault:
    status: int
    body: bytes
    content_type: str
    function: str | None


class RestServer:
    """PostgREST-like RPC over `db_url` for requests carrying `api_key`. Thread-safe knobs."""

    def __init__(self, db_url: str, api_key: str) -> None:
        from tests.sync.supabase_like import AUTHENTICATOR_PASSWORD

        parts = urlsplit(db_url)
        netloc = f"authenticator:{AUTHENTICATOR_PASSWORD}@{parts.hostname}:{parts.port}"
        self.db_url = urlunsplit(parts._replace(netloc=netloc))
        self.api_key = api_key
        self.calls: list[Call] = []
        # Request and reply bodies, and reply status lines and headers: egress figures.
        self.bytes_in = self.bytes_out = self.header_bytes = 0
        self.drop_response_after_commit = False
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle -----------------------------------------------------------
    def up(self) -> None:
        """Listen (again): on a free port the first time, on the same port afterwards."""
        if self._server is not None:
            return
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="rest-server",
                                        daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: new connections are refused until `up()`."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join()
        self._server = self._thread = None

    # -- fault knobs ---------------------------------------------------------
    def fail_next_with(self, status: int, body: bytes | None = None,
                       content_type: str = "application/json",
                       function: str | None = None) -> None:
        """Answer the next request (for `function`, if given) with `status` and `body`,
        without calling the database."""
        if body is None:
            body = json.dumps({"code": "PGRST000", "message": f"test fault {status}",
                               "details": None, "hint": None}).encode()
        with self._lock:
            self._faults.append(_Fault(status, body, content_type, function))

    def _take_fault(self, function: str) -> _Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.function in (None, function):
                    return self._faults.pop(i)
            return None

    def _take_drop(self) -> bool:
        with self._lock:
            drop, self.drop_response_after_commit = self.drop_response_after_commit, False
            return drop

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def functions_called(self) -> list[str]:
        with self._lock:
            return [c.function for c in self.calls]

    # -- the database side -----------------------------------------------------
    def run_as_anon(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run `query` exactly as RPC calls run (one transaction, SET ROLE anon)."""
        with psycopg.connect(self.db_url, connect_timeout=5) as conn, conn.transaction():
            _impersonate(conn)
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def call(self, function: str,
             args: dict[str, Any]) -> tuple[int, Any, psycopg.Connection | None]:
        """Run one RPC in one transaction; returns (status, JSON body, the connection to commit)."""
        try:
            conn = psycopg.connect(self.db_url, connect_timeout=5)
        except psycopg.OperationalError as exc:
            return 503, _error("PGRST000", f"Database client error: {exc}"), None
        try:
            _impersonate(conn)
            matches = _signatures(conn, function, set(args))
            if not matches:
                conn.close()
                names = ", ".join(sorted(args))
                return 404, {**_error("PGRST202", f"Could not find the function "
                                      f"public.{function}({names}) in the schema cache"),
                             "hint": "Perhaps you meant to call another function"}, None
            if len(matches) > 1:
                conn.close()
                return 300, _error("PGRST203", f"Could not choose the best candidate function "
                                   f"between: {', '.join(m[0] for m in matches)}"), None
            _, signature, volatile = matches[0]
            if not volatile:
                conn.execute("SET TRANSACTION READ ONLY")
            query = sql.SQL("SELECT public.{}({})").format(sql.Identifier(function), sql.SQL(", ")
                .join(sql.SQL("{} => %s::{}").format(sql.Identifier(name), sql.SQL(kind))
                      for name, kind in signature))
            values = [_param(args[name], kind) for name, kind in signature]
            row = conn.execute(query, values).fetchone()
            return 200, row[0] if row else None, conn
        except psycopg.OperationalError as exc:
            conn.close()
            return (503 if exc.sqlstate is None else status_of(exc.sqlstate)), _db_error(exc), None
        except psycopg.Error as exc:
            conn.close()
            return status_of(exc.sqlstate or ""), _db_error(exc), None


def _impersonate(conn: psycopg.Connection[Any]) -> None:
    """What PostgREST does per request: become the role, then apply its own settings
    (a role's ALTER ROLE ... SET does not apply on SET ROLE by itself)."""
    conn.execute("SET LOCAL ROLE anon")
    settings = conn.execute(
        "SELECT unnest(setconfig) FROM pg_db_role_setting WHERE setrole = 'anon'::regrole "
        "AND setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = "
        "current_database()))").fetchall()
    for (setting,) in settings:
        name, _, value = setting.partition("=")
        conn.execute("SELECT set_config(%s, %s, true)", (name, value))


def status_of(sqlstate: str) -> int:
    """PostgREST's documented mapping of a SQLSTATE to an HTTP status."""
    exact = {"23503": 409, "23505": 409, "25006": 405, "53400": 500, "P0001": 400,
             "42883": 404, "42P01": 404, "42501": 403}
    if sqlstate in exact:
        return exact[sqlstate]
    prefixes = {"08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500,
                "38": 500, "39": 500, "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500,
                "57": 500, "58": 500, "F0": 500, "HV": 500, "P0": 500, "XX": 500}
    return prefixes.get(sqlstate[:2], 400)


def _signatures(conn: psycopg.Connection[Any], function: str,
                names: set[str]) -> list[tuple[str, list[tuple[str, str]], bool]]:
    """Every overload of public.<function> whose argument names are exactly `names`:
    (its signature text, [(name, type)], whether it is VOLATILE)."""
    if not function.startswith(EXPOSED):
        return []
    rows = conn.execute(
        "SELECT p.oid::regprocedure::text, p.proargnames, array(SELECT format_type(t, NULL) "
        "FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, i) ORDER BY i), "
        "p.provolatile = 'v' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.proname = %s", (function,)).fetchall()
    return [(text, list(zip(arg_names, kinds, strict=True)), volatile)
            for text, arg_names, kinds, volatile in rows
            if arg_names and set(arg_names) == names and len(arg_names) == len(kinds)]


def _param(value: Any, kind: str) -> Any:
    # Like PostgREST: JSON values become the argument's type by a cast from text.
    if value is None:
        return None
    if kind in ("json", "jsonb"):
        return Jsonb(value)
    if isinstance(value, dict | list | bool):
        return json.dumps(value)
    return str(value)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "details": None, "hint": None}


def _db_error(exc: psycopg.Error) -> dict[str, Any]:
    diag = exc.diag
    return {"code": exc.sqlstate or "PGRST000",
            "message": diag.message_primary or str(exc).strip().splitlines()[0],
            "details": diag.message_detail, "hint": diag.message_hint}


def _handler_for(server: RestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so `down()` leaves no live sockets behind.
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            function = path[len(PREFIX):] if path.startswith(PREFIX) else ""
            # The gateway wants the project's key; PostgREST checks the JWT when one is
            # sent (none: the anonymous role).
            bearer = self.headers.get("Authorization")
            if self.headers.get("apikey") != server.api_key or (
                    bearer is not None and bearer != f"Bearer {server.api_key}"):
                self._answer(function, 401, {
                    **_error("PGRST301", "Invalid API key"),
                    "hint": "Double check your Supabase `anon` or `service_role` API key."})
                return
            fault = server._take_fault(function)
            if fault is not None:
                server._record(Call(function, fault.status, fault.body, True))
                self._send(fault.status, fault.body, fault.content_type)
                return
            if not function:
                self._answer(function, 404, _error("PGRST125", f"Invalid path {path}"))
                return
            try:
                args = json.loads(raw or b"{}")
            except ValueError:
                self._answer(function, 400, _error("PGRST102", "Empty or invalid json"))
                return
            if not isinstance(args, dict):
                self._answer(function, 400, _error("PGRST102", "Expected a JSON object"))
                return
            with server._lock:
                server.bytes_in += length
            self._args = args
            status, body, conn = server.call(function, args)
            if conn is not None:
                try:
                    conn.commit()
                except psycopg.Error as exc:
                    status, body = 503, _db_error(exc)
                finally:
                    conn.close()
            if status == 200 and server._take_drop():
                server._record(Call(function, status, body, False, args))
                self.close_connection = True
                return  # committed; hang up without a word
            self._answer(function, status, body)

        def _answer(self, function: str, status: int, body: Any) -> None:
            server._record(Call(function, status, body, True, getattr(self, "_args", None)))
            self._send(status, json.dumps(body).encode(), "application/json")

        def _send(self, status: int, data: bytes, content_type: str) -> None:
            with server._lock:
                server.bytes_out += len(data)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if status == 429:
                self.send_header("Retry-After", "1")
            with server._lock:
                server.header_bytes += sum(len(h) for h in getattr(self, "_headers_buffer", []))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def rest_server(db_url: str, api_key: str) -> Iterator[RestServer]:
    server = RestServer(db_url, api_key)
    server.up()
    try:
        yield server
    finally:
        server.down()
