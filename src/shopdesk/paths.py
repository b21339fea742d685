"""Where shopdesk keeps its files; the one place that knows platformdirs.

Order of precedence for the data directory: an explicit path (`--data-dir`),
then the `SHOPDESK_HOME` environment variable, then the platform's per-user
data directory (``%LOCALAPPDATA%\\shopdesk`` on Windows,
``~/.local/share/shopdesk`` on Linux, ``~/Library/Application Support/shopdesk``
on macOS).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from shopdesk import private_files

APP_NAME = "shopdesk"
DB_FILENAME = "shopdesk.sqlite"
# What shopdesk keeps in a data directory besides the database (and its -wal, -shm
# and -journal files): made private on every open (see `shopdesk.private_files`);
# other entries are left alone.
OWN_FOLDERS = ("backups", "documents", "logs", "print-queue", "keys", "certs", "tmp", "open",
               "reports")


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data directory to use, created (private to the user) if missing."""
    if explicit:
        path = Path(explicit)
    elif os.environ.get("SHOPDESK_HOME"):
        path = Path(os.environ["SHOPDESK_HOME"])
    else:
        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path = path.expanduser().resolve()
    if not path.is_dir():
        private_files.private_dir(path)
    return path


def is_own_entry(name: str) -> bool:
    """True for a name shopdesk itself keeps in a data directory."""
    return name.startswith(DB_FILENAME) or name in OWN_FOLDERS


def secure(root: Path) -> None:
    """Make the data directory and shopdesk's files in it private to the user."""
    private_files.secure_tree(root, is_own_entry)


def database_path(root: Path) -> Path:
    return root / DB_FILENAME


def backups_dir(root: Path) -> Path:
    return root / "backups"


def documents_dir(root: Path) -> Path:
    return root / "documents"


def _bundle_root() -> Path | None:
    # PyInstaller unpacks data files under sys._MEIPASS.
    meipass = getattr(sys, "_MEIPASS", None)
    return Path(meipass) if meipass else None


def _shipped(name: str) -> Path:
    """A top-level project folder (migrations/, resources/) wherever it was shipped.

    In a PyInstaller bundle and in a wheel it sits inside the package as
    ``shopdesk/<name>``; in a source checkout it is at the repository root.
    """
    package_dir = Path(__file__).resolve().parent
    candidates = [package_dir / name, package_dir.parent.parent / name]
    bundle = _bundle_root()
    if bundle is not None:
        candidates.insert(0, bundle / "shopdesk" / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"shopdesk {name}/ folder not found (looked in {candidates})")


def migrations_dir() -> Path:
    return _shipped("migrations")


def resources_dir() -> Path:
    return _shipped("resources")
