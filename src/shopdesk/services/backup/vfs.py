"""SQL over a backup's database without unpacking it: a read-only SQLite VFS.

The database inside a backup is a plain page image, compressed and encrypted in
256 KiB blocks (`archive`). `open_database` opens it read-only through APSW (whose
SQLite accepts a VFS written in Python): SQLite asks for byte ranges, this module
decrypts and decompresses only the blocks they fall in (the last few kept). A
customer's records are found by index in a handful of blocks, so restoring one
customer from a 100k-customer backup does not unpack the whole file, and `verify`
runs `integrity_check` on what is really in the backup. Nothing plain is written
to disk.

Thread rule: a connection from `open_database` belongs to the thread that opened
it; the VFS itself is registered once per process and serves several.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from typing import Any

import apsw

from shopdesk.services.backup.archive import BLOCK, ArchiveReader, BackupError, Member

VFS_NAME = "shopdesk-backup"
_CACHED_BLOCKS = 64  # 16 MiB of plain pages


class _MemberFile:
    """One open database member: reads come from its blocks, writes are refused."""

    def __init__(self, reader: ArchiveReader, member: Member) -> None:
        self._reader, self._member = reader, member
        self._cache: OrderedDict[int, bytes] = OrderedDict()

    def _block(self, index: int) -> bytes:
        data = self._cache.get(index)
        if data is None:
            data = self._reader.block(self._member, index)
            self._cache[index] = data
            if len(self._cache) > _CACHED_BLOCKS:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return data

    def xRead(self, amount: int, offset: int) -> bytes:
        out = bytearray()
        while amount > 0 and offset < self._member.size:
            index, start = divmod(offset, BLOCK)
            piece = self._block(index)[start:start + amount]
            if not piece:
                break
            out += piece
            amount -= len(piece)
            offset += len(piece)
        return bytes(out)

    def xFileSize(self) -> int:
        return self._member.size

    def xWrite(self, data: bytes, offset: int) -> None:
        raise apsw.ReadOnlyError("a backup is read-only")

    def xTruncate(self, size: int) -> None:
        raise apsw.ReadOnlyError("a backup is read-only")

    def xSync(self, flags: int) -> None:
        pass

    def xClose(self) -> None:
        self._cache.clear()

    def xLock(self, level: int) -> None:
        pass

    def xUnlock(self, level: int) -> None:
        pass

    def xCheckReservedLock(self) -> bool:
        return False

    def xSectorSize(self) -> int:
        return 4096

    def xDeviceCharacteristics(self) -> int:
        return 0

    def xFileControl(self, op: int, ptr: int) -> bool:
        return False


class _BackupVFS(apsw.VFS):
    """Serves the database members registered in `_open` under made-up names."""

    def __init__(self) -> None:
        super().__init__(VFS_NAME, base="")
        self.files: dict[str, tuple[ArchiveReader, Member]] = {}
        self.lock = threading.Lock()

    def xOpen(self, name: Any, flags: list[int]) -> Any:
        path = name.filename() if hasattr(name, "filename") else str(name)
        with self.lock:
            found = self.files.get(path)
        if found is None:
            raise apsw.CantOpenError(f"no backup open as {path}")
        return _MemberFile(*found)

    def xAccess(self, pathname: str, flags: int) -> bool:
        return False  # no journal, no WAL: the backup is read as it is

    def xFullPathname(self, name: str) -> str:
        return name

    def xDelete(self, filename: str, syncdir: bool) -> None:
        raise apsw.ReadOnlyError("a backup is read-only")


_vfs: _BackupVFS | None = None
_names = itertools.count(1)
_setup = threading.Lock()


def _registered() -> _BackupVFS:
    global _vfs
    with _setup:
        if _vfs is None:
            _vfs = _BackupVFS()
        return _vfs


def open_database(reader: ArchiveReader, member: str = "database.sqlite") -> apsw.Connection:
    """A read-only SQL connection to the backup's database (close it before `reader`)."""
    vfs = _registered()
    path = f"/shopdesk-backup-{next(_names)}"
    with vfs.lock:
        vfs.files[path] = (reader, reader.member(member))
    try:
        con = apsw.Connection(f"file:{path}?immutable=1", vfs=VFS_NAME,
                              flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)
        con.execute("SELECT count(*) FROM sqlite_master").fetchall()
    except apsw.Error as exc:
        with vfs.lock:
            vfs.files.pop(path, None)
        raise BackupError(f"the database in {reader.path.name} cannot be read: {exc}") from None
    return con


def close_database(con: apsw.Connection) -> None:
    """Close a connection from `open_database` and forget its member."""
    name = con.filename
    con.close()
    vfs = _registered()
    with vfs.lock:
        for path in [p for p in vfs.files if name.endswith(p)]:
            del vfs.files[path]
