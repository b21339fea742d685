"""A Supabase Realtime stand-in on 127.0.0.1: the part of its Phoenix-channel protocol
that shopdesk uses, fed by the database as Supabase's "Broadcast from Database" is.

`install_realtime_send(superuser_connection)` creates `realtime.send(payload, event,
topic, private)` in a test database (Supabase ships that function; here it does
`pg_notify('realtime_test', ...)`), and `RealtimeServer` LISTENs on that channel and
forwards each message, as a `broadcast`, to the sockets that joined `realtime:<topic>`.
It checks the `apikey` query parameter (a wrong key: HTTP 401 at the handshake, as
Realtime refuses it), answers `phx_join` and heartbeats with `phx_reply` ok.

Threads: the websockets server's own, plus one LISTEN thread; `joined()` and `stop()`
may be called from the test's thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

CHANNEL = "realtime_test"


def install_realtime_send(conn: psycopg.Connection[Any], grantee: str = "postgres") -> None:
    """What a Supabase project has: realtime.send, executable by the administrator."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS realtime")
    conn.execute(f"""CREATE OR REPLACE FUNCTION realtime.send(payload jsonb, event text,
        topic text, private boolean DEFAULT true) RETURNS void LANGUAGE sql AS $$
        SELECT pg_notify('{CHANNEL}', json_build_object('payload', payload, 'event', event,
                         'topic', topic, 'private', private)::text) $$""")
    conn.execute(f"GRANT USAGE ON SCHEMA realtime TO {grantee}")
    conn.execute(f"GRANT EXECUTE ON FUNCTION realtime.send(jsonb, text, text, boolean) "
                 f"TO {grantee}")


class RealtimeServer:
    def __init__(self, db_url: str, api_key: str) -> None:
        self.db_url, self.api_key = db_url, api_key
        self._topics: dict[Any, set[str]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.sent = 0
        self.port = 0

    @property
    def url(self) -> str:
        """The project URL a counter is given (http: the stand-in speaks ws, not wss)."""
        return f"http://127.0.0.1:{self.port}"

    def joined(self) -> int:
        with self._lock:
            return sum(len(t) for t in self._topics.values())

    def start(self) -> None:
        from websockets.sync.server import serve

        self._server = serve(self._handle, "127.0.0.1", 0, process_request=self._check)
        self.port = self._server.socket.getsockname()[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._listener = threading.Thread(target=self._listen, daemon=True)
        self._listener.start()

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._listener.join(5)

    def _check(self, connection: Any, request: Any) -> Any:
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(request.path).query)
        if not request.path.startswith("/realtime/v1/websocket"):
            return connection.respond(404, "not found\n")
        if query.get("apikey") != [self.api_key]:
            return connection.respond(401, "invalid apikey\n")
        return None

    def _handle(self, socket: Any) -> None:
        with self._lock:
            self._topics[socket] = set()
        try:
            for raw in socket:
                message = json.loads(raw)
                topic, event = message.get("topic"), message.get("event")
                if event == "phx_join" and message["payload"].get("access_token") == self.api_key:
                    with self._lock:
                        self._topics[socket].add(topic)
                reply = {"topic": topic, "event": "phx_reply", "ref": message.get("ref"),
                         "payload": {"status": "ok", "response": {}}}
                socket.send(json.dumps(reply))
        finally:
            with self._lock:
                self._topics.pop(socket, None)

    def _listen(self) -> None:
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            while not self._stop.is_set():
                for note in conn.notifies(timeout=0.2, stop_after=1):
                    self._broadcast(json.loads(note.payload))

    def _broadcast(self, sent: dict[str, Any]) -> None:
        topic = f"realtime:{sent['topic']}"
        message = json.dumps({"topic": topic, "event": "broadcast", "ref": None, "payload": {
            "type": "broadcast", "event": sent["event"], "payload": sent["payload"]}})
        with self._lock:
            targets = [s for s, topics in self._topics.items() if topic in topics]
        for socket in targets:
            try:
                socket.send(message)
                self.sent += 1
            except Exception:
                pass


@contextmanager
def realtime_server(db_url: str, api_key: str) -> Iterator[RealtimeServer]:
    server = RealtimeServer(db_url, api_key)
    server.start()
    try:
        yield server
    finally:
        server.stop()
