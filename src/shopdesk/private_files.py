"""The data directory and every file in it are readable by the user running shopdesk only.

The folder holds customer data, staff PIN hashes and (without an OS keyring) keys,
so no other local account may read it:

- POSIX: folders 0700, files 0600. New files are created with that mode (never
  widened by the umask), and `secure_tree` narrows what is already there (a folder
  made by an older shopdesk, a file copied in) each time a shop is opened.
- Windows: one ACL on the data folder, protected from inheritance, granting Full
  Control to the current user only, inherited by everything below it; files already
  inside are reset to inherit it. Done with the system's ``icacls`` and an argument
  list (no shell), so paths with spaces or quotes are passed as they are.

A folder that cannot be narrowed (it belongs to another account, a network share
without POSIX modes) is logged and left as it is: a shop must still open.
Pure functions on paths; any thread.
"""

from __future__ import annotations

import getpass
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
IS_WINDOWS = sys.platform == "win32"


def windows_account(environ: Mapping[str, str] | None = None) -> str:
    """DOMAIN\\user of the signed-in Windows account (the local machine's name when the
    account is not in a domain), as icacls names it."""
    env = os.environ if environ is None else environ
    user = env.get("USERNAME") or getpass.getuser()
    domain = env.get("USERDOMAIN")
    return f"{domain}\\{user}" if domain else user


def icacls_commands(folder: Path, account: str) -> list[list[str]]:
    """The icacls calls that make `folder` and everything in it private to `account`.

    1. `folder` stops inheriting from its parent (``/inheritance:r`` drops the
       inherited entries: Users, Authenticated Users...) and grants `account` Full
       Control for itself, its subfolders (CI) and its files (OI), replacing any
       explicit grant `account` had (``/grant:r``).
    2. Everything below drops its own entries and inherits that one grant
       (``/reset /T``), so no file inside keeps a wider one.
    ``/C`` goes on past a file it cannot change, ``/Q`` keeps icacls quiet.
    """
    return [
        ["icacls", str(folder), "/inheritance:r", "/grant:r", f"{account}:(OI)(CI)F",
         "/C", "/Q"],
        ["icacls", str(folder / "*"), "/reset", "/T", "/C", "/Q"],
    ]


def _run(commands: Sequence[Sequence[str]]) -> None:
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console flash in the window
    for command in commands:
        done = subprocess.run(list(command), capture_output=True, text=True, check=False,
                              creationflags=flags)
        # "*" in an empty folder is an error to icacls; what matters is the grant.
        if done.returncode != 0 and "/reset" not in command:
            log.warning("could not make %s private: %s", command[1],
                        (done.stderr or done.stdout).strip())


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) if needed; make it private; return it."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if not IS_WINDOWS:
        _chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Narrow an existing file to the user (POSIX; on Windows it inherits its folder's ACL)."""
    if not IS_WINDOWS:
        _chmod(path, FILE_MODE)
    return path


def create_private(path: Path) -> None:
    """Create `path` empty, with the private mode from the first byte, unless it exists
    (so SQLite, which gives its -wal and -shm files the database's mode, never
    makes a readable database)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def open_private(path: Path, encoding: str = "utf-8") -> TextIO:
    """`path` opened for writing text (truncated), a new file being created readable by
    the user only; newlines are written as given (for the csv module)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    return open(fd, "w", encoding=encoding, newline="")


def secure_tree(root: Path, own: Callable[[str], bool]) -> None:
    """Make `root` and the entries in it that `own(name)` claims private.

    An entry `own` does not claim (someone pointed ``--data-dir`` at a folder that
    holds other things) is never touched, and `root` is then left as it is, with a
    warning: narrowing it would lock its other contents away.
    """
    names = sorted(p.name for p in root.iterdir())
    foreign = [n for n in names if not own(n)]
    if foreign:
        log.warning("%s also holds %s, which are not shopdesk's: the folder's access is "
                    "left as it is (shopdesk's own files are made private)", root,
                    ", ".join(foreign[:5]))
    if IS_WINDOWS:
        if not foreign:
            try:
                _run(icacls_commands(root, windows_account()))
            except OSError as exc:  # icacls missing or not runnable: say so, open anyway
                log.warning("could not make %s private: %s", root, exc)
        return
    if not foreign:
        _chmod(root, DIR_MODE)
    for name in names:
        if not own(name):
            continue
        entry = root / name
        if not entry.is_dir() or entry.is_symlink():
            _chmod(entry, FILE_MODE)
            continue
        _chmod(entry, DIR_MODE)
        for folder, dirs, files in os.walk(entry):
            base = Path(folder)
            for child in dirs:
                _chmod(base / child, DIR_MODE)
            for child in files:
                _chmod(base / child, FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) == mode:
            return  # never follow a link out of the folder; skip what is already right
        os.chmod(path, mode)
    except OSError as exc:
        log.warning("could not make %s private: %s", path, exc)
