"""`shopdesk --smoke-test`: start to the first dialog, say how long it took, exit.

The frozen bundle's build script (scripts/build_bundle.py) runs the same flag on
the frozen window program; here it runs from the source install, in a fresh
process as a shop would start it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from shopdesk import main as entry
from shopdesk.shop import Shop
from shopdesk.ui import app
from tests.conftest import OWNER_SECRET

SHOWN = re.compile(r"^smoke-test: (sign-in|owner setup) shown after (\d+\.\d\d) s$", re.M)


def smoke(data_dir: Path, extra: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(extra or {})}
    return subprocess.run([sys.executable, "-m", "shopdesk", "--smoke-test", "--data-dir",
                           str(data_dir)], capture_output=True, text=True, timeout=120, env=env)


def test_sign_in_shown_on_a_shop_with_staff(data_dir: Path, tmp_path: Path) -> None:
    with Shop.open(data_dir) as shop:
        shop.staff.create_owner("owner", "Olivia Owner", OWNER_SECRET)
    shot = tmp_path / "sign-in.png"
    done = smoke(data_dir, {app.SCREENSHOT_ENV: str(shot)})
    assert done.returncode == 0, done.stderr
    found = SHOWN.search(done.stdout)
    assert found is not None, done.stdout
    assert found.group(1) == "sign-in"
    assert 0 < float(found.group(2)) < 60
    assert "Traceback" not in done.stderr
    # What was shown is the sign-in dialog, drawn (its grab saved on request).
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 380


def test_owner_setup_shown_on_first_start(tmp_path: Path) -> None:
    done = smoke(tmp_path / "new shop")
    assert done.returncode == 0, done.stderr
    found = SHOWN.search(done.stdout)
    assert found is not None and found.group(1) == "owner setup", done.stdout
    # A first start creates and migrates the database, as the real start does.
    assert (tmp_path / "new shop" / "shopdesk.sqlite").is_file()


def test_unusable_data_directory_fails_with_the_reason(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    done = smoke(not_a_dir)
    assert done.returncode == 1
    assert done.stderr.startswith("smoke-test: failed: the data directory is unusable:")
    assert SHOWN.search(done.stdout) is None


def test_unreadable_database_fails_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "shopdesk.sqlite").write_bytes(b"not a database" * 100)
    done = smoke(tmp_path / "shop")
    assert done.returncode == 1
    assert "smoke-test: failed: the shop data could not be opened:" in done.stderr
    assert "a damaged file" in done.stderr  # encrypted databases: the key or the file
    assert SHOWN.search(done.stdout) is None


def test_missing_resource_fails_the_smoke_test(qapp, data_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # What a bundle that forgot ui/arrow-down.svg (or Qt's SVG plugin) looks like.
    missing = data_dir / "nowhere" / "arrow-down.svg"
    monkeypatch.setattr(app, "STYLE", f"QComboBox::down-arrow {{ image:url({missing}); }}")
    assert app.smoke_test(str(data_dir), time.perf_counter()) == 1
    err = capsys.readouterr().err
    assert err.startswith("smoke-test: failed: missing resource: style sheet image")
    assert str(missing) in err


def test_the_real_style_sheet_images_and_icon_load(qapp) -> None:
    assert app._missing_ui_resources() == []


def test_smoke_test_takes_only_a_data_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["--smoke-test", "search", "x"]) == 2
    assert capsys.readouterr().err.startswith("shopdesk: error: --smoke-test takes only")


def test_cli_program_prints_help_instead_of_opening_the_window(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `shopdesk-cli` with no verb: the help and exit 2, never the window (no Qt loaded).
    code = ("import sys; from shopdesk.main import cli_main; rc = cli_main([]); "
            "assert 'PySide6' not in sys.modules, 'loaded Qt'; sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stdout.startswith("usage: shopdesk")
    assert entry.cli_main(["settings", "get", "shop.currency", "--data-dir",
                           str(tmp_path / "s")]) == 0
    assert capsys.readouterr().out.strip() == "GBP"
