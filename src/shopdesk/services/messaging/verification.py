"""Verifying a customer's phone and e-mail (spec 1.3).

Phone: a 6-digit code sent by SMS or WhatsApp, stored only as an HMAC keyed with
this data directory's own key (`LocalKey`), so a copy of the database (or the
central server) cannot brute-force the million codes; valid 10 minutes, 5
attempts, typed at the counter (`confirm`) or replied by the customer (the sender
checks replies after each run). E-mail: the same code, plus a one-time link to the
`shopdesk-webhooks` Edge Function, whose click arrives back as an inbound row the
issuing counter recognises by the link's hash. The verified badge (the customer's
`*_verified_at`/`_by`) records when; the code row records how. A changed number
no longer matches the code's address, and the customer service already clears
the badge on change.

Thread rule: any thread; each method is one `Store.write()` transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission, Role
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.models import Customer, Message, VerificationCode
from shopdesk.services.audit import AuditTrail
from shopdesk.services.keys import LocalKey
from shopdesk.services.messaging.outbox import Composer, config_in
from shopdesk.services.store import Actor, Store

VALID_FOR = timedelta(minutes=10)
MAX_ATTEMPTS = 5
REPLY_ACTOR = Actor(None, "customer reply (messaging)", Role.OWNER)


@dataclass(frozen=True)
class VerificationStarted:
    id: UUID
    item: str
    channel: str
    address: str
    expires_at: datetime


def link_hash(token: str) -> str:
    """What the Edge Function and the counter compare for an e-mail link (SHA-256 hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


class VerificationService:
    """Codes and links; see the module docstring."""

    def __init__(self, store: Store, audit: AuditTrail, composer: Composer) -> None:
        self._store = store
        self._audit = audit
        self._composer = composer
        self._key = LocalKey(store.root, "verification")

    def _hash(self, code_id: UUID, code: str) -> str:
        key = self._key.get() or b""
        return hmac.new(key, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()

    def start(self, customer_id: UUID, item: str = "phone",
              channel: str | None = None) -> VerificationStarted:
        """Send a new code (earlier open codes for the same item are cancelled)."""
        actor = self._store.require(Permission.VERIFY_CUSTOMERS)
        if item not in ("phone", "email"):
            raise ValidationError(FieldError("item", "choice", "is phone or email"))
        channel = channel or ("email" if item == "email" else "sms")
        if item == "phone" and channel not in ("sms", "whatsapp"):
            raise ValidationError(FieldError("channel", "choice",
                                             "a phone is verified by sms or whatsapp"))
        if item == "email" and channel != "email":
            raise ValidationError(FieldError("channel", "choice", "an e-mail is verified by email"))
        now = self._store.clock()
        code = f"{secrets.randbelow(10**6):06d}"
        with self._store.write() as session:
            customer = self._customer(session, customer_id)
            address = customer.email if item == "email" else (
                (customer.whatsapp or customer.phone) if channel == "whatsapp" else customer.phone)
            if not address:
                raise ValidationError(FieldError(item, "required",
                                                 f"customer {customer.code} has no {item}"))
            for old in session.scalars(select(VerificationCode).where(
                    VerificationCode.customer_id == customer_id, VerificationCode.item == item,
                    VerificationCode.status == "open")):
                old.status = "cancelled"
            code_id = uuid.uuid4()
            cfg = config_in(session)
            token = secrets.token_urlsafe(24) if item == "email" else None
            link = (f"{cfg.get('public_url')}/confirm?t={token}"
                    if token and cfg.get("public_url") else "")
            session.add(VerificationCode(
                id=code_id, customer_id=customer_id, item=item, address=address,
                code_hash=self._hash(code_id, code), link_hash=link_hash(token) if token else None,
                channel=channel, node=self._store.node_tag, expires_at=now + VALID_FOR,
                attempts=0, status="open", created_at=now))
            body = (f"{cfg.shop_name}: your verification code is {code}. It is valid for 10 "
                    "minutes.")
            if link:
                body += f"\n\nOr confirm your address with this link: {link}"
            self._composer.enqueue_text(session, actor, customer, channel=channel,
                                        purpose="verification", address=address,
                                        subject=f"{cfg.shop_name}: verification code",
                                        body=body, now=now)
            self._audit.append(session, actor, "verification_sent", "customer", customer_id,
                               {"item": item, "channel": channel})
        self._store.publish(Changes(messages=frozenset({customer_id})))
        return VerificationStarted(code_id, item, channel, address, now + VALID_FOR)

    def confirm(self, customer_id: UUID, item: str, code: str) -> bool:
        """The code typed at the counter: True when it verified; False when wrong (an
        attempt used). Raises ValidationError when expired, locked or none was sent."""
        actor = self._store.require(Permission.VERIFY_CUSTOMERS)
        code = code.strip().replace(" ", "")
        with self._store.write() as session:
            row = session.scalar(select(VerificationCode).where(
                VerificationCode.customer_id == customer_id, VerificationCode.item == item,
                VerificationCode.node == self._store.node_tag)
                .order_by(VerificationCode.created_at.desc()).limit(1))
            if row is None or row.status == "cancelled":
                raise ValidationError(FieldError("code", "no_code",
                                                 f"no {item} verification code was sent"))
            problem = self._usable(session, row)
            if problem:
                raise ValidationError(FieldError("code", row.status, problem))
            ok = self._try(session, row, code, actor, "code at the counter")
        self._store.publish(Changes(customers=frozenset({customer_id})))
        return ok

    def check_replies(self, session: Session) -> int:
        """Codes replied by SMS/WhatsApp and e-mail links clicked (run by the sender)."""
        verified = 0
        for row in list(session.scalars(select(VerificationCode).where(
                VerificationCode.status == "open",
                VerificationCode.node == self._store.node_tag))):
            if self._usable(session, row):
                continue
            inbound = session.scalars(select(Message).where(
                Message.customer_id == row.customer_id, Message.direction == "in",
                Message.created_at >= row.created_at).order_by(Message.created_at))
            for reply in inbound:
                if row.link_hash and reply.provider_id == f"link:{row.link_hash}":
                    self._verify(session, row, REPLY_ACTOR, "e-mail link")
                    verified += 1
                    break
                digits = "".join(ch for ch in reply.body if ch.isdigit())
                if row.item == "phone" and reply.channel in ("sms", "whatsapp") \
                        and len(digits) == 6:
                    if self._try(session, row, digits, REPLY_ACTOR, f"{reply.channel} reply"):
                        verified += 1
                        break
                    if row.status != "open":
                        break
        return verified

    # -- helpers ---------------------------------------------------------------------------
    def _usable(self, session: Session, row: VerificationCode) -> str | None:
        now = self._store.clock()
        if row.status == "verified":
            return "this code was already used"
        if row.status == "locked" or row.attempts >= MAX_ATTEMPTS:
            row.status = "locked"
            return f"too many wrong codes ({MAX_ATTEMPTS}); send a new one"
        if now > row.expires_at:
            row.status = "expired"
            return "the code has expired (valid 10 minutes); send a new one"
        customer = session.get(Customer, row.customer_id)
        current = None
        if customer is not None:
            current = customer.email if row.item == "email" else customer.phone
            if row.item == "phone" and row.channel == "whatsapp":
                current = customer.whatsapp or customer.phone
        if current != row.address:
            row.status = "cancelled"
            return f"the {row.item} changed since the code was sent; send a new one"
        return None

    def _try(self, session: Session, row: VerificationCode, code: str, actor: Actor,
             how: str) -> bool:
        if hmac.compare_digest(self._hash(row.id, code), row.code_hash):
            self._verify(session, row, actor, how)
            return True
        row.attempts += 1
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "locked"
        return False

    def _verify(self, session: Session, row: VerificationCode, actor: Actor, how: str) -> None:
        now = self._store.clock()
        row.status, row.verified_how, row.verified_at = "verified", how[:16], now
        customer = session.get(Customer, row.customer_id)
        if customer is None:
            return
        setattr(customer, f"{row.item}_verified_at", now)
        setattr(customer, f"{row.item}_verified_by", actor.staff_id)
        customer.updated_at = now
        self._audit.append(session, actor, "verify", "customer", customer.id,
                           {"item": row.item, "how": how, "channel": row.channel})

    @staticmethod
    def _customer(session: Session, customer_id: UUID) -> Customer:
        row = session.get(Customer, customer_id)
        if row is None:
            raise NotFound(f"no customer with id {customer_id}")
        return row
