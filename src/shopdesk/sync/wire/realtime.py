"""Waking a REST counter through Supabase Realtime (issue 11): the broadcast the server
sends after a push (`sync.poke`: `realtime.send({"seq": N}, 'poke', 'shopdesk-sync')`)
carries only the new sequence number, never row data.

`RealtimePoke` speaks the small part of Realtime's Phoenix-channel protocol (JSON,
`vsn=1.0.0`) that this needs: join the public topic `realtime:shopdesk-sync` with the
project's API key, answer nothing but heartbeats, and call `wake()` for each `poke`
broadcast. A lost socket is opened again with back-off; a refused key stops it (the
sync round reports the key). Counters also poll (backing off while idle), so a missed
poke only delays a change, never loses it.

Thread rule: `start()`/`stop()` from any thread; `wake` runs on the poke's own thread.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

log = logging.getLogger(__name__)
TOPIC = "realtime:shopdesk-sync"
HEARTBEAT_SECONDS = 25.0


def websocket_url(project_url: str, api_key: str) -> str:
    """https://ref.supabase.co -> wss://ref.supabase.co/realtime/v1/websocket?apikey=…"""
    parts = urlsplit(project_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    query = urlencode({"apikey": api_key, "vsn": "1.0.0"})
    path = parts.path.rstrip("/") + "/realtime/v1/websocket"
    return urlunsplit((scheme, parts.netloc, path, query, ""))


class RealtimePoke:
    """Subscribes to the server's pokes over Supabase Realtime (see the module docstring)."""

    def __init__(self, project_url: str, api_key: str) -> None:
        self._url = websocket_url(project_url, api_key)
        self._key = api_key
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._socket: Any = None
        self._ref = 0
        self.notifications = 0
        self.joined = threading.Event()

    def start(self, wake: Callable[[], None]) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, args=(wake,),
                                            name="shopdesk-sync-realtime", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        socket = self._socket
        if socket is not None:
            try:
                socket.close()
            except Exception:
                log.debug("closing the Realtime socket failed", exc_info=True)
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _send(self, topic: str, event: str, payload: dict[str, Any]) -> None:
        self._ref += 1
        self._socket.send(json.dumps({"topic": topic, "event": event, "payload": payload,
                                      "ref": str(self._ref), "join_ref": "1"}))

    def _loop(self, wake: Callable[[], None]) -> None:
        from websockets.exceptions import InvalidStatus, WebSocketException
        from websockets.sync.client import connect

        delay = 1.0
        while not self._stop.is_set():
            try:
                with connect(self._url, open_timeout=10, close_timeout=2) as socket:
                    self._socket = socket
                    self._send(TOPIC, "phx_join", {
                        "config": {"broadcast": {"self": False, "ack": False},
                                   "presence": {"key": ""}, "private": False},
                        "access_token": self._key})
                    delay = 1.0
                    self._listen(socket, wake)
            except InvalidStatus as exc:
                if exc.response.status_code in (401, 403):
                    log.info("Realtime refused the API key; pokes stop (sync still polls)")
                    return
                log.info("Realtime: %s", exc)
            except (OSError, TimeoutError, WebSocketException) as exc:
                log.info("Realtime: %s; again in %.0f s", exc, delay)
            finally:
                self._socket = None
                self.joined.clear()
            if self._stop.wait(delay):
                return
            delay = min(60.0, delay * 2)

    def _listen(self, socket: Any, wake: Callable[[], None]) -> None:
        while not self._stop.is_set():
            try:
                raw = socket.recv(timeout=HEARTBEAT_SECONDS)
            except TimeoutError:
                self._send("phoenix", "heartbeat", {})
                continue
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(message, dict) or message.get("topic") not in (TOPIC, "phoenix"):
                continue
            found = message.get("payload")
            payload: dict[str, Any] = found if isinstance(found, dict) else {}
            if message.get("event") == "phx_reply" and payload.get("status") == "ok":
                self.joined.set()
            elif message.get("event") == "broadcast" and payload.get("event") == "poke":
                self.notifications += 1
                wake()
