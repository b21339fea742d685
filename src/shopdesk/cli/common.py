"""What every verb module of the command line shares.

The exit codes (documented in `shopdesk.cli` and the README), the argument parser
that turns a usage error into one line and exit 2, the ``--data-dir`` and
``--json`` options, the one-line error printer, JSON conversion of the services'
views, the progress bar, and `shown`: stored text (a name, a note) may hold
terminal control codes (ESC sequences, BEL, RLO...) that arrived before the forms
refused them or from another counter, so everything the command line prints goes
through `shown` (`printing_safely` wraps stdout and stderr for a whole command).
Runs on the CLI's main thread; never imports Qt.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import PurePath
from typing import Any, NoReturn, TextIO, TypeAlias
from uuid import UUID

from shopdesk.db.cipher import DbKey
from shopdesk.domain.text import BIDI_CONTROLS
from shopdesk.errors import ShopdeskError
from shopdesk.shop import Shop

# A string: argparse's _SubParsersAction is generic only to type checkers.
Subparsers: TypeAlias = "argparse._SubParsersAction[Parser]"

EXIT_OK = 0
EXIT_FAILURE = 1  # the command failed; the one-line reason is on stderr
EXIT_USAGE = 2  # bad arguments, an unknown conflict or rejected change, not joined a store
EXIT_SOME_REJECTED = 3  # `import`: the valid rows went in, some rows were rejected
EXIT_UNREACHABLE = 4  # `sync`: the central server cannot be reached (changes stay queued)
EXIT_STOPPED = 5  # `sync`: stopped until someone acts (copied database, revoked counter)

Handler = Callable[[Shop, argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit with EXIT_USAGE."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"shopdesk: error: {message} (see 'shopdesk --help')\n")


def data_dir_option(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a verb's own --data-dir must not reset one given before the verb.
    parser.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="data directory (default: $SHOPDESK_HOME or the user data dir)")


def json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="JSON output")


def verb(sub: Subparsers, name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
    """Add the verb `name`, run by `handler(shop, args)`, with its ``--data-dir``."""
    parser = sub.add_parser(name, help=help)
    parser.set_defaults(handler=handler)
    data_dir_option(parser)
    return parser


def read_key(stream: TextIO) -> DbKey:
    """A database key handed over on standard input (hex key and salt, one line), as
    the window hands it to the `backup now` it runs in a child process."""
    raw = stream.readline().strip()
    try:
        value = bytes.fromhex(raw)
        return DbKey(value[:32], value[32:])
    except ValueError:
        raise ShopdeskError("--db-key-stdin: standard input does not hold a database key") \
            from None


def error(message: str) -> None:
    """Print `message` as the one-line error every command failure ends with."""
    print(f"shopdesk: error: {message}", file=sys.stderr)


def fail(message: str, code: int) -> int:
    """Print the one-line error and return the exit code, for `return fail(...)`."""
    error(message)
    return code


def plain(value: object) -> object:
    """A view (dataclass) as JSON-ready data: UUIDs, dates and Decimals as text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, UUID | Decimal | PurePath):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def print_json(value: object) -> int:
    """Print a view (or list of views) as one line of JSON; returns EXIT_OK."""
    print(json.dumps(plain(value), ensure_ascii=False))
    return EXIT_OK


# Every C0 and C1 control code but line feed and tab, and the bidi embeddings,
# overrides and isolates: what a terminal could act on or reorder.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + BIDI_CONTROLS + "]")


def shown(text: str) -> str:
    """`text` fit for a terminal: each control character as a visible ``\\uXXXX``
    (inside a JSON string that is the same character again, so JSON stays exact)."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class SafeStream:
    """A text stream that writes everything through `shown`; `raw` is the stream below
    (the progress bar's carriage return goes there)."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        return self.raw.write(shown(text))

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding...
        return getattr(self.raw, name)


def raw_stream(stream: TextIO) -> TextIO:
    """The stream under a SafeStream (for output the program itself composes)."""
    return stream.raw if isinstance(stream, SafeStream) else stream


@contextmanager
def printing_safely() -> Iterator[None]:
    """While inside, stdout and stderr escape control characters (see `shown`)."""
    saved = sys.stdout, sys.stderr
    sys.stdout = SafeStream(saved[0])
    sys.stderr = SafeStream(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


class ProgressBar:
    """A one-line progress bar on stderr (redrawn in place on a terminal).

    Called as ``bar(done, total)`` from the thread doing the work (the CLI's main thread).
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.started = time.perf_counter()
        self._last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        if not self.tty:
            tenth = int(fraction * 10)
            if tenth == self._last_tenth:
                return
            self._last_tenth = tenth
        width = 30
        bar = "#" * int(fraction * width)
        line = (f"{self.label} [{bar:<{width}}] {done}/{total} "
                f"({time.perf_counter() - self.started:.1f} s)")
        out = raw_stream(sys.stderr)  # its own "\r" redraws the line; nothing stored in it
        out.write(("\r" + line) if self.tty else line + "\n")
        if self.tty and done >= total:
            out.write("\n")
        out.flush()
