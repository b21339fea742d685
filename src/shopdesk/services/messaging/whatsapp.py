"""WhatsApp through the Cloud API (Graph API `POST /{version}/{phone-number-id}/messages`).

Business-initiated messages go as an approved template (setting
`messaging.whatsapp.templates` maps our template names to approved ones, with
positional body parameters); inside the 24-hour customer-service window (the
customer wrote to us on WhatsApp in the last 24 hours) free text is allowed.
`biz_opaque_callback_data` carries "<message id>:<attempt id>", which WhatsApp
echoes in its status webhooks, so a receipt finds its message even when the send's
answer was lost. The Cloud API cannot look a sent message up, so such an attempt
is reconciled by its receipts, never resent blindly.

Thread rule: one thread at a time (the sender's).
"""

from __future__ import annotations

from typing import Any

import requests

from shopdesk.services.messaging.providers import (
    LookupUnsupported,
    Outgoing,
    SendError,
    http_error,
    json_body,
    never_reached,
    timeout,
)

# Cloud API error codes no retry fixes (the others are retried).
PERMANENT = frozenset({
    "100",  # invalid parameter (a malformed number)
    "131026",  # message undeliverable (not a WhatsApp user)
    "131047",  # re-engagement: outside the 24-hour window without a template
    "131050",  # the user stopped marketing messages
    "131030",  # recipient not in the allowed list (test numbers)
    "132000", "132001", "132012",  # template parameters / missing template / format
})
RATE_LIMITED = frozenset({"4", "80007", "130429", "131048", "131056"})


class WhatsAppCloud:
    channel = "whatsapp"

    def __init__(self, base_url: str, version: str, phone_number_id: str, token: str,
                 templates: dict[str, str], language: str, rate_per_second: float = 20.0,
                 ) -> None:
        self.url = f"{base_url.rstrip('/')}/{version}/{phone_number_id}/messages"
        self.templates = templates
        self.language = language
        self.rate_per_second = rate_per_second
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def payload(self, out: Outgoing) -> dict[str, Any]:
        base: dict[str, Any] = {
            "messaging_product": "whatsapp", "recipient_type": "individual",
            "to": out.to.lstrip("+"),
            "biz_opaque_callback_data": f"{out.message_id}:{out.attempt_id}"}
        approved = self.templates.get(out.template or "")
        if out.in_session or approved is None:
            if not out.in_session:
                raise SendError("WhatsApp needs an approved template for a message outside "
                                f"the 24-hour window; none is set for '{out.template}' "
                                "(setting messaging.whatsapp.templates)", permanent=True,
                                code="no_template")
            return {**base, "type": "text", "text": {"preview_url": False, "body": out.body}}
        components: list[dict[str, Any]] = [{"type": "body", "parameters": [
            {"type": "text", "text": p or "-"} for p in out.params]}] if out.params else []
        if out.template == "verification" and out.params:
            # Authentication templates repeat the code in their copy-code button.
            components.append({"type": "button", "sub_type": "url", "index": "0",
                               "parameters": [{"type": "text", "text": out.params[0]}]})
        return {**base, "type": "template", "template": {
            "name": approved, "language": {"code": self.language}, "components": components}}

    def send(self, out: Outgoing) -> str:
        payload = self.payload(out)
        try:
            reply = self.http.post(self.url, json=payload, timeout=timeout())
        except requests.RequestException as exc:
            if never_reached(exc):
                raise SendError(f"WhatsApp cannot be reached: {type(exc).__name__}") from None
            raise SendError(f"WhatsApp did not answer: {type(exc).__name__}",
                            maybe_sent=True) from None
        body = json_body(reply)
        messages = body.get("messages")
        if reply.status_code == 200 and isinstance(messages, list) and messages:
            return str(messages[0].get("id"))
        raw = body.get("error")
        error: dict[str, Any] = raw if isinstance(raw, dict) else {}
        code = str(error.get("code")) if error.get("code") is not None else None
        details = (error.get("error_data") or {}).get("details") if isinstance(
            error.get("error_data"), dict) else None
        text = f"WhatsApp {reply.status_code}{f' (error {code})' if code else ''}: " \
               f"{error.get('message') or reply.reason}{f' - {details}' if details else ''}"
        status = 429 if code in RATE_LIMITED else reply.status_code
        err = http_error(status, text, reply.headers.get("Retry-After"), code, PERMANENT)
        if reply.status_code >= 500:
            err.maybe_sent = True
        raise err

    def lookup(self, out: Outgoing) -> str | None:
        raise LookupUnsupported("the WhatsApp Cloud API cannot look up a sent message")

    def close(self) -> None:
        self.http.close()

