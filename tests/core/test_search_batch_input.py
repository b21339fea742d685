"""`search --batch` with a file that is not what it should be (issue 10, item 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopdesk.cli import main
from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop


def test_invalid_utf8_names_the_line(shop: Shop, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_bytes(b"ana\nlima\nm\xfcller\nsmith\n")  # line 3 is Latin-1
    assert main(["search", "--batch", str(queries), "--data-dir", str(shop.root)]) == 1
    out, err = capsys.readouterr()
    assert out == ""  # checked before the first query runs
    assert err.count("\n") == 1
    assert "line 3: byte 0xFC at column 2 is not UTF-8" in err and "Traceback" not in err


def test_a_folder_is_called_a_folder(shop: Shop, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "--batch", str(tmp_path), "--data-dir", str(shop.root)]) == 1
    err = capsys.readouterr().err
    assert "is a folder" in err and "no such file" not in err
    assert main(["search", "--batch", str(tmp_path / "none.txt"), "--data-dir",
                 str(shop.root)]) == 1
    assert "no such file" in capsys.readouterr().err


def test_a_good_batch_file_still_works(shop: Shop, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    shop.customers.register(CustomerInput(first_name="Jürgen", last_name="Müller",
                                          phone="+447400123456"))
    queries = tmp_path / "queries.txt"
    queries.write_bytes("\ufeffmüller\r\n\r\n+447400123456\r\n".encode())  # BOM, CRLF
    assert main(["search", "--batch", str(queries), "--data-dir", str(shop.root)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["query"] for r in lines] == ["müller", "+447400123456"]
    assert all(r["results"] for r in lines)
