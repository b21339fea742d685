"""Files attached to customers, stored once under their SHA-256 (spec 2.2)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from uuid import UUID

from sqlalchemy import Connection, select

from shopdesk import paths
from shopdesk.changes import Changes
from shopdesk.domain.choices import DocumentKind
from shopdesk.domain.permissions import Permission
from shopdesk.domain.privacy.consent import Purpose
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.models import Customer, CustomerDocument
from shopdesk.services.audit import AuditTrail
from shopdesk.services.consent import register as consents
from shopdesk.services.consent.consent import allows_in
from shopdesk.services.customers.customer_views import DocumentInfo, document_of
from shopdesk.services.store import Store

MAX_BYTES = 25 * 1024 * 1024


class DocumentService:
    """Attach, list and locate customer documents. Any thread.

    The file is copied into ``<data dir>/documents/<h[:2]>/<hash>`` before the
    row is written; the same content attached twice is stored once.
    """

    def __init__(self, store: Store, audit: AuditTrail) -> None:
        self._store = store
        self._audit = audit
        self._root = paths.documents_dir(store.root)

    def attach(self, customer_id: UUID, source: Path | str, kind: str,
               title: str = "") -> tuple[DocumentInfo, Changes]:
        actor = self._store.require(Permission.ATTACH_DOCUMENTS)
        source = Path(source)
        errors = []
        if kind not in [k.value for k in DocumentKind]:
            errors.append(FieldError("kind", "choice", "must be one of: "
                                     + ", ".join(k.value for k in DocumentKind)))
        if not source.is_file():
            errors.append(FieldError("file", "missing", f"'{source}' is not a readable file"))
        elif source.stat().st_size > MAX_BYTES:
            errors.append(FieldError("file", "too_large",
                                     f"is larger than {MAX_BYTES // (1024 * 1024)} MB"))
        elif source.stat().st_size == 0:
            errors.append(FieldError("file", "empty", "is empty"))
        if len(title) > 200:
            errors.append(FieldError("title", "too_long", "must be at most 200 characters"))
        if errors:
            raise ValidationError(errors)
        with self._store.read() as session:  # refused before the file is copied in
            self._check_consent(session.connection(), customer_id, kind)
        digest, size = self._store_file(source)
        with self._store.write() as session:
            if session.get(Customer, customer_id) is None:
                raise NotFound(f"no customer with id {customer_id}")
            # Again in the write: a withdrawal on this counter cannot slip in between.
            self._check_consent(session.connection(), customer_id, kind)
            row = CustomerDocument(
                customer_id=customer_id, kind=kind, title=title.strip() or source.name,
                filename=source.name, content_hash=digest, size=size,
                added_by=actor.staff_id, added_at=self._store.clock())
            session.add(row)
            session.flush()
            self._audit.append(session, actor, "attach", "customer", customer_id,
                               {"document": str(row.id), "kind": kind, "sha256": digest,
                                "filename": source.name})
            info = document_of(row, actor.name)
        return info, Changes(customers=frozenset({customer_id}),
                             documents=frozenset({customer_id}))

    @staticmethod
    def _check_consent(conn: Connection, customer_id: UUID, kind: str) -> None:
        if consents.is_erased(conn, customer_id):
            raise ValidationError(FieldError("customer", "erased", "this customer's personal "
                                             "data was erased; register the person anew"))
        if kind == "id_scan" and not allows_in(conn, customer_id, Purpose.ID_SCAN):
            raise ValidationError(FieldError(
                "kind", "consent", "storing an ID scan needs the customer's consent "
                "(record it under Consents first)"))

    def discard_unused(self, digests: Iterable[str]) -> int:
        """Delete stored files that no document row uses any more (after an erasure
        pseudonymised the rows that did); returns how many files were deleted."""
        gone = 0
        with self._store.read() as session:
            for digest in set(digests):
                if len(digest) != 64 or set(digest) == {"0"}:
                    continue
                used = session.scalar(select(CustomerDocument.id).where(
                    CustomerDocument.content_hash == digest).limit(1))
                path = self._blob(digest)
                if used is None and path.is_file():
                    path.unlink()
                    gone += 1
                    if not any(path.parent.iterdir()):
                        path.parent.rmdir()
        return gone

    def path_of(self, document_id: UUID) -> Path:
        """Where the stored copy is; checked against its hash before it is handed out."""
        self._store.require(Permission.VIEW_CUSTOMERS)
        with self._store.read() as session:
            row = session.get(CustomerDocument, document_id)
            if row is None:
                raise NotFound(f"no document with id {document_id}")
            digest = row.content_hash
        path = self._blob(digest)
        if not path.is_file():
            raise NotFound(f"the stored file of this document is missing ({path})")
        return path

    def list(self, customer_id: UUID) -> list[DocumentInfo]:
        with self._store.read() as session:
            return [document_of(d, None) for d in session.scalars(
                select(CustomerDocument).where(CustomerDocument.customer_id == customer_id)
                .order_by(CustomerDocument.added_at.desc()))]

    def _blob(self, digest: str) -> Path:
        return self._root / digest[:2] / digest

    def _store_file(self, source: Path) -> tuple[str, int]:
        self._root.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        # Copy to a temporary file while hashing, then move into place: a crash
        # never leaves a half-written file under a valid hash name.
        fd, tmp_name = tempfile.mkstemp(dir=self._root, prefix=".incoming-")
        size = 0
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            digest = hasher.hexdigest()
            target = self._blob(digest)
            target.parent.mkdir(exist_ok=True)
            if target.exists():
                os.unlink(tmp_name)
            else:
                shutil.move(tmp_name, target)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise
        return digest, size
