"""SQLCipher pages read and written block by block (db/pages.py): SQLite's lock-byte page.

In a database over 1 GiB the page at offset 1 GiB is never written by SQLite: it is zeros,
with no MAC. Reading a backup's pages must pass over it and writing must leave it zeros, or
every backup of a big shop fails ("page 262145 does not match its key"). The page number is
moved down here so a small file has one.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from shopdesk.db import cipher, pages


def _database(path: Path, key: cipher.DbKey) -> None:
    con = cipher.connect(path, key, verify=False)
    con.execute("CREATE TABLE t (x TEXT)")
    con.executemany("INSERT INTO t VALUES (?)", [("y" * 3000,)] * 20)
    con.close()


def test_the_lock_byte_page_is_zeros_both_ways(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    key = cipher.DbKey(secrets.token_bytes(32), secrets.token_bytes(16))
    source = tmp_path / "source.sqlite"
    _database(source, key)
    monkeypatch.setattr(pages, "PENDING_BYTE_PAGE", 3)
    raw = bytearray(source.read_bytes())
    raw[2 * pages.PAGE_SIZE:3 * pages.PAGE_SIZE] = bytes(pages.PAGE_SIZE)  # as SQLite leaves it
    source.write_bytes(raw)

    image = list(pages.plain_pages(source, key))  # no "does not match its key" on page 3
    assert len(image) > 3 and image[2] == bytes(pages.PAGE_SIZE)

    again = tmp_path / "again.sqlite"
    assert pages.write_encrypted(again, image, key) == len(image)
    assert again.read_bytes()[2 * pages.PAGE_SIZE:3 * pages.PAGE_SIZE] == bytes(pages.PAGE_SIZE)
    assert list(pages.plain_pages(again, key)) == image
