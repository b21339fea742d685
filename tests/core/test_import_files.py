"""Import of the files people really have (issue 10, items 8 and 9).

Encodings (UTF-16 from Excel's "Unicode text", Latin-1, cp1252, UTF-8 with a mark),
delimiters (Excel's `;`, tab), a 1 MB field, stray quotes, a bad row deep in the file,
header-only files, ragged rows, repeated and differently-cased header names, and a
rejects path that cannot be written: each is a clear message or a rejected row, never
a traceback, and never a row lost after it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from shopdesk.cli import main
from shopdesk.errors import ValidationError
from shopdesk.shop import Shop

PEOPLE = [("Zoë", "Ørsted", "07400 100001"), ("José", "Peña", "07400 100002"),
          ("Siobhán", "O’Brien", "07400 100003")]  # ’ is 0x92 in cp1252, not in Latin-1


def run(home: Path, *args: str) -> int:
    return main([*args, "--data-dir", str(home)])


def names(home: Path) -> set[tuple[str, str]]:
    with Shop.open(home) as shop:
        rows = shop.customers.summaries(shop.customers.search_ids("", 10_000))
    return {(c.first_name, c.last_name) for c in rows}


def count(home: Path) -> int:
    with Shop.open(home) as shop:
        return shop.customers.count()


def text_of(rows: list[tuple[str, ...]], delimiter: str = ",",
            header: str = "first_name,last_name,phone") -> str:
    lines = [header.replace(",", delimiter)]
    lines += [delimiter.join(r) for r in rows]
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def home(shop: Shop) -> Path:
    return shop.root


@pytest.mark.parametrize(("encoding", "people"), [
    ("utf-16", PEOPLE),  # Excel "Unicode text": UTF-16 LE with its byte-order mark
    ("utf-16-le", PEOPLE),  # no mark: found by its zero bytes
    ("utf-8-sig", PEOPLE),
    ("cp1252", PEOPLE),
    ("latin-1", PEOPLE[:2]),
])
def test_encodings_are_detected(home: Path, tmp_path: Path, encoding: str,
                                people: list[tuple[str, str, str]],
                                capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "people.csv"
    source.write_bytes(text_of(people).encode(encoding))
    assert run(home, "import", "customers", str(source)) == 0
    assert names(home) == {(f, last) for f, last, _ in people}
    assert "read " in capsys.readouterr().out


def test_legacy_code_page_is_the_fallback_after_utf8() -> None:
    # Linux and macOS say UTF-8: the fallback is then cp1252, as on Western Windows.
    from shopdesk.services.customers.csv_read import legacy_code_page

    assert legacy_code_page() == "cp1252"


def test_encoding_option_and_bytes_that_do_not_decode(home: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    source = tmp_path / "mac.csv"
    # "Hélène" in Mac Roman (è = 0x8F, which cp1252 lacks): --encoding says which it is.
    source.write_bytes(text_of([("Hélène", "Roux", "07400 100004")]).encode("mac-roman"))
    assert run(home, "import", "customers", str(source), "--encoding", "mac-roman") == 0
    assert ("Hélène", "Roux") in names(home)
    capsys.readouterr()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"first_name,last_name,phone\r\nAna,Lee,07400 100005\r\n"
                    b"Bo,B\x81d,07400 100006\r\n")
    assert run(home, "import", "customers", str(bad)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 3" in err and "0x81" in err and "--encoding" in err
    assert run(home, "import", "customers", str(bad), "--encoding", "klingon") == 1
    assert "'klingon' is not an encoding" in capsys.readouterr().err
    assert count(home) == 1  # nothing of the refused files went in


@pytest.mark.parametrize(("delimiter", "header"), [
    (";", "First Name; LAST_NAME ;Phone"),  # Excel in much of Europe, any case, spaces
    ("\t", "first_name\tlast_name\tphone"),
    ("|", "first_name|last_name|phone"),
])
def test_delimiters_are_detected(home: Path, tmp_path: Path, delimiter: str,
                                 header: str) -> None:
    source = tmp_path / "people.csv"
    rows = [("Ana", "Lima", "07400 100007"), ("Rui", "Costa, Jr", "07400 100008")]
    text = header + "\r\n" + "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"
    source.write_text(text, encoding="utf-8")
    assert run(home, "import", "customers", str(source)) == 0
    assert names(home) == {("Ana", "Lima"), ("Rui", "Costa, Jr")}


def test_a_forced_wrong_delimiter_is_named(home: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "semi.csv"
    source.write_text(text_of([("Ana", "Lima", "07400 100007")], ";"), encoding="utf-8")
    assert run(home, "import", "customers", str(source), "--delimiter", ",") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "comma-separated" in err and "looks semicolon-separated" in err
    assert count(home) == 0


def test_a_huge_field_and_stray_quotes_cost_one_row_each(home: Path, tmp_path: Path) -> None:
    source = tmp_path / "broken.csv"
    source.write_text("\n".join([
        "first_name,last_name,phone,notes",
        "Ana,Smith,07400 200001,ok",
        "Big,Field,07400 200002," + "x" * 1_000_000,  # 1 MB
        '"Bob,Jones,07400 200003,never closed',  # line 4
        "Cid,Lee,07400 200004,",
        'Eve,"Doe,07400 200005,closes later',  # line 6
        'Fay,Roe,07400 200006,"fine"',
        'Gus,Poe,07400 200007,"a note',
        'on two lines"',
        "Hal,Ode,07400 200008,last",
    ]) + "\n", encoding="utf-8")
    with Shop.open(home) as shop:
        shop.act_as_system("test")
        report = shop.transfer.import_csv(source)
    assert report.stopped is None
    assert [(r.line, r.field) for r in report.rejected] == [(3, "row"), (4, "row"),
                                                             (6, "row")]
    assert "longer than 131,072 characters" in report.rejected[0].reason
    assert "quote" in report.rejected[1].reason and "quote" in report.rejected[2].reason
    assert report.imported == 5
    assert names(home) == {("Ana", "Smith"), ("Cid", "Lee"), ("Fay", "Roe"), ("Gus", "Poe"),
                           ("Hal", "Ode")}
    with Shop.open(home) as shop:
        gus = shop.customers.search("poe")[0]
        assert shop.customers.profile(gus.id).values["notes"] == "a note\non two lines"
    rejects = list(csv.DictReader(report.rejects_path.open(encoding="utf-8")))  # type: ignore[union-attr]
    assert [r["line"] for r in rejects] == ["3", "4", "6"]
    assert rejects[1]["first_name"] == '"Bob'
    assert len(rejects[0]["notes"]) <= 10_000  # a rejects file is for people


def test_a_bad_row_deep_in_the_file_does_not_stop_the_import(home: Path,
                                                             tmp_path: Path) -> None:
    source = tmp_path / "long.csv"
    rows = [f"P{n},Row,07400 3{n:05d}" for n in range(6000)]
    rows[4498] = '"P4498,Row,07400 304498'  # line 4500: a quote that never closes
    rows[4600] = "P4600,Row\x00,07400 304600"  # a NUL
    source.write_text("first_name,last_name,phone\n" + "\n".join(rows) + "\n",
                      encoding="utf-8")
    with Shop.open(home) as shop:
        shop.act_as_system("test")
        report = shop.transfer.import_csv(source)
    assert report.stopped is None
    assert [(r.line, r.field) for r in report.rejected] == [(4500, "row"),
                                                             (4602, "last_name")]
    assert "control character U+0000 (NUL)" in report.rejected[1].reason
    assert report.imported == 5998 == count(home)


def test_header_only_says_no_rows(home: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "empty.csv"
    source.write_text("first_name,last_name,phone\n", encoding="utf-8")
    assert run(home, "import", "customers", str(source)) == 0
    assert "no rows" in capsys.readouterr().out
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"")
    assert run(home, "import", "customers", str(blank)) == 1
    assert "is empty: no header row" in capsys.readouterr().err


def test_ragged_rows_and_header_rules(home: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "ragged.csv"
    source.write_text("\n".join([
        "FIRST_NAME , Last Name,phone,,",  # two unnamed trailing columns
        "Ana,Lima,07400 400001,,",  # empty extras: nothing is lost
        "Rui,Costa,07400 400002,oops,",  # a value under no column
        "Eva,Melo,07400 400003,,,surplus",  # more values than columns
        "Ivo,Reis",  # fewer: the rest are empty (phone is then missing)
    ]) + "\n", encoding="utf-8")
    assert run(home, "import", "customers", str(source)) == 3
    err = capsys.readouterr().err
    assert "line 3: row: has 5 values but the header names 3 columns: extra values " \
           "'oops' (column 4)" in err
    assert "'surplus' (column 6)" in err
    assert "line 5: phone: is required" in err or "line 5: phone:" in err
    assert names(home) == {("Ana", "Lima")}
    repeated = tmp_path / "repeated.csv"
    repeated.write_text("first_name,last_name,phone,Phone\nA,B,07400 400004,07400 400005\n",
                        encoding="utf-8")
    assert run(home, "import", "customers", str(repeated)) == 1
    err = capsys.readouterr().err
    assert "phone: appears more than once in the header (columns 3, 4)" in err
    assert err.count("\n") == 1


def test_a_bad_rejects_path_is_refused_before_importing(home: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    source = tmp_path / "some.csv"
    source.write_text(text_of([("Ana", "Lima", "07400 500001"), ("Bad", "Phone", "12")]),
                      encoding="utf-8")
    for target, words in ((tmp_path / "no" / "such" / "r.csv", "does not exist"),
                          (tmp_path, "is a folder"), (source, "the file being imported")):
        assert run(home, "import", "customers", str(source), "--rejects", str(target)) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "rejects" in err and words in err
    assert count(home) == 0
    good = tmp_path / "out.csv"
    assert run(home, "import", "customers", str(source), "--rejects", str(good)) == 3
    assert count(home) == 1 and "12" in good.read_text(encoding="utf-8")


def test_the_format_is_reported_and_can_be_inspected(shop: Shop, tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_bytes(text_of(PEOPLE, "\t").encode("utf-16"))
    fmt = shop.transfer.inspect(source)
    assert (fmt.encoding_name, fmt.encoding_source, fmt.delimiter) == (
        "UTF-16", "byte-order mark", "\t")
    assert fmt.describe() == "UTF-16 (byte-order mark), tab-separated"
    with pytest.raises(ValidationError, match="is a folder"):
        shop.transfer.inspect(tmp_path)


def test_rejects_that_cannot_be_written_leave_the_summary(shop: Shop, tmp_path: Path) -> None:
    # The folder of the rejects file was checked, then vanished during the import.
    folder = tmp_path / "out"
    folder.mkdir()
    source = tmp_path / "some.csv"
    source.write_text(text_of([("Ana", "Lima", "07400 500001"), ("Bad", "Phone", "12")]),
                      encoding="utf-8")

    def progress(_done: int, _total: int) -> None:
        if folder.exists():
            folder.rmdir()

    report = shop.transfer.import_csv(source, progress, folder / "rejects.csv")
    assert report.imported == 1 and len(report.rejected) == 1
    assert report.rejects_path is None
    assert report.rejects_error is not None and "cannot write" in report.rejects_error
