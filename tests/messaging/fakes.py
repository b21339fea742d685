"""Loopback stand-ins for the providers: the subset of Twilio's Messages API and the
WhatsApp Cloud API that shopdesk uses, with their real error bodies, and a real SMTP
server (aiosmtpd) with STARTTLS on a self-signed certificate made here.

Fault knobs (thread-safe; the servers answer on their own threads):
`fail_next(status, body, headers)` answers the next sends with a failure;
`accept_then_drop` accepts the next send (it counts as delivered) and closes the
connection without an answer; `slow_seconds` delays answers (timeouts);
`down()`/`up()` refuse connections and come back on the same port.

Not a test module.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import ipaddress
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-test-token"
WA_TOKEN = "wa-test-token"
PHONE_NUMBER_ID = "1098765432"

# Twilio's documented error bodies for what the tests provoke.
INVALID_TO = 21211
UNSUBSCRIBED = 21610


@dataclass
class Sent:
    api: str  # twilio | whatsapp
    to: str
    body: str
    payload: dict[str, Any]
    provider_id: str
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class Providers:
    """Both HTTP APIs on one loopback port. See the module docstring."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self.invalid_numbers: set[str] = set()
        self.unsubscribed: set[str] = set()
        self._failures: list[_Failure] = []
        self.accept_then_drop = 0
        self.slow_seconds = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.up()

    # -- knobs -----------------------------------------------------------------------------
    def fail_next(self, status: int, body: dict[str, Any] | None = None,
                  headers: dict[str, str] | None = None, times: int = 1) -> None:
        with self._lock:
            self._failures += [_Failure(status, body or {}, headers or {})] * times

    def up(self) -> None:
        handler = _handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sent_to(self, to: str) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.to == to]

    # -- request handling (server threads) --------------------------------------------------
    def _take_failure(self) -> _Failure | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _accept(self, sent: Sent) -> bool:
        """Record a message; False when the answer must be dropped."""
        with self._lock:
            self.sent.append(sent)
            if self.accept_then_drop:
                self.accept_then_drop -= 1
                return False
            return True


def _handler(owner: Providers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: dict[str, Any],
                   headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def do_GET(self) -> None:
            owner.requests.append(("GET", self.path))
            parts = urlsplit(self.path)
            if not parts.path.endswith("/Messages.json") or not self._twilio_auth():
                return
            query = parse_qs(parts.query)
            to = (query.get("To") or [""])[0]
            items = [_twilio_resource(s) for s in owner.sent_to(to) if s.api == "twilio"]
            self._reply(200, {"messages": items, "page": 0, "page_size": 100,
                              "next_page_uri": None})

        def do_POST(self) -> None:
            owner.requests.append(("POST", self.path))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if owner.slow_seconds:
                time.sleep(owner.slow_seconds)
            path = urlsplit(self.path).path
            if path.endswith("/Messages.json"):
                self._twilio_send(raw)
            elif path.endswith(f"/{PHONE_NUMBER_ID}/messages"):
                self._whatsapp_send(raw)
            else:
                self._reply(404, {"code": 20404, "message": "The requested resource was "
                                  "not found", "status": 404})

        # Twilio ---------------------------------------------------------------------------
        def _twilio_auth(self) -> bool:
            expected = base64.b64encode(f"{SID}:{TWILIO_TOKEN}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self._reply(401, {"code": 20003, "message": "Authenticate", "more_info":
                                  "https://www.twilio.com/docs/errors/20003", "status": 401})
                return False
            return True

        def _twilio_send(self, raw: bytes) -> None:
            if not self._twilio_auth():
                return
            failure = owner._take_failure()
            if failure is not None:
                self._reply(failure.status, failure.body or {
                    "code": 20429 if failure.status == 429 else 20500,
                    "message": "Too Many Requests" if failure.status == 429
                    else "Internal Server Error", "more_info":
                    "https://www.twilio.com/docs/errors/20429", "status": failure.status},
                    failure.headers)
                return
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            to = form.get("To", "")
            if to in owner.invalid_numbers:
                self._reply(400, {"code": INVALID_TO, "message": f"The 'To' number {to} is not "
                                  "a valid phone number.", "more_info":
                                  "https://www.twilio.com/docs/errors/21211", "status": 400})
                return
            if to in owner.unsubscribed:
                self._reply(400, {"code": UNSUBSCRIBED, "message": "Attempt to send to "
                                  "unsubscribed recipient", "more_info":
                                  "https://www.twilio.com/docs/errors/21610", "status": 400})
                return
            sent = Sent("twilio", to, form.get("Body", ""), form,
                        "SM" + uuid.uuid4().hex)
            if not owner._accept(sent):
                self._drop()
                return
            self._reply(201, _twilio_resource(sent))

        # WhatsApp -------------------------------------------------------------------------
        def _whatsapp_send(self, raw: bytes) -> None:
            if self.headers.get("Authorization") != f"Bearer {WA_TOKEN}":
                self._reply(401, {"error": {"message": "Invalid OAuth access token - Cannot "
                                            "parse access token", "type": "OAuthException",
                                            "code": 190, "fbtrace_id": "AbCdEf"}})
                return
            failure = owner._take_failure()
            if failure is not None:
                self._reply(failure.status, failure.body or {"error": {
                    "message": "(#130429) Rate limit hit" if failure.status == 429
                    else "(#131000) Something went wrong", "type": "OAuthException",
                    "code": 130429 if failure.status == 429 else 131000,
                    "fbtrace_id": "AbCdEf"}}, failure.headers)
                return
            payload = json.loads(raw or b"{}")
            to = "+" + str(payload.get("to", ""))
            if to in owner.invalid_numbers:
                self._reply(400, {"error": {"message": "(#100) Invalid parameter",
                                            "type": "OAuthException", "code": 100,
                                            "error_data": {"messaging_product": "whatsapp",
                                                           "details": "Invalid parameter"},
                                            "fbtrace_id": "AbCdEf"}})
                return
            if payload.get("type") == "template":
                body = json.dumps(payload["template"])
            else:
                body = payload.get("text", {}).get("body", "")
            sent = Sent("whatsapp", to, body, payload,
                        "wamid." + base64.b64encode(uuid.uuid4().bytes).decode().rstrip("="))
            if not owner._accept(sent):
                self._drop()
                return
            self._reply(200, {"messaging_product": "whatsapp",
                              "contacts": [{"input": payload.get("to"),
                                            "wa_id": payload.get("to")}],
                              "messages": [{"id": sent.provider_id}]})

    return Handler


def _twilio_resource(sent: Sent) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {"sid": sent.provider_id, "account_sid": SID, "to": sent.to,
            "from": sent.payload.get("From"), "body": sent.body, "status": "queued",
            "date_created": format_datetime(now), "date_sent": None, "error_code": None,
            "error_message": None, "num_segments": "1", "direction": "outbound-api"}


# -- SMTP --------------------------------------------------------------------------------------
def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and localhost) and its key, written under `tmp`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "smtp-cert.pem", tmp / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Mailbox:
    """What the SMTP server received: parsed messages, and whether STARTTLS was used."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.tls: list[bool] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        self.tls.append(session.ssl is not None)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
