"""Reading and writing SQLCipher 4 pages directly, for backups and restores.

A backup stores the database as its plain page image (compressed, then encrypted
with the backup key), and a restore writes that image back as a SQLCipher file
under the target's key. SQLite offers no way out of an encrypted database other
than as another SQLCipher file, so these two functions do what SQLCipher does to
each page, with the format pinned by `cipher.connect` (``cipher_compatibility = 4``
with a raw key: 4096-byte pages, 80 reserved bytes holding a 16-byte IV and an
HMAC-SHA512 over the encrypted bytes, the IV and the page number; the HMAC key is
PBKDF2-HMAC-SHA512(key, salt XOR 0x3a, 2 rounds); page 1 keeps the salt in clear
where the plain file has "SQLite format 3").

Nothing here is trusted blindly: reading checks every page's HMAC (a wrong key or
a damaged file stops at the first bad page), and every file written here is then
opened by SQLCipher itself and checked with `integrity_check` before it is used.
Any thread.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from shopdesk.db.cipher import HEADER, DbKey
from shopdesk.errors import ShopdeskError

PAGE_SIZE = 4096
RESERVE = 80  # IV (16) + HMAC-SHA512 (64), as SQLCipher 4 reserves on every page
IV_BYTES = 16
_BODY = PAGE_SIZE - RESERVE


class PageError(ShopdeskError):
    """A page failed its check: wrong key, or the file is damaged."""


def _hmac_key(key: DbKey) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", key.key, bytes(b ^ 0x3A for b in key.salt), 2, 32)


def _mac(mac_key: bytes, data: bytes, iv: bytes, pgno: int) -> bytes:
    return hmac.new(mac_key, data + iv + pgno.to_bytes(4, "little"), hashlib.sha512).digest()


def page_count(path: Path) -> int:
    size = path.stat().st_size
    if size % PAGE_SIZE:
        raise PageError(f"{path} is not a whole number of {PAGE_SIZE}-byte pages")
    return size // PAGE_SIZE


# SQLite's lock-byte page: the page holding byte offset 1 GiB is never written (it is
# the range file locks use), so in a database over 1 GiB it is zeros, with no MAC.
PENDING_BYTE_PAGE = (1 << 30) // PAGE_SIZE + 1


def plain_pages(path: Path, key: DbKey) -> Iterator[bytes]:
    """The plain pages of the closed SQLCipher file `path` (no -wal beside it), in
    order. Page 1 reads as a plain SQLite header, marked rollback-journal (not WAL),
    so the image opens anywhere read-only; the first open by the app sets WAL again."""
    mac_key = _hmac_key(key)
    aes = algorithms.AES(key.key)
    with open(path, "rb") as handle:
        pgno = 0
        while True:
            page = handle.read(PAGE_SIZE)
            if not page:
                return
            pgno += 1
            if len(page) != PAGE_SIZE:
                raise PageError(f"{path}: page {pgno} is cut short")
            if pgno == PENDING_BYTE_PAGE:
                yield bytes(PAGE_SIZE)  # unused by SQLite: zeros, as in any file
                continue
            start = len(key.salt) if pgno == 1 else 0
            body, iv, mac = page[start:_BODY], page[_BODY:_BODY + IV_BYTES], page[_BODY + IV_BYTES:]
            if not hmac.compare_digest(_mac(mac_key, body, iv, pgno), mac):
                raise PageError(f"{path}: page {pgno} does not match its key (wrong key, or "
                                "the file is damaged)")
            plain = Cipher(aes, modes.CBC(iv)).decryptor().update(body)
            if pgno == 1:
                if page[:len(key.salt)] != key.salt:
                    raise PageError(f"{path} was not written with this key's salt")
                first = bytearray(HEADER + plain + bytes(RESERVE))
                first[18] = first[19] = 1  # file format: rollback journal, not WAL
                yield bytes(first)
            else:
                yield plain + bytes(RESERVE)


def check_image_header(page1: bytes) -> None:
    """A plain page 1 this module can encrypt: SQLite, 4096-byte pages, 80 reserved."""
    if page1[:len(HEADER)] != HEADER:
        raise PageError("the backup's database does not start with a SQLite header")
    size = int.from_bytes(page1[16:18], "big")
    if size != PAGE_SIZE or page1[20] != RESERVE:
        raise PageError(f"the backup's database has {size}-byte pages with {page1[20]} "
                        f"reserved bytes; this shopdesk writes {PAGE_SIZE} with {RESERVE}")


def encrypted_pages(pages: Iterable[bytes], key: DbKey) -> Iterator[bytes]:
    """`pages` (plain, in order from page 1) as SQLCipher writes them under `key`."""
    mac_key = _hmac_key(key)
    aes = algorithms.AES(key.key)
    for pgno, plain in enumerate(pages, start=1):
        if len(plain) != PAGE_SIZE:
            raise PageError(f"page {pgno} is {len(plain)} bytes, not {PAGE_SIZE}")
        if pgno == 1:
            check_image_header(plain)
        if pgno == PENDING_BYTE_PAGE:
            yield bytes(PAGE_SIZE)  # SQLite never reads or writes it
            continue
        start = len(key.salt) if pgno == 1 else 0
        iv = os.urandom(IV_BYTES)
        body = Cipher(aes, modes.CBC(iv)).encryptor().update(plain[start:_BODY])
        head = key.salt if pgno == 1 else b""
        yield head + body + iv + _mac(mac_key, body, iv, pgno)


def write_encrypted(path: Path, pages: Iterable[bytes], key: DbKey) -> int:
    """Write `pages` to a new SQLCipher file at `path` under `key`; returns the page
    count. The file is flushed to disk; the caller checks it with SQLCipher."""
    count = 0
    with open(path, "xb") as out:
        for page in encrypted_pages(pages, key):
            out.write(page)
            count += 1
        out.flush()
        os.fsync(out.fileno())
    return count
