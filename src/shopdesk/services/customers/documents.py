"""Files attached to customers, stored once under their SHA-256, encrypted (spec 2.2, 2.4)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from uuid import UUID

from sqlalchemy import Connection, select

from shopdesk import paths
from shopdesk.changes import Changes
from shopdesk.db import dbkey
from shopdesk.domain.choices import DocumentKind
from shopdesk.domain.permissions import Permission
from shopdesk.domain.privacy.consent import Purpose
from shopdesk.domain.text import control_errors
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.models import Customer, CustomerDocument, LocalMeta
from shopdesk.services.audit import AuditTrail
from shopdesk.services.consent import register as consents
from shopdesk.services.consent.consent import allows_in
from shopdesk.services.customers.customer_views import DocumentInfo, document_of
from shopdesk.services.customers.document_files import DocumentFiles
from shopdesk.services.store import Store

MAX_BYTES = 25 * 1024 * 1024


class DocumentService:
    """Attach, list, read and open customer documents. Any thread.

    The file is stored encrypted as ``<data dir>/documents/<h[:2]>/<hash>``
    (`document_files`) before the row is written; the same content attached twice
    is stored once.
    """

    def __init__(self, store: Store, audit: AuditTrail) -> None:
        self._store = store
        self._audit = audit
        key = store.db_key or dbkey.existing(paths.database_path(store.root))
        self.files = DocumentFiles(store.root, key.derive("documents"))

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
        errors += control_errors(title, "title")
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
                path = self.files.blob(digest)
                if used is None and path.is_file():
                    path.unlink()
                    gone += 1
                    if not any(path.parent.iterdir()):
                        path.parent.rmdir()
        return gone

    def _row(self, document_id: UUID) -> tuple[str, str]:
        self._store.require(Permission.VIEW_CUSTOMERS)
        with self._store.read() as session:
            row = session.get(CustomerDocument, document_id)
            found = (row.content_hash, row.filename) if row is not None else None
        if found is None:
            raise NotFound(f"no document with id {document_id}")
        return found

    def read(self, document_id: UUID) -> bytes:
        """The document's content, decrypted and checked against its hash."""
        digest, _name = self._row(document_id)
        return self.files.read(digest)

    def stored_path(self, document_id: UUID) -> Path:
        """Where the encrypted file is (for tools and tests; it is not readable as is)."""
        digest, _name = self._row(document_id)
        return self.files.blob(digest)

    def path_of(self, document_id: UUID) -> Path:
        """A plain copy to hand to the OS viewer, under ``<data dir>/open/`` (checked
        against its hash first; removed at the next start and when the shop closes)."""
        digest, name = self._row(document_id)
        return self.files.viewing_copy(digest, document_id.hex, name)

    def encrypt_existing(self) -> int:
        """Encrypt the document files stored before encryption (once per data
        directory; later starts only read a marker). Returns how many were done."""
        with self._store.read() as session:
            if session.get(LocalMeta, "documents.encrypted") is not None:
                return 0
        done = self.files.encrypt_existing()
        with self._store.write() as session:
            if session.get(LocalMeta, "documents.encrypted") is None:
                session.add(LocalMeta(key="documents.encrypted", value="1"))
        return done

    def list(self, customer_id: UUID) -> list[DocumentInfo]:
        with self._store.read() as session:
            return [document_of(d, None) for d in session.scalars(
                select(CustomerDocument).where(CustomerDocument.customer_id == customer_id)
                .order_by(CustomerDocument.added_at.desc()))]

    def _store_file(self, source: Path) -> tuple[str, int]:
        data = source.read_bytes()  # at most MAX_BYTES, checked by the caller
        return self.files.put(data), len(data)
