"""Document files at rest: encrypted, named by the SHA-256 of their content.

A file attached to a customer is stored once as ``<data dir>/documents/<h[:2]>/<h>``
where h is the SHA-256 of its plain content, encrypted with AES-256-GCM under a key
derived from the database's key (so whoever cannot open the database cannot read
the documents either, and a copy of the folder reveals nothing). The hash is the
GCM associated data: a file moved under another name does not decrypt. Layout:
``SDDOC1`` magic, a 12-byte nonce, the ciphertext and its tag.

Files written before encryption (plain, their hash matching their name) are
encrypted in place by `encrypt_existing`, once, at the first start after the
upgrade. Opening a document for the OS viewer writes a plain copy under
``<data dir>/open/`` (removed at the next start and at close), the one place a
document is plain on disk. Any thread: every write goes to a temporary file in the
same folder and is renamed into place.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shopdesk import paths, private_files
from shopdesk.errors import ShopdeskError

MAGIC = b"SDDOC1"
NONCE = 12


class DocumentUnreadable(ShopdeskError):
    """A stored document that does not decrypt or does not match its hash."""


def write_atomic(path: Path, data: bytes) -> None:
    """`data` at `path`, all or nothing: a private temporary file renamed into place."""
    private_files.private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class DocumentFiles:
    """The encrypted file store of one data directory (see the module docstring)."""

    def __init__(self, root: Path, key: bytes) -> None:
        self.root = paths.documents_dir(root)
        self.viewing = root / "open"
        self._box = AESGCM(key)

    def blob(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        """Store `data` (if not already there); returns its SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.blob(digest)
        if not target.exists():
            private_files.private_dir(self.root)  # (mkdir's parents ignore the mode)
            write_atomic(target, self._seal(digest, data))
        return digest

    def read(self, digest: str) -> bytes:
        """The plain content of the stored file `digest`, checked against its hash."""
        path = self.blob(digest)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise DocumentUnreadable(f"the stored file of this document is missing "
                                     f"({path})") from None
        if not raw.startswith(MAGIC):
            data = raw  # from before encryption, not converted yet
        else:
            nonce = raw[len(MAGIC):len(MAGIC) + NONCE]
            try:
                data = self._box.decrypt(nonce, raw[len(MAGIC) + NONCE:], digest.encode())
            except InvalidTag:
                raise DocumentUnreadable(f"the stored file {path} does not open with this "
                                         "data directory's key (damaged, or from another "
                                         "shop)") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise DocumentUnreadable(f"the stored file {path} does not match its hash")
        return data

    def viewing_copy(self, digest: str, folder: str, filename: str) -> Path:
        """A plain copy for the OS viewer, under ``open/<folder>/<filename>``."""
        safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", filename).strip(" .") or digest
        target = self.viewing / folder / safe
        private_files.private_dir(self.viewing)  # a plain copy: the user's alone
        write_atomic(target, self.read(digest))
        return target

    def clear_viewing(self) -> None:
        """Remove the plain viewing copies (best effort: a viewer may hold one open)."""
        shutil.rmtree(self.viewing, ignore_errors=True)

    def encrypt_existing(self) -> int:
        """Encrypt the plain files stored before encryption; returns how many."""
        done = 0
        if not self.root.is_dir():
            return 0
        for path in self.root.glob("??/*"):
            if path.name.startswith(".") or not path.is_file():
                continue
            with open(path, "rb") as handle:
                if handle.read(len(MAGIC)) == MAGIC:
                    continue
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != path.name:
                continue  # not one of ours: left alone
            write_atomic(path, self._seal(path.name, data))
            done += 1
        return done

    def _seal(self, digest: str, data: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        return MAGIC + nonce + self._box.encrypt(nonce, data, digest.encode())
