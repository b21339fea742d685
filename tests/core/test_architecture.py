"""The layout rules of the README's "How it is built", checked by import-linter (as
napari does) and by looking at the source tree."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "shopdesk"
# More modules than this in one folder: group them into one subpackage per area.
MAX_MODULES_PER_FOLDER = 15
# The app's areas, as subpackages of the window and of the use cases.
UI_AREAS = {"common", "customers", "search", "repairs", "support", "sync", "printing", "staff",
            "start", "settings", "backup", "messaging", "loyalty"}
SERVICE_AREAS = {"customers", "repairs", "support", "printing", "demo", "backup",
                 "loyalty", "feedback"}


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    done = subprocess.run([lint, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 4 kept, 0 broken." in done.stdout
    assert "Areas import each other without cycles KEPT" in done.stdout


def test_migrations_and_resources_ship_in_the_wheel() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"migrations" = "shopdesk/migrations"' in text
    assert (ROOT / "migrations" / "env.py").is_file()


def test_no_folder_holds_too_many_modules() -> None:
    crowded = {}
    for folder in [PACKAGE, *(p for p in PACKAGE.rglob("*") if p.is_dir())]:
        modules = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
        if len(modules) > MAX_MODULES_PER_FOLDER:
            crowded[str(folder.relative_to(PACKAGE))] = len(modules)
    assert not crowded, f"group these folders by area: {crowded}"


def test_ui_and_services_are_grouped_by_area() -> None:
    ui = PACKAGE / "ui"
    assert {p.stem for p in ui.glob("*.py")} == {"__init__", "app", "main_window"}
    assert {p.name for p in ui.iterdir() if (p / "__init__.py").is_file()} == UI_AREAS
    services = PACKAGE / "services"
    # Shared plumbing stays at the top: the store, the audit trail, settings, staff, keys,
    # and long work in a child process (backups, privacy reports).
    assert {p.stem for p in services.glob("*.py")} == {"__init__", "store", "audit",
                                                       "settings", "staff", "keys", "child"}
    assert {p.name for p in services.iterdir() if (p / "__init__.py").is_file()} \
        >= SERVICE_AREAS
    for folder in [PACKAGE, *(p for p in PACKAGE.rglob("*") if p.is_dir())]:
        if folder.name != "__pycache__" and any(folder.glob("*.py")):
            assert (folder / "__init__.py").is_file(), f"{folder} is not a package"


def test_every_cli_verb_module_is_registered() -> None:
    import shopdesk.cli

    registered = set(shopdesk.cli.VERBS)
    modules = sorted(p.stem for p in (PACKAGE / "cli").glob("*.py")
                     if p.stem not in ("__init__", "common"))
    assert modules, "no verb modules found"
    for name in modules:
        module = importlib.import_module(f"shopdesk.cli.{name}")
        assert module.register in registered, f"shopdesk.cli.{name} is not in cli.VERBS"
    assert len(registered) == len(modules) == len(shopdesk.cli.VERBS)
