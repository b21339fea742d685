"""The backup file: compressed, encrypted, readable block by block.

A backup is one file, ``*.sdbackup``::

    b"SDBACKUP" | u16 format | u32 n | header (n bytes of JSON, in clear)
    block*      each: u32 n | 12-byte nonce | AES-256-GCM(zlib(up to 256 KiB))
    index       one more such block: JSON naming every member and its blocks
    u64 index offset | u32 index length | b"SDBKEND1"

The clear header holds nothing personal: format, when, why, the counter's tag,
the schema revision, the salt of this file and a check value of the backup key
(so a wrong recovery key is told at once). Every block is sealed with a key
derived from the shop's backup key and this file's salt, its associated data
naming the file's salt and the block's number: a block cannot be moved, swapped
or altered without the read failing. A member (the database's page image, each
document, each key) starts on a block of its own and is cut at fixed 256 KiB
boundaries, so any part of it can be read without the rest (`vfs` reads the
database that way); its SHA-256 is in the index. A file without its end marker
(a backup cut short) is refused as incomplete.

Writer and reader belong to one thread each.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shopdesk.errors import ShopdeskError

MAGIC, END = b"SDBACKUP", b"SDBKEND1"
FORMAT = 1
BLOCK = 256 * 1024
SUFFIX = ".sdbackup"
_LEVEL = 1  # zlib: 3x smaller than the database; level 6 gained 10% for twice the time
_INDEX_BLOCK = 2 ** 63 - 1
_FOOTER = struct.Struct("<QI8s")


class BackupError(ShopdeskError):
    """A backup that cannot be read: incomplete, damaged, or the wrong key."""


def key_check(backup_key: bytes, salt: bytes) -> str:
    return hmac.new(backup_key, b"shopdesk backup key check" + salt,
                    hashlib.sha256).hexdigest()[:16]


def _file_key(backup_key: bytes, salt: bytes) -> AESGCM:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
               info=b"shopdesk backup archive v1").derive(backup_key)
    return AESGCM(raw)


def _aad(salt: bytes, number: int) -> bytes:
    return MAGIC + salt + number.to_bytes(8, "little")


@dataclass
class Member:
    name: str
    size: int = 0
    sha256: str = ""
    blocks: list[tuple[int, int]] = field(default_factory=list)  # (offset, length)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256,
                "blocks": self.blocks}


class ArchiveWriter:
    """Writes a backup to `path` (the caller's temporary name). `add` each member,
    then `finish(manifest)`; the file is flushed to disk before `finish` returns."""

    def __init__(self, path: Path, backup_key: bytes, header: dict[str, Any]) -> None:
        self.path = path
        self._salt = os.urandom(16)
        self._box = _file_key(backup_key, self._salt)
        self.header = {**header, "format": FORMAT, "salt": self._salt.hex(),
                       "key_check": key_check(backup_key, self._salt), "block": BLOCK}
        self._out: IO[bytes] = open(path, "xb")  # noqa: SIM115 - closed by finish/abort
        raw = json.dumps(self.header, sort_keys=True).encode()
        self._out.write(MAGIC + struct.pack("<HI", FORMAT, len(raw)) + raw)
        self._number = 0
        self.members: list[Member] = []

    def _seal(self, plain: bytes, number: int) -> tuple[int, int]:
        nonce = os.urandom(12)
        sealed = nonce + self._box.encrypt(nonce, zlib.compress(plain, _LEVEL),
                                           _aad(self._salt, number))
        offset = self._out.tell()
        self._out.write(struct.pack("<I", len(sealed)) + sealed)
        return offset, len(sealed) + 4

    def add(self, name: str, chunks: Iterable[bytes]) -> Member:
        """Add a member from its content, given in pieces of any size."""
        member = Member(name)
        digest = hashlib.sha256()
        buffer = bytearray()
        for chunk in chunks:
            digest.update(chunk)
            member.size += len(chunk)
            buffer += chunk
            while len(buffer) >= BLOCK:
                member.blocks.append(self._seal(bytes(buffer[:BLOCK]), self._number))
                self._number += 1
                del buffer[:BLOCK]
        if buffer or not member.blocks:
            member.blocks.append(self._seal(bytes(buffer), self._number))
            self._number += 1
        member.sha256 = digest.hexdigest()
        self.members.append(member)
        return member

    def finish(self, manifest: dict[str, Any]) -> None:
        index = json.dumps({"members": [m.as_json() for m in self.members],
                            "manifest": manifest}, sort_keys=True).encode()
        offset, length = self._seal(index, _INDEX_BLOCK)
        self._out.write(_FOOTER.pack(offset, length, END))
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()

    def abort(self) -> None:
        """Close and remove the unfinished file (a failure, or no space left)."""
        with contextlib.suppress(OSError):  # a full disk may fail the close as well
            self._out.close()
        self.path.unlink(missing_ok=True)


def read_header(path: Path) -> dict[str, Any]:
    """The clear header of a backup (no key needed); BackupError if it is not one."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(MAGIC) + 6)
            if len(head) < len(MAGIC) + 6 or head[:len(MAGIC)] != MAGIC:
                raise BackupError(f"{path} is not a shopdesk backup")
            version, size = struct.unpack("<HI", head[len(MAGIC):])
            if version != FORMAT or size > 65536:
                raise BackupError(f"{path} is a backup in format {version}, which this "
                                  "shopdesk cannot read")
            header: dict[str, Any] = json.loads(handle.read(size))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read as a backup: {exc}") from None
    return header


class ArchiveReader:
    """Reads a finished backup with the shop's backup key (the recovery key)."""

    def __init__(self, path: Path, backup_key: bytes) -> None:
        self.path = path
        self.header = read_header(path)
        salt = bytes.fromhex(self.header["salt"])
        if not hmac.compare_digest(key_check(backup_key, salt), self.header["key_check"]):
            raise BackupError(f"{path.name} was made with another backup key: give the "
                              "recovery key of the shop that made it")
        self._salt = salt
        self._box = _file_key(backup_key, salt)
        self._file: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by close()
        size = path.stat().st_size
        if size < _FOOTER.size:
            raise BackupError(f"{path.name} is incomplete (cut short while being written)")
        self._file.seek(size - _FOOTER.size)
        offset, length, end = _FOOTER.unpack(self._file.read(_FOOTER.size))
        if end != END:
            raise BackupError(f"{path.name} is incomplete (cut short while being written)")
        index = json.loads(self._open(offset, length, _INDEX_BLOCK))
        self.manifest: dict[str, Any] = index["manifest"]
        self.members: dict[str, Member] = {}
        self._first: dict[str, int] = {}  # blocks are numbered in file order
        number = 0
        for m in index["members"]:
            self.members[m["name"]] = Member(m["name"], m["size"], m["sha256"],
                                             [(int(o), int(n)) for o, n in m["blocks"]])
            self._first[m["name"]] = number
            number += len(m["blocks"])

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self, offset: int, length: int, number: int) -> bytes:
        self._file.seek(offset)
        raw = self._file.read(length)
        if len(raw) != length or struct.unpack("<I", raw[:4])[0] != length - 4:
            raise BackupError(f"{self.path.name} is damaged at byte {offset}")
        try:
            return zlib.decompress(self._box.decrypt(raw[4:16], raw[16:],
                                                     _aad(self._salt, number)))
        except (InvalidTag, zlib.error):
            raise BackupError(f"{self.path.name} is damaged at byte {offset} (a block "
                              "fails its check)") from None

    def member(self, name: str) -> Member:
        found = self.members.get(name)
        if found is None:
            raise BackupError(f"{self.path.name} holds no {name}")
        return found

    def block(self, member: Member, index: int) -> bytes:
        offset, length = member.blocks[index]
        return self._open(offset, length, self._first[member.name] + index)

    def chunks(self, name: str) -> Iterator[bytes]:
        """A member's content, block by block, checked against its SHA-256 at the end."""
        member = self.member(name)
        digest = hashlib.sha256()
        for index in range(len(member.blocks)):
            data = self.block(member, index)
            digest.update(data)
            yield data
        if digest.hexdigest() != member.sha256:
            raise BackupError(f"{name} in {self.path.name} does not match its checksum")

    def read(self, name: str) -> bytes:
        return b"".join(self.chunks(name))
