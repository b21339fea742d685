"""`shopdesk print ...` and `shopdesk report summary` write PDFs or fail in one line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from shopdesk.cli import main
from shopdesk.shop import Shop
from tests.conftest import OWNER_SECRET
from tests.core.test_printing import _no_keyring, collected_ticket  # noqa: F401


@pytest.fixture
def number(data_dir: Path) -> str:
    with Shop.open(data_dir) as shop:
        shop.staff.create_owner("owner", "Olivia Owner", OWNER_SECRET)
        shop.sign_in("owner", OWNER_SECRET)
        return collected_ticket(shop, "Дмитрий Иванов")


@pytest.mark.parametrize("document", ["receipt", "jobsheet", "labels", "feedback"])
def test_print_writes_pdf(number: str, data_dir: Path, tmp_path: Path, document: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"{document}.pdf"
    assert main(["print", document, number.lower(), "--out", str(out),
                 "--data-dir", str(data_dir)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert number in text and "Дмитрий Иванов" in text


def test_report_summary(number: str, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    assert main(["report", "summary", "--from", "2026-01-01", "--to", "2027-12-31",
                 "--out", str(out), "--data-dir", str(data_dir)]) == 0
    text = PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text()
    assert "summary report" in text and "Page 1 of" in text


@pytest.mark.parametrize("args, message", [
    (["print", "receipt", "R-NOPE-0001"], "no repair ticket numbered"),
    (["report", "summary", "--from", "2026-13-01", "--to", "2027-01-01"],
     "--from '2026-13-01' is not a date"),
    (["report", "summary", "--from", "2027-01-01", "--to", "2026-01-01"],
     "end date is before the start date"),
])
def test_failures_are_one_line(number: str, data_dir: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str], args: list[str],
                               message: str) -> None:
    out = tmp_path / "x.pdf"
    assert main([*args, "--out", str(out), "--data-dir", str(data_dir)]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_unwritable_path(number: str, data_dir: Path, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    for target in (tmp_path / "missing" / "x.pdf", tmp_path):
        assert main(["print", "labels", number, "--out", str(target),
                     "--data-dir", str(data_dir)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("shopdesk: error: cannot write") and err.count("\n") == 1
