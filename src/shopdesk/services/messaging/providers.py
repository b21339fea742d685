"""The provider interface every channel implements, and its errors.

A provider sends one `Outgoing` and answers the provider's id for it, or raises
`SendError`: `permanent` (invalid number, opted out: never retried), or transient
with an optional `retry_after` (429, 5xx, timeouts). `maybe_sent` says the provider
may have accepted it (the answer was lost): the sender then reconciles through
`lookup` before any new attempt. A second SMS gateway is one more module with a
class like `TwilioSms`, named in `make_provider`.

Thread rule: a provider instance is used by one thread (the sender's) at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Outgoing:
    """What a provider needs to send one message attempt."""

    message_id: str
    attempt_id: str
    to: str
    subject: str
    body: str
    html: str | None = None
    template: str | None = None  # our template name (WhatsApp maps it to an approved one)
    params: tuple[str, ...] = ()  # the template's values, in order
    language: str = "en"
    in_session: bool = False  # WhatsApp: inside the 24-hour customer-service window
    attempt_at: datetime | None = None
    sender_name: str = ""


@dataclass
class SendError(Exception):
    """A failed send; `reason` is one line for the profile."""

    reason: str
    permanent: bool = False
    retry_after: float | None = None
    maybe_sent: bool = False
    code: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.reason


def timeout() -> tuple[float, float]:
    """(connect, read) seconds for provider calls; SHOPDESK_MESSAGING_TIMEOUT (seconds)
    shortens the read wait (tests, slow links)."""
    import os

    try:
        read = float(os.environ.get("SHOPDESK_MESSAGING_TIMEOUT", "20"))
    except ValueError:
        read = 20.0
    return (min(5.0, read), read)


class LookupUnsupported(Exception):
    """The provider cannot say whether it has an attempt (WhatsApp, SMTP)."""


class Provider(Protocol):
    channel: str
    rate_per_second: float

    def send(self, out: Outgoing) -> str:
        """Send; the provider's message id. Raises SendError."""
        ...

    def lookup(self, out: Outgoing) -> str | None:
        """The provider's id of this attempt if it was accepted, None if it certainly
        was not; raises LookupUnsupported or SendError (transient) when it cannot tell."""
        ...

    def close(self) -> None:
        ...


def http_error(status: int, reason: str, retry_after: str | None,
               code: str | None = None, permanent_codes: frozenset[str] = frozenset(),
               ) -> SendError:
    """Classify an HTTP failure: 429 and 5xx are retried (honouring Retry-After), a
    known permanent provider code or another 4xx is not."""
    wait: float | None = None
    if retry_after:
        try:
            wait = float(retry_after)
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                when = parsedate_to_datetime(retry_after)
                from shopdesk.models.base import utcnow

                wait = max(0.0, (when - utcnow()).total_seconds())
            except (TypeError, ValueError):
                wait = None
    if status == 429 or status >= 500 or status in (401, 403):
        # 401/403: the shop's credentials are wrong or expired; once fixed, the
        # queue goes out, so these wait like an outage instead of failing every message.
        return SendError(reason, retry_after=wait, code=code)
    if code in permanent_codes or 400 <= status < 500:
        return SendError(reason, permanent=True, code=code)
    return SendError(reason, code=code)


def never_reached(exc: BaseException) -> bool:
    """True when an HTTP request failed before the provider could have got it (refused
    connection, DNS, connect timeout); any other failure may have been accepted."""
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc)
    return any(s in text for s in ("NewConnectionError", "Failed to establish",
                                   "NameResolutionError", "ConnectTimeoutError"))


def json_body(reply: Any) -> dict[str, Any]:
    """A provider's JSON answer as a dict ({} when it is not a JSON object)."""
    try:
        data = reply.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
