"""Which provider serves each channel, built from the settings and secrets.

A second SMS gateway is one module with a class like `TwilioSms` and one branch
on `messaging.sms.provider` here. Returns None for a channel not configured.
Thread rule: any thread; each call builds a fresh provider.
"""

from __future__ import annotations

import logging
import ssl

from shopdesk.services.messaging.config import MessagingConfig, secret
from shopdesk.services.messaging.providers import Provider

log = logging.getLogger(__name__)


def make_provider(channel: str, cfg: MessagingConfig) -> Provider | None:
    if not cfg.configured(channel):
        return None
    # The providers are imported here, when a channel is set up: `requests` costs 18 MB
    # and 80 ms at start-up, for a shop that may not message at all.
    from shopdesk.services.messaging.email import SmtpEmail
    from shopdesk.services.messaging.twilio import TwilioSms
    from shopdesk.services.messaging.whatsapp import WhatsAppCloud

    public = cfg.get("public_url")
    if channel == "sms":
        return TwilioSms(cfg.get("sms.base_url"), cfg.get("sms.account_sid"),
                         secret("sms") or "", cfg.get("sms.from_number"),
                         float(cfg.get("sms.rate_per_second")),
                         status_callback=f"{public}/twilio" if public else None)
    if channel == "whatsapp":
        return WhatsAppCloud(cfg.get("whatsapp.base_url"), cfg.get("whatsapp.api_version"),
                             cfg.get("whatsapp.phone_number_id"), secret("whatsapp") or "",
                             cfg.whatsapp_templates(), cfg.get("whatsapp.language"),
                             float(cfg.get("whatsapp.rate_per_second")))
    if channel == "email":
        # The server's certificate is always verified: against the system's CAs (or
        # SSL_CERT_FILE), plus `messaging.email.ca_file` for a shop's own CA.
        context = ssl.create_default_context()
        if cfg.get("email.ca_file"):
            try:
                context.load_verify_locations(cfg.get("email.ca_file"))
            except (OSError, ssl.SSLError) as exc:  # moved or damaged since it was set
                log.warning("messaging.email.ca_file not used: %s", exc)
        return SmtpEmail(cfg.get("email.smtp_host"), int(cfg.get("email.smtp_port")),
                         cfg.get("email.starttls") == "true", cfg.get("email.from"),
                         cfg.get("email.username"), secret("email"),
                         float(cfg.get("email.rate_per_second")), context=context)
    return None
