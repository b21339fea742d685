"""Sealing the personal values of audit entries with a key per customer (spec 13.1).

The audit trail keeps old and new values, so it holds personal data, yet it is
append-only and hash-chained. An entry about a customer therefore keeps its
personal values (per `models.personal`) only as AES-GCM ciphertext under that
customer's own key; the chain's hash covers the ciphertext. Erasing the customer
deletes the key: the values can never be read again, and `audit verify` still
passes because not one stored byte of the trail changed.

Keys live in `audit_keys`, each wrapped (AES-GCM) with this data directory's
subject key, which is kept outside the database (`services.keys.LocalKey`: the OS
keyring or a private key file). They are not synced: the trail stays on its
counter, so its keys do too, and a server breach reveals none; each counter
deletes its own key when the erasure reaches it.

Thread rule: any thread; keys are created and read inside the caller's session.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from shopdesk.models import AuditKey, LocalMeta
from shopdesk.models.base import table_of, utcnow
from shopdesk.models.personal import AUDIT_SUBJECTS, SEALED_DETAIL_KEYS, is_personal
from shopdesk.services.keys import LocalKey

SEALED = "(sealed)"
ERASED = "(erased)"
_FIELD_TABLES = {"customer": ("customers", "customer_preferences"), "device": ("devices",),
                 "repair_ticket": ("repair_tickets",), "support_ticket": ("support_tickets",),
                 "service": ("customer_services",)}
_CACHE = 4096


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data.encode("ascii"))


def split(entity: str, detail: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what stays readable, what is sealed) of an entry's detail."""
    clear = dict(detail)
    secret: dict[str, Any] = {}
    for key in SEALED_DETAIL_KEYS & detail.keys():
        if detail[key] not in (None, ""):
            secret[key] = clear.pop(key)
            clear[key] = SEALED
    fields = detail.get("fields")
    if isinstance(fields, dict):
        tables = _FIELD_TABLES.get(entity, ())
        hidden = {k: v for k, v in fields.items() if any(is_personal(t, k) for t in tables)}
        if hidden:
            secret["fields"] = hidden
            clear["fields"] = {k: (SEALED if k in hidden else v) for k, v in fields.items()}
    return clear, secret


def _join(clear: dict[str, Any], secret: dict[str, Any] | None) -> dict[str, Any]:
    detail = {k: v for k, v in clear.items() if k not in ("sealed", "subject")}
    if secret is None:
        detail["erased"] = True
        for key, value in clear.items():
            if value == SEALED:
                detail[key] = ERASED
        fields = clear.get("fields")
        if isinstance(fields, dict):
            detail["fields"] = {k: ([ERASED, ERASED] if v == SEALED else v)
                                for k, v in fields.items()}
        return detail
    for key, value in secret.items():
        if key == "fields" and isinstance(detail.get("fields"), dict):
            detail["fields"] = {**detail["fields"], **value}
        else:
            detail[key] = value
    return detail


