"""Long background work in a child process: one `shopdesk ... --json` command line.

Pure-Python work on a thread of the window's process holds the interpreter lock for
most of its run; the GUI thread then waits for that lock between its own steps (every
call from Qt into Python takes it), and the window stutters while the clerk types.
Work that takes seconds of Python (a backup's pages, the monthly data-quality report
over every customer) therefore runs as the app's own command line in a child process
(`command`): the waiting thread only blocks in `communicate`, which lets the lock go.

The database key goes to the child on its standard input (hex key and salt, one
line; the verb's hidden ``--db-key-stdin``), never on its command line or in its
environment. The child's answer is the last line of its standard output (JSON); a
failure is its one-line error (``shopdesk: error: ...``) raised as `ShopdeskError`.

Thread rule: `ChildRun.run` on one worker thread at a time; `kill` from any thread
(the window calls it while closing, so it never waits for a long report).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from shopdesk.errors import ShopdeskError


def child_command(root: Path, *verb: str) -> list[str]:
    """The command line that runs ``shopdesk <verb> --data-dir <root>`` as this program
    does: the frozen console program beside a frozen window, else this interpreter."""
    args = [*verb, "--data-dir", str(root)]
    if getattr(sys, "frozen", False):
        exe = Path(sys.executable)
        cli = exe.with_name("shopdesk-cli" + exe.suffix)
        return [str(cli if cli.exists() else exe), *args]
    return [sys.executable, "-m", "shopdesk", *args]


class ChildRun:
    """Runs `command` (with extra arguments per run) in a child process and returns
    its JSON answer; `kill` ends a run under way. See the module docstring."""

    def __init__(self, command: list[str], key: bytes | None = None) -> None:
        self._command, self._key = command, key
        self._child: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._killed = False

    def run(self, *extra: str) -> Any:
        """The parsed last line of the child's output; ShopdeskError on failure."""
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console flashing on Windows
        with self._lock:
            if self._killed:
                raise ShopdeskError("stopped")
            self._child = child = subprocess.Popen(
                [*self._command, *extra, *(["--db-key-stdin"] if self._key else [])],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, creationflags=flags)
        try:
            out, err = child.communicate(self._key.hex() + "\n" if self._key else "")
        finally:
            with self._lock:
                self._child = None
        if child.returncode != 0:
            if self._killed:
                raise ShopdeskError("stopped")
            last = err.strip().splitlines()[-1] if err.strip() else \
                f"exit code {child.returncode}"
            raise ShopdeskError(last.removeprefix("shopdesk: error: "))
        lines = out.strip().splitlines()
        try:
            return json.loads(lines[-1])
        except (IndexError, ValueError):
            raise ShopdeskError("the child process gave no answer") from None

    def kill(self) -> None:
        """End the run under way, if any, and refuse later runs (the window closes)."""
        with self._lock:
            self._killed = True
            child = self._child
        if child is not None and child.poll() is None:
            child.kill()
