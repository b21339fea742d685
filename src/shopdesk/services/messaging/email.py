"""E-mail through SMTP with STARTTLS (`smtplib`, `email`): a plain-text and an HTML part,
the shop's name as the sender's name, `Message-ID` made of the attempt id.

SMTP cannot be asked whether a mail was accepted, so an attempt whose answer was
lost stays `unknown` for staff to decide (never resent blindly).
Thread rule: one thread at a time (the sender's).
"""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr

from shopdesk.services.messaging.providers import LookupUnsupported, Outgoing, SendError


class SmtpEmail:
    channel = "email"

    def __init__(self, host: str, port: int, starttls: bool, sender: str, username: str,
                 password: str | None, rate_per_second: float = 5.0,
                 context: ssl.SSLContext | None = None, timeout: float = 20.0) -> None:
        self.host, self.port, self.starttls = host, port, starttls
        self.sender, self.username, self.password = sender, username, password
        self.rate_per_second = rate_per_second
        self.context = context or ssl.create_default_context()
        self.timeout = timeout

    def build(self, out: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = out.subject
        mail["From"] = formataddr((out.sender_name, self.sender))
        mail["To"] = out.to
        domain = self.sender.rsplit("@", 1)[-1] or "shopdesk.invalid"
        mail["Message-ID"] = f"<{out.attempt_id}@{domain}>"
        mail["X-Shopdesk-Message"] = out.message_id
        mail.set_content(out.body)
        if out.html:
            mail.add_alternative(out.html, subtype="html")
        return mail

    def send(self, out: Outgoing) -> str:
        try:
            Address(addr_spec=out.to)
        except (ValueError, IndexError):
            raise SendError(f"'{out.to}' is not an e-mail address", permanent=True) from None
        mail = self.build(out)
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"SMTP server cannot be reached: {exc}") from None
        # Until the message's data is on its way, a failure means it was not sent.
        sending = False
        try:
            with smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=self.context)
                    smtp.ehlo()
                # Log in when there is a password and the server offers AUTH; the
                # login is the username setting, else the sender's address.
                if self.password and smtp.has_extn("auth"):
                    smtp.login(self.username or self.sender, self.password)
                sending = True
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [c for c, _ in exc.recipients.values()]
            permanent = all(500 <= c < 600 for c in codes)
            raise SendError(f"SMTP refused {out.to}: {exc.recipients}", permanent=permanent,
                            code=str(codes[0]) if codes else None) from None
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            raise SendError(f"SMTP {exc.smtp_code}: {text}", permanent=exc.smtp_code in (
                550, 551, 553), code=str(exc.smtp_code)) from None
        except ssl.SSLCertVerificationError as exc:
            raise SendError(f"SMTP server's certificate is not trusted ({exc.verify_message});"
                            " set messaging.email.ca_file to the shop's CA") from None
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise SendError(f"SMTP: {exc or type(exc).__name__}", maybe_sent=sending) from None
        if refused:
            raise SendError(f"SMTP refused {out.to}: {refused}", permanent=True)
        return str(mail["Message-ID"]).strip("<>")

    def lookup(self, out: Outgoing) -> str | None:
        raise LookupUnsupported("an SMTP server cannot be asked about a sent mail")

    def close(self) -> None:
        pass
