"""Channel configuration: the settings catalogue's `messaging.*` keys plus the secrets.

Secrets are never in the database: each is read from the environment variable named
below (headless machines, CI) or else the OS keyring (service "shopdesk"), and
`set_secret` writes the keyring. Thread rule: any thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from shopdesk import keychain
from shopdesk.domain.messaging.rules import parse_hhmm
from shopdesk.errors import ShopdeskError

# channel -> (keyring name, environment variable)
SECRETS: dict[str, tuple[str, str]] = {
    "email": ("smtp-password", "SHOPDESK_SMTP_PASSWORD"),
    "sms": ("twilio-auth-token", "SHOPDESK_TWILIO_AUTH_TOKEN"),
    "whatsapp": ("whatsapp-token", "SHOPDESK_WHATSAPP_TOKEN"),
}


def secret(channel: str) -> str | None:
    """The channel's secret: its environment variable first, else the keyring."""
    name, env = SECRETS[channel]
    return os.environ.get(env) or keychain.get(name)


def set_secret(channel: str, value: str) -> None:
    """Store the channel's secret in the OS keyring (refused where there is none)."""
    if channel not in SECRETS:
        raise ShopdeskError(f"channel: '{channel}' is not one of {', '.join(SECRETS)}")
    name, env = SECRETS[channel]
    if not keychain.put(name, value):
        raise ShopdeskError(f"no OS keyring to store the {channel} secret in; set {env} "
                            "in the environment instead")


@dataclass(frozen=True)
class MessagingConfig:
    """A snapshot of the messaging settings (read once per delivery run)."""

    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values[f"messaging.{key}"]

    @property
    def shop_name(self) -> str:
        return self.values["shop.name"]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.get("timezone"))

    @property
    def quiet_hours(self) -> tuple[time, time] | None:
        text = self.get("quiet_hours")
        if not text:
            return None
        start, end = text.split("-")
        return parse_hhmm(start), parse_hhmm(end)

    @property
    def channel_order(self) -> list[str]:
        return self.get("channels").split(",")

    def set_up(self, channel: str) -> bool:
        """The channel's settings are filled in (its secret is not looked at: cheap)."""
        if channel == "email":
            return bool(self.get("email.smtp_host") and self.get("email.from"))
        if channel == "sms":
            return bool(self.get("sms.account_sid") and self.get("sms.from_number"))
        if channel == "whatsapp":
            return bool(self.get("whatsapp.phone_number_id"))
        return False

    def configured(self, channel: str) -> bool:
        """True when the channel has its settings and its secret."""
        if channel == "email":
            return bool(self.get("email.smtp_host") and self.get("email.from"))
        if channel == "sms":
            return bool(self.get("sms.account_sid") and self.get("sms.from_number")
                        and secret("sms"))
        if channel == "whatsapp":
            return bool(self.get("whatsapp.phone_number_id") and secret("whatsapp"))
        return False

    def whatsapp_templates(self) -> dict[str, str]:
        pairs = [p.split("=", 1) for p in self.get("whatsapp.templates").split(",") if "=" in p]
        return {k.strip(): v.strip() for k, v in pairs}
