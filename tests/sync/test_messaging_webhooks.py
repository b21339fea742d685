"""The `shopdesk-webhooks` Edge Function under Deno against the test Postgres (through the
PostgREST stand-in): real signed requests are stored and reach the counters by sync;
bad signatures and malformed events are refused and change nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import psycopg
import pytest
import requests
from sqlalchemy import select

from shopdesk.models import Message
from shopdesk.shop import Shop
from shopdesk.sync import central
from tests.conftest import Clock
from tests.messaging.conftest import configure, customer
from tests.messaging.fakes import TWILIO_TOKEN, WA_TOKEN, Providers
from tests.messaging.test_delivery import ready_ticket
from tests.sync.conftest import Counters, server_rows
from tests.sync.rest_server import RestServer, rest_server
from tests.sync.supabase_like import free_port

REPO = Path(__file__).resolve().parents[2]
FUNCTION = REPO / "supabase" / "functions" / "shopdesk-webhooks" / "index.ts"
API_KEY = "anon-key-for-tests"
APP_SECRET = "meta-app-secret"
VERIFY_TOKEN = "a phrase only we know"


def deno_binary() -> str:
    """The Deno runtime from the `deno` npm package (installed into build/deno once)."""
    found = os.environ.get("SHOPDESK_TEST_DENO") or shutil.which("deno")
    local = REPO / "build" / "deno" / "node_modules" / ".bin" / "deno"
    if found:
        return found
    if not local.exists():
        local.parent.parent.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "deno"],
                       cwd=local.parent.parent.parent, check=True, capture_output=True,
                       timeout=300)
    return str(local)


class EdgeFunction:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture
def providers() -> Iterator[Providers]:
    fake = Providers()
    yield fake
    fake.down()


@pytest.fixture
def messaging_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPDESK_TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("SHOPDESK_WHATSAPP_TOKEN", WA_TOKEN)
    monkeypatch.setenv("SHOPDESK_MESSAGING_TIMEOUT", "2")


@pytest.fixture
def rest(central_url: str) -> Iterator[RestServer]:
    with rest_server(central_url, API_KEY) as server:
        yield server


@pytest.fixture
def edge(central_url: str, rest: RestServer, tmp_path: Path) -> Iterator[EdgeFunction]:
    key = central.create_webhook_key(central_url)
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "NO_COLOR": "1",
           "DENO_DIR": str(tmp_path / "deno-cache"), "PORT": str(port),
           "SHOPDESK_REST_URL": rest.url, "SHOPDESK_API_KEY": API_KEY,
           "SHOPDESK_WEBHOOK_KEY": key, "WHATSAPP_APP_SECRET": APP_SECRET,
           "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
           "SHOPDESK_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    proc = subprocess.Popen([deno_binary(), "run", "--no-prompt", "--no-remote",
                             "--allow-net=127.0.0.1", "--allow-env", str(FUNCTION)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening" in line, line + proc.stdout.read()
        yield EdgeFunction(port)
    finally:
        proc.terminate()
        proc.wait(10)


def twilio_post(edge: EdgeFunction, query: dict[str, str], form: dict[str, str],
                token: str = TWILIO_TOKEN) -> requests.Response:
    url = f"{edge.url}/twilio" + (f"?{urlencode(query)}" if query else "")
    signed = url + "".join(k + form[k] for k in sorted(form))
    signature = base64.b64encode(hmac.new(token.encode(), signed.encode(),
                                          hashlib.sha1).digest()).decode()
    return requests.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=10)


def whatsapp_post(edge: EdgeFunction, payload: dict[str, Any],
                  secret: str = APP_SECRET) -> requests.Response:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return requests.post(f"{edge.url}/whatsapp", data=body, timeout=10, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature})


def wa_value(**value: Any) -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", **value}}]}]}


def receipts(url: str) -> dict[str, dict[str, Any]]:
    return server_rows(url, "message_receipts")


@pytest.fixture
def counter(counters: Counters, providers: Providers, messaging_env: None) -> Shop:
    clock = Clock()
    clock.now = datetime.now(UTC)  # the server checks a link's expiry by its own clock
    shop = counters.new("a", clock=clock)
    configure(shop, providers)
    return shop


def test_whatsapp_handshake(edge: EdgeFunction) -> None:
    ok = requests.get(f"{edge.url}/whatsapp", params={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
        timeout=10)
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = requests.get(f"{edge.url}/whatsapp", params={
        "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}, timeout=10)
    assert bad.status_code == 403


def test_twilio_receipts_and_replies_reach_the_counter(
        counter: Shop, providers: Providers, edge: EdgeFunction, central_url: str) -> None:
    shop = counter
    shop.settings.set("messaging.public_url", edge.url)
    code = customer(shop)
    ready_ticket(shop, code)
    shop.sync.run_once()  # automations wait for the server's word before they go out
    assert shop.messaging.deliver().sent == 3
    shop.sync.run_once()
    ready = next(s for s in providers.sent if "ready for pickup" in s.body)
    callback = urlsplit(ready.payload["StatusCallback"])
    assert callback.path == "/twilio"
    query = {k: v[0] for k, v in parse_qs(callback.query).items()}

    # A forged callback (wrong token) is refused and stores nothing.
    forged = twilio_post(edge, query, {"MessageSid": ready.provider_id,
                                       "MessageStatus": "delivered"}, token="wrong")
    assert forged.status_code == 401 and receipts(central_url) == {}

    status = {"MessageSid": ready.provider_id, "MessageStatus": "delivered",
              "AccountSid": "AC" + "0" * 32, "To": ready.to}
    assert twilio_post(edge, query, status).status_code == 200
    assert twilio_post(edge, query, status).status_code == 200  # Twilio retried: one row
    assert len(receipts(central_url)) == 1

    reply = {"MessageSid": "SM" + "f" * 32, "From": "+447400123456", "To": "+447400000001",
             "Body": "Great, coming at 5", "SmsStatus": "received", "NumMedia": "0"}
    answer = twilio_post(edge, {}, reply)
    assert answer.status_code == 200 and "<Response>" in answer.text
    shop.sync.run_once()
    history = shop.messaging.history(code)
    sent = next(m for m in history.entries if m.template == "ready_for_pickup")
    assert sent.status == "delivered" and sent.delivered_at is not None
    assert sent.answered_at is not None
    inbound = [m for m in history.entries if m.direction == "in"]
    assert [m.body for m in inbound] == ["Great, coming at 5"]
    assert next(s for s in history.stats if s.channel == "sms").answered == 1


def test_whatsapp_statuses_and_messages(counter: Shop, providers: Providers,
                                        edge: EdgeFunction, central_url: str) -> None:
    shop = counter
    shop.settings.set("messaging.channels", "whatsapp")
    code = customer(shop, preferred="whatsapp")
    shop.sync.run_once()
    assert shop.messaging.deliver().sent == 1
    shop.sync.run_once()
    sent = providers.sent[0]
    opaque = sent.payload["biz_opaque_callback_data"]
    statuses = [{"id": sent.provider_id, "status": s, "timestamp": str(1764495000 + i),
                 "recipient_id": "447400123456", "biz_opaque_callback_data": opaque}
                for i, s in enumerate(["sent", "delivered", "read"])]
    bad = whatsapp_post(edge, wa_value(statuses=statuses), secret="not-the-secret")
    assert bad.status_code == 401 and receipts(central_url) == {}
    assert whatsapp_post(edge, wa_value(statuses=statuses)).status_code == 200
    assert sorted(r["status"] for r in receipts(central_url).values()) == [
        "delivered", "read", "sent"]
    # A failure receipt carries WhatsApp's reason onto the profile.
    message = {"from": "447400123456", "id": "wamid.reply1", "timestamp": "1764495100",
               "type": "text", "text": {"body": "Thanks!"}}
    assert whatsapp_post(edge, wa_value(messages=[message], contacts=[
        {"profile": {"name": "Ana"}, "wa_id": "447400123456"}])).status_code == 200
    shop.sync.run_once()
    history = shop.messaging.history(code)
    welcome = next(m for m in history.entries if m.template == "welcome")
    assert welcome.status == "read" and welcome.read_at is not None
    assert [m.body for m in history.entries if m.direction == "in"] == ["Thanks!"]


def test_malformed_events_are_refused_by_the_database(central_url: str, rest: RestServer,
                                                      edge: EdgeFunction) -> None:
    bad_from = {"from": "not-a-number", "id": "wamid.x", "timestamp": "1764495100",
                "type": "text", "text": {"body": "hi"}}
    reply = whatsapp_post(edge, wa_value(messages=[bad_from]))
    assert reply.status_code == 422
    assert server_rows(central_url, "messages") == {}
    # Without the webhook key the database function refuses everything.
    direct = requests.post(f"{rest.url}/rest/v1/rpc/shopdesk_webhook", json={
        "p_key": "guess", "p_events": []}, headers={"apikey": API_KEY,
                                                    "Authorization": f"Bearer {API_KEY}"},
        timeout=10)
    assert direct.status_code in (401, 403)


def test_email_confirmation_link_verifies_the_address(
        counter: Shop, providers: Providers, edge: EdgeFunction, central_url: str) -> None:
    shop = counter
    shop.settings.set("messaging.public_url", edge.url)
    code = customer(shop)
    found = shop.customers.by_code(code)
    assert found is not None
    shop.verification.start(found.id, "email")
    shop.sync.run_once()
    with shop.store.read() as session:
        body = session.scalar(select(Message.body).where(Message.purpose == "verification"))
    assert body is not None
    link = next(word for word in body.split() if word.startswith(edge.url))
    page = requests.get(link, timeout=10)
    assert page.status_code == 200 and "confirmed" in page.text
    with psycopg.connect(central_url) as conn:
        count = conn.execute("SELECT count(*) FROM sync.rows WHERE table_name = 'messages' "
                             "AND data->>'purpose' = 'verification' AND data->>'direction' = "
                             "'in'").fetchone()
    assert count is not None and count[0] == 1
    again = requests.get(link, timeout=10)  # the row is there: a second click changes nothing
    assert again.status_code == 200
    shop.sync.run_once()
    report = shop.messaging.deliver()
    assert report.verified == 1
    assert shop.customers.profile(found.id).verification.email_verified_at is not None


def test_central_setup_says_how_to_deploy_and_makes_keys(
        central_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from shopdesk.cli import main

    assert main(["central", "setup", central_url, "--data-dir", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert "supabase functions deploy shopdesk-webhooks" in out
    assert f"already current ({central.CENTRAL_HEAD})" in out
    assert main(["central", "webhook-key", central_url, "--data-dir", str(tmp_path / "d")]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("whk_")
    with psycopg.connect(central_url) as conn:
        stored = conn.execute("SELECT key_hash FROM sync.webhook_keys").fetchall()
    assert len(stored) == 1 and key not in stored[0][0]  # only the hash is kept