class SubjectKeys:
    """Creates, finds and destroys the per-customer keys; seals and opens details."""

    def __init__(self, root: Any) -> None:
        self._root = root
        self._master: AESGCM | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, bytes] = OrderedDict()

    # -- the wrapping key ------------------------------------------------------------
    def _wrapper(self, session: Session, create: bool) -> AESGCM | None:
        if self._master is not None:
            return self._master
        key_id = session.scalar(select(LocalMeta.value).where(
            LocalMeta.key == "audit.subject_key_id"))
        if key_id is None:
            if not create:
                return None
            key_id = uuid.uuid4().hex
            session.add(LocalMeta(key="audit.subject_key_id", value=key_id))
            session.flush()
        raw = LocalKey(self._root, "audit-subjects", keyring_name=f"audit-subjects-{key_id}",
                       create=create).get()
        if raw is None:
            return None
        self._master = AESGCM(_unb64(raw.decode("ascii")))
        return self._master

    # -- subjects ------------------------------------------------------------------
    @staticmethod
    def subject_of(session: Session, entity: str, entity_id: str,
                   detail: dict[str, Any]) -> str | None:
        """The customer (32 hex digits) an entry is about, or None."""
        if entity == "customer":
            return _hex(entity_id)
        if isinstance(detail.get("customer_id"), str) and entity != "customers":
            return _hex(detail["customer_id"])
        table = AUDIT_SUBJECTS.get(entity)
        if table is None:
            return None
        found = session.execute(text(f"SELECT customer_id FROM {table} WHERE id = :i"),
                                {"i": _hex(entity_id)}).scalar()
        return str(found) if found else None

    # -- keys ------------------------------------------------------------------------
    def keys(self, session: Session, subjects: Iterable[str],
             create: bool) -> dict[str, bytes | None]:
        """Each subject's key: made (when `create`) for a customer who has none yet,
        None for one who was erased (or, without `create`, has none)."""
        wanted = set(subjects)
        found: dict[str, bytes | None] = {}
        with self._lock:
            for s in list(wanted):
                if s in self._cache:
                    found[s] = self._cache[s]
                    self._cache.move_to_end(s)
                    wanted.discard(s)
        if not wanted:
            return found
        master = self._wrapper(session, create)
        if master is None:
            return {**found, **dict.fromkeys(wanted)}
        ids = sorted(wanted)
        stored: dict[str, str] = {}
        erased: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ", ".join(f":k{n}" for n in range(len(chunk)))
            values = {f"k{n}": v for n, v in enumerate(chunk)}
            stored.update((str(r[0]), r[1]) for r in session.execute(text(
                f"SELECT customer_id, wrapped FROM audit_keys WHERE customer_id IN ({marks})"),
                values))
            if create:
                erased.update(str(r[0]) for r in session.execute(text(
                    "SELECT customer_id FROM customer_erasures "
                    f"WHERE customer_id IN ({marks})"), values))
        new_rows = []
        for subject in ids:
            if subject in stored:
                blob = _unb64(stored[subject])
                try:
                    found[subject] = master.decrypt(blob[:12], blob[12:], subject.encode())
                except InvalidTag:
                    found[subject] = None  # wrapped with another directory's key
            elif create and subject not in erased:
                key, nonce = AESGCM.generate_key(256), os.urandom(12)
                wrapped = _b64(nonce + master.encrypt(nonce, key, subject.encode()))
                new_rows.append({"customer_id": uuid.UUID(hex=subject), "wrapped": wrapped,
                                 "created_at": utcnow().isoformat(timespec="seconds")})
                found[subject] = key
            else:
                found[subject] = None
        if new_rows:
            session.connection().execute(insert(table_of(AuditKey)), new_rows)
        with self._lock:
            for subject in ids:
                value = found[subject]
                if value is not None:
                    self._cache[subject] = value
            while len(self._cache) > _CACHE:
                self._cache.popitem(last=False)
        return found

    def destroy(self, session: Session, subjects: Iterable[str]) -> int:
        """Delete the keys of erased customers: their sealed values are gone for good."""
        ids = sorted(set(subjects))
        with self._lock:
            for s in ids:
                self._cache.pop(s, None)
        gone = 0
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ", ".join(f":k{n}" for n in range(len(chunk)))
            result = session.connection().execute(
                text(f"DELETE FROM audit_keys WHERE customer_id IN ({marks})"),
                {f"k{n}": v for n, v in enumerate(chunk)})
            gone += result.rowcount or 0
        return gone

    def forget_cached(self, subjects: Iterable[str]) -> None:
        with self._lock:
            for s in subjects:
                self._cache.pop(s, None)

    # -- sealing ---------------------------------------------------------------------
    @staticmethod
    def seal(key: bytes | None, subject: str, clear: dict[str, Any],
             secret: dict[str, Any]) -> dict[str, Any]:
        """The detail to store: `clear`, the sealed values, and whose key seals them
        (kept, so a reader finds the key even after the record changed hands)."""
        if key is None:  # an erased customer: nothing personal is written at all
            return _join(clear, None)
        nonce = os.urandom(12)
        payload = json.dumps(secret, sort_keys=True, ensure_ascii=False,
                             default=str).encode("utf-8")
        return {**clear, "subject": subject,
                "sealed": _b64(nonce + AESGCM(key).encrypt(nonce, payload, b"audit"))}

    @staticmethod
    def subject_of_sealed(detail: dict[str, Any]) -> str | None:
        subject = detail.get("subject")
        return subject if isinstance(subject, str) else None

    @staticmethod
    def open(key: bytes | None, detail: dict[str, Any]) -> dict[str, Any]:
        token = detail.get("sealed")
        if not isinstance(token, str):
            return detail
        if key is None:
            return _join(detail, None)
        blob = _unb64(token)
        try:
            secret = json.loads(AESGCM(key).decrypt(blob[:12], blob[12:], b"audit"))
        except (InvalidTag, ValueError):
            return _join(detail, None)
        return _join(detail, secret)


def _hex(value: Any) -> str:
    return str(value).replace("-", "").lower()
