"""SMS through Twilio's REST API (plain `requests`, see the README's note on why).

`POST {base}/2010-04-01/Accounts/{sid}/Messages.json` (form: To, From, Body,
StatusCallback) with HTTP Basic auth (account SID, auth token); 201 answers the
message resource whose `sid` we keep. Twilio's Messages API takes no idempotency
key, so an attempt whose answer was lost is reconciled by listing the messages
sent to that number since the attempt (`GET Messages.json?To=..&DateSent>=..`) and
matching the body. Errors carry Twilio's JSON `{code, message, more_info, status}`.

Thread rule: one thread at a time (the sender's).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import requests

from shopdesk.services.messaging.providers import (
    Outgoing,
    SendError,
    http_error,
    json_body,
    never_reached,
    timeout,
)

# Twilio error codes that no retry can fix.
PERMANENT = frozenset({
    "21211",  # invalid 'To' phone number
    "21408",  # permission to send to this region is not enabled
    "21610",  # the recipient replied STOP (unsubscribed)
    "21612",  # not reachable from this number
    "21614",  # 'To' is not a valid mobile number
    "30003", "30005", "30006",  # unreachable, unknown, landline
})


class TwilioSms:
    channel = "sms"

    def __init__(self, base_url: str, account_sid: str, auth_token: str, from_number: str,
                 rate_per_second: float = 1.0, status_callback: str | None = None) -> None:
        self.base = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}"
        self.from_number = from_number
        self.rate_per_second = rate_per_second
        self.status_callback = status_callback
        self.http = requests.Session()
        self.http.auth = (account_sid, auth_token)

    def send(self, out: Outgoing) -> str:
        form = {"To": out.to, "From": self.from_number, "Body": out.body}
        if self.status_callback:
            form["StatusCallback"] = (f"{self.status_callback}?"
                                      + urlencode({"m": out.message_id, "a": out.attempt_id}))
        try:
            reply = self.http.post(f"{self.base}/Messages.json", data=form, timeout=timeout())
        except requests.RequestException as exc:
            if never_reached(exc):
                raise SendError(f"Twilio cannot be reached: {type(exc).__name__}") from None
            raise SendError(f"Twilio did not answer: {type(exc).__name__}",
                            maybe_sent=True) from None
        body = json_body(reply)
        if reply.status_code in (200, 201) and body.get("sid"):
            return str(body["sid"])
        code = str(body.get("code")) if body.get("code") is not None else None
        message = body.get("message") or reply.reason or "error"
        err = http_error(reply.status_code, f"Twilio {reply.status_code}"
                         f"{f' (error {code})' if code else ''}: {message}",
                         reply.headers.get("Retry-After"), code, PERMANENT)
        if reply.status_code >= 500:
            err.maybe_sent = True  # a 5xx may come after the message was queued
        raise err

    def lookup(self, out: Outgoing) -> str | None:
        since = (out.attempt_at or datetime.now().astimezone()) - timedelta(minutes=5)
        params = {"To": out.to, "DateSent>": since.date().isoformat(), "PageSize": "100"}
        try:
            reply = self.http.get(f"{self.base}/Messages.json", params=params, timeout=timeout())
        except requests.RequestException as exc:
            raise SendError(f"Twilio lookup failed: {type(exc).__name__}") from None
        if reply.status_code != 200:
            raise http_error(reply.status_code, f"Twilio lookup {reply.status_code}",
                             reply.headers.get("Retry-After"))
        for item in json_body(reply).get("messages") or []:
            if item.get("body") != out.body or item.get("to") != out.to:
                continue
            created = _when(item.get("date_created"))
            if created is None or created >= since:
                return str(item["sid"])
        return None

    def close(self) -> None:
        self.http.close()


def _when(text: Any) -> datetime | None:
    try:
        return parsedate_to_datetime(str(text))
    except (TypeError, ValueError):
        return None
