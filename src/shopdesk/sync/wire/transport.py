"""Two ways to reach the same server functions: direct Postgres (`sync.direct`), or
Supabase's REST RPC (here).

Both send one request per call and return the function's JSON object. Errors are
sorted for the engine: `Retryable` (network, server busy or restarting: try again
later, nothing was lost), `Timeout` (the server cut the call off: the engine retries it
smaller), `Forbidden` (credential unknown or revoked: stop and tell staff),
`ProtocolError` (anything else, e.g. a reply that is not what the protocol says: keep
the queue, report it). `expect()` checks a reply has what the engine will read, so a
strange answer is a clear error, never a KeyError.

A transport object is used by one thread at a time (the sync thread).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit


class TransportError(Exception):
    """A sync call failed; `str()` is a sentence for staff."""


class Retryable(TransportError):
    pass


class Timeout(Retryable):
    """The server cancelled a call that ran too long (Supabase's `anon` has 3 s)."""


class Forbidden(TransportError):
    pass


class ProtocolError(TransportError):
    pass


class Transport(Protocol):
    def hello(self) -> dict[str, Any]: ...
    def push(self, batch: dict[str, Any]) -> dict[str, Any]: ...
    def pull(self, cursor: int, limit: int, ack_floor: int) -> dict[str, Any]: ...
    def close(self) -> None: ...


# What each reply must carry, and of which JSON type (bool before int: True is an int).
PUSH_REPLY = {"results": list}
PULL_REPLY = {"changes": list, "next_cursor": int, "has_more": bool, "server_seq": int,
              "device_last_seq": int, "results": list}
HELLO_REPLY = {"device_id": str, "server_seq": int}


def expect(reply: Any, shape: Mapping[str, type], call: str) -> dict[str, Any]:
    """`reply` if it is an object with every key of `shape` of the right JSON type."""
    if not isinstance(reply, dict):
        raise ProtocolError(f"the central server's answer to {call} is not a JSON object")
    for key, kind in shape.items():
        value = reply.get(key)
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            if key == "results" and "error" in reply:
                continue  # an error reply (gap, fork...) may come without results
            raise ProtocolError(f"the central server's answer to {call} lacks a valid "
                                f"'{key}' (protocol mismatch? run `shopdesk central setup` "
                                "with this version)")
    return reply


class RestTransport:
    """Supabase's PostgREST: POST {url}/rest/v1/rpc/<function> with the project's API key.

    Only 2xx answers are answers. PostgREST's other codes mean something definite:
    300 an ambiguous overload (PGRST203), 404 a function it does not know (yet: its
    schema cache reloads after a migration), 401/403 a refused key or credential,
    500 with SQLSTATE 57014 a statement cut off by the role's timeout.
    """

    def __init__(self, url: str, api_key: str, token: str, timeout: float = 30.0) -> None:
        import requests

        parts = urlsplit(url)
        if parts.scheme != "https" and not _local(parts.hostname):
            raise ProtocolError(f"refusing to send this counter's credential to {url} over "
                                "plain HTTP: use the project's https:// URL")
        self._base = url.rstrip("/") + "/rest/v1/rpc/"
        self._token, self._timeout = token, timeout
        self._http = requests.Session()
        self._http.headers.update({"apikey": api_key, "Authorization": f"Bearer {api_key}",
                                   "Content-Type": "application/json",
                                   "Accept": "application/json"})
        self.bytes_received = 0  # bodies and headers, for the egress figures

    def _call(self, function: str, body: dict[str, Any]) -> dict[str, Any]:
        import requests

        try:
            reply = self._http.post(self._base + function, data=json.dumps(body),
                                    timeout=self._timeout, allow_redirects=False)
        except requests.Timeout:
            raise Timeout("the central server did not answer in time; will retry") from None
        except requests.RequestException as exc:
            raise Retryable(f"central server unreachable: {type(exc).__name__}") from None
        self.bytes_received += len(reply.content) + sum(
            len(k) + len(v) + 4 for k, v in reply.headers.items())
        status = reply.status_code
        if 200 <= status < 300:
            try:
                answer = reply.json()
            except ValueError:
                answer = None
            if not isinstance(answer, dict):  # a proxy's page, a cut-off or empty body
                raise Retryable("central server sent an incomplete answer; will retry")
            return answer
        code, message = _error(reply)
        if (status == 500 and code == "57014") or status in (408, 504):
            raise Timeout(f"the central server cut the call off ({status}: {message})")
        if status == 429 or status >= 500:
            raise Retryable(f"central server answered {status} ({message}); will retry")
        if status == 401:
            raise Forbidden(f"central server refused the API key (401): {message}; replace it "
                            "with `shopdesk central set-api-key KEY`")
        if status == 403:
            raise Forbidden(f"central server refused this terminal (403): {message}")
        if status == 300:
            raise ProtocolError(f"the central server has more than one {function} function "
                                f"(300 {code}): run `shopdesk central setup` to repair it")
        if status == 404:
            raise ProtocolError(f"the central server does not offer {function} (404 {code}: "
                                f"{message}); if `shopdesk central setup` just ran, its API "
                                "reloads in a moment, otherwise run it")
        raise ProtocolError(f"central server refused the call ({status} {code}): {message}")

    def hello(self) -> dict[str, Any]:
        return self._call("shopdesk_hello", {"p_token": self._token})

    def push(self, batch: dict[str, Any]) -> dict[str, Any]:
        return self._call("shopdesk_push", {"p_token": self._token, "p_batch": batch})

    def pull(self, cursor: int, limit: int, ack_floor: int) -> dict[str, Any]:
        return self._call("shopdesk_pull", {"p_token": self._token, "p_cursor": cursor,
                                            "p_limit": limit, "p_ack_floor": ack_floor})

    def close(self) -> None:
        self._http.close()


def _local(host: str | None) -> bool:
    return host in (None, "", "localhost", "127.0.0.1", "::1")


def first_line(exc: BaseException) -> str:
    """An error's first line, for one-line messages to staff."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _error(reply: Any) -> tuple[str, str]:
    """(code, message) of a PostgREST error body, or what can be said of another body."""
    try:
        body = reply.json()
    except ValueError:
        return "", reply.text[:200].strip() or reply.reason or "no body"
    if isinstance(body, dict):
        return str(body.get("code") or ""), str(body.get("message") or body)[:300]
    return "", str(body)[:200]
