"""Messaging rules that need no database: template names and texts, rendering, channels,
the contact window (best time, quiet hours), backoff.

Pure; safe from any thread.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from shopdesk.errors import FieldError, ValidationError

# Channels a message can be sent on, and what staff log by hand.
SEND_CHANNELS = ("whatsapp", "sms", "email")
LOG_CHANNELS = ("call", "visit")
CALL_OUTCOMES = ("answered", "no_answer", "voicemail", "busy", "wrong_number", "visited")


@dataclass(frozen=True)
class Template:
    """A built-in automated message: its purpose, default delay and texts per language."""

    name: str
    purpose: str  # service | marketing
    delay_minutes: int
    subject: dict[str, str]
    body: dict[str, str]
    help: str


TEMPLATES: dict[str, Template] = {t.name: t for t in [
    Template("welcome", "service", 0,
             {"en": "Welcome to {shop_name}", "fr": "Bienvenue chez {shop_name}"},
             {"en": "Hello {first_name}, welcome to {shop_name}! Your customer code is "
                    "{customer_code}. We will keep you posted about your repairs here.",
              "fr": "Bonjour {first_name}, bienvenue chez {shop_name} ! Votre code client "
                    "est {customer_code}."},
             "sent when a customer is registered"),
    Template("ticket_received", "service", 0,
             {"en": "{shop_name}: repair {ticket_number} received",
              "fr": "{shop_name} : réparation {ticket_number} reçue"},
             {"en": "Hello {first_name}, we have received your device. Your repair number "
                    "is {ticket_number}.",
              "fr": "Bonjour {first_name}, nous avons bien reçu votre appareil. Votre numéro "
                    "de réparation est {ticket_number}."},
             "sent when a repair ticket is opened"),
    Template("estimate_approval", "service", 0,
             {"en": "{shop_name}: estimate for {ticket_number}",
              "fr": "{shop_name} : devis pour {ticket_number}"},
             {"en": "Hello {first_name}, the estimate for repair {ticket_number} is "
                    "{estimate}. Please reply YES to approve or call us on {shop_phone}.",
              "fr": "Bonjour {first_name}, le devis de la réparation {ticket_number} est de "
                    "{estimate}. Répondez OUI pour l'accepter."},
             "sent when a ticket awaits the customer's approval"),
    Template("ready_for_pickup", "service", 0,
             {"en": "{shop_name}: {ticket_number} is ready",
              "fr": "{shop_name} : {ticket_number} est prêt"},
             {"en": "Hello {first_name}, your repair {ticket_number} is ready for pickup at "
                    "{shop_name}.",
              "fr": "Bonjour {first_name}, votre réparation {ticket_number} est prête à être "
                    "retirée chez {shop_name}."},
             "sent when a ticket is ready"),
    Template("uncollected_reminder", "service", 7 * 24 * 60,
             {"en": "{shop_name}: {ticket_number} is waiting for you",
              "fr": "{shop_name} : {ticket_number} vous attend"},
             {"en": "Hello {first_name}, your repair {ticket_number} is still waiting for "
                    "you at {shop_name}.",
              "fr": "Bonjour {first_name}, votre réparation {ticket_number} vous attend "
                    "toujours chez {shop_name}."},
             "sent when a ready ticket has not been collected after the delay"),
    Template("appointment_reminder", "service", 0,
             {"en": "{shop_name}: your appointment tomorrow",
              "fr": "{shop_name} : votre rendez-vous demain"},
             {"en": "Hello {first_name}, a reminder of your appointment at {shop_name} on "
                    "{appointment_time} ({appointment_reason}).",
              "fr": "Bonjour {first_name}, rappel de votre rendez-vous chez {shop_name} le "
                    "{appointment_time} ({appointment_reason})."},
             "sent the day before an appointment"),
    Template("payment_due", "service", 0,
             {"en": "{shop_name}: payment due for {ticket_number}",
              "fr": "{shop_name} : paiement dû pour {ticket_number}"},
             {"en": "Hello {first_name}, {amount_due} is due for repair {ticket_number}.",
              "fr": "Bonjour {first_name}, {amount_due} reste dû pour la réparation "
                    "{ticket_number}."},
             "sent when a payment is due"),
    Template("satisfaction_survey", "marketing", 24 * 60,
             {"en": "{shop_name}: how did we do?", "fr": "{shop_name} : votre avis"},
             {"en": "Hello {first_name}, thank you for choosing {shop_name}. How did we do "
                    "with {ticket_number}? Reply with a score from 1 to 5. {survey_url}",
              "fr": "Bonjour {first_name}, merci d'avoir choisi {shop_name}. Notez-nous de "
                    "1 à 5 en réponse. {survey_url}"},
             "sent the delay after pickup; a survey counts as marketing"),
    # Loyalty (issue 17): told before points expire, and when the tier moves.
    Template("points_expiring", "service", 0,
             {"en": "{shop_name}: your points expire soon",
              "fr": "{shop_name} : vos points expirent bientôt"},
             {"en": "Hello {first_name}, {points} loyalty points expire on {expiry_date}. "
                    "Use them on your next visit to {shop_name}.",
              "fr": "Bonjour {first_name}, {points} points de fidélité expirent le "
                    "{expiry_date}. Utilisez-les lors de votre prochaine visite."},
             "sent before loyalty points expire (loyalty.expiry_notice_days)"),
    Template("tier_changed", "service", 0,
             {"en": "{shop_name}: you are now {tier}",
              "fr": "{shop_name} : vous êtes maintenant {tier}"},
             {"en": "Hello {first_name}, your loyalty tier at {shop_name} is now {tier}.",
              "fr": "Bonjour {first_name}, votre niveau de fidélité chez {shop_name} est "
                    "maintenant {tier}."},
             "sent when a customer's loyalty tier moves up or down"),
]}
TEMPLATE_NAMES = tuple(TEMPLATES)
PLACEHOLDERS = ("first_name", "last_name", "customer_code", "shop_name", "shop_phone",
                "ticket_number", "estimate", "amount_due", "appointment_time",
                "appointment_reason", "survey_url", "code", "link", "points", "expiry_date",
                "tier")


def template(name: str, field: str = "template") -> Template:
    found = TEMPLATES.get(name.strip().lower())
    if found is None:
        raise ValidationError(FieldError(field, "choice", f"'{name}' is not a template; one "
                                         f"of: {', '.join(TEMPLATE_NAMES)}"))
    return found


def check_text(text: str, field: str, limit: int = 4000) -> str:
    """A template text: within `limit` and naming only known placeholders."""
    text = text.strip()
    if not text and field.endswith("body"):
        raise ValidationError(FieldError(field, "required", "must not be empty"))
    if len(text) > limit:
        raise ValidationError(FieldError(field, "max_length", f"must be at most {limit} "
                                         "characters"))
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise ValidationError(FieldError(field, "template_syntax", f"{exc}; write a brace "
                                         "as {{ or }}")) from None
    unknown = sorted(n for n in names if n not in PLACEHOLDERS)
    if unknown:
        raise ValidationError(FieldError(field, "placeholder", f"unknown placeholder "
                                         f"{{{unknown[0]}}}; known: "
                                         + ", ".join(PLACEHOLDERS)))
    return text


def survey_score(reply: str) -> int | None:
    """The 1-5 score a reply to the satisfaction survey starts with ("4", "2 too slow"),
    else None ("10", "yes")."""
    text = " ".join(reply.split())
    if text[:1] and text[:1] in "12345" and (len(text) == 1 or not text[1].isdigit()):
        return int(text[0])
    return None


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render(text: str, values: dict[str, str]) -> str:
    """`text` with its placeholders filled (a missing value renders empty)."""
    out = string.Formatter().vformat(text, (), _Blank(values))
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def values_from(text: str, rendered: str) -> dict[str, str] | None:
    """The placeholder values that `render(text, values)` filled in to give `rendered`
    (None when `rendered` was not made from `text`, e.g. the text was edited since).

    WhatsApp sends an approved template with its values as parameters, not the text: the
    values a message was queued with (an appointment's time, the points about to expire)
    are read back from the text it was queued with rather than recomputed and lost."""
    pattern, seen = [], set()
    for literal, field, _spec, _conv in string.Formatter().parse(text):
        for part in re.split(r"([ \t]+)", literal):
            # render() collapses blank runs (an empty value leaves two spaces).
            pattern.append("[ \t]*" if part.strip(" \t") == "" and part else re.escape(part))
        if field:
            name = re.sub(r"\W", "_", field)
            pattern.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
            seen.add(name)
    try:
        found = re.fullmatch("".join(pattern), rendered.strip(), re.S)
    except re.error:
        return None
    return {k: v.strip() for k, v in found.groupdict().items()} if found else None


def html_of(subject: str, body: str, shop_name: str) -> str:
    """The HTML part of an e-mail: the plain text, escaped, in paragraphs."""
    from html import escape

    paras = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>"
                    for p in body.split("\n\n") if p.strip())
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{escape(subject)}"
            f"</title></head><body style=\"font-family:sans-serif\">{paras}"
            f"<p style=\"color:#666\">{escape(shop_name)}</p></body></html>")


# -- when a message may go out ------------------------------------------------------------
BEST_TIMES: dict[str, tuple[time, time]] = {
    "any": (time(0, 0), time(23, 59, 59)),
    "morning": (time(8, 0), time(12, 0)),
    "afternoon": (time(12, 0), time(17, 0)),
    "evening": (time(17, 0), time(21, 0)),
}


def parse_hhmm(value: str) -> time:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"'{value}' is not a time of day (HH:MM)")
    return time(int(m.group(1)), int(m.group(2)))


def _in_quiet(t: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end  # across midnight (21:00-08:00)


def next_allowed(at: datetime, zone: tzinfo, best_time: str, quiet: tuple[time, time] | None,
                 ) -> datetime:
    """The first instant at or after `at` inside the customer's best time and outside the
    shop's quiet hours (both in the shop's time zone); `at` itself when it already is."""
    lo, hi = BEST_TIMES.get(best_time, BEST_TIMES["any"])
    local = at.astimezone(zone)
    for _ in range(3 * 24 * 4):  # quarter hours over three days: always finds one
        t = local.timetz().replace(tzinfo=None)
        ok = lo <= t <= hi and not (quiet and _in_quiet(t, *quiet))
        if ok:
            return local.astimezone(at.tzinfo)
        step = local + timedelta(minutes=15)
        local = step.replace(minute=(step.minute // 15) * 15, second=0, microsecond=0)
    return at


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Wait before attempt `attempts + 1`: the provider's Retry-After when it gave one,
    else 30 s doubling to at most an hour."""
    if retry_after is not None:
        return timedelta(seconds=max(1.0, min(retry_after, 6 * 3600)))
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))
