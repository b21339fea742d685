"""Reading a CSV file as people save them: any encoding, `,` `;` or tab, broken quotes.

- **Encoding**: a byte-order mark (UTF-8, UTF-16, UTF-32) decides; else UTF-16 without
  a mark is recognised by its zero bytes; else the whole file is tried as UTF-8; else
  the system's legacy code page (cp1252 where the system's own is UTF-8, as on Linux
  and macOS: Excel on Windows in Western Europe and the Americas writes cp1252, of
  which Latin-1 text is a subset). Or the caller names it. Every byte is decoded up
  front, so an import never meets a bad byte half-way; a byte that does not decode is
  reported with its line.
- **Delimiter**: the one of `,` `;` tab `|` that splits the header row into the most
  known column names (Excel writes `;` where the decimal mark is a comma).
- **Records** are read one at a time with Python's csv module in strict mode. A
  record that spans several lines is kept only when its quotes close properly and it
  has as many fields as the header; otherwise the quote that opened it is reported at
  its own line and reading starts again on the next line, so one stray quote costs
  one row, never the rows after it. A field longer than the csv module's limit is
  reported the same way.

Pure file reading; any thread.
"""

from __future__ import annotations

import codecs
import csv
import locale
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from shopdesk.errors import FieldError, ValidationError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_DISPLAY = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32",
            "cp1252": "Windows-1252", "iso8859-1": "Latin-1", "mac-roman": "Mac Roman"}
MAX_RECORD_LINES = 200  # a quoted field open longer than this is a stray quote
_CHUNK = 1 << 20
_BOMS = (  # longest first: UTF-32-LE's mark starts with UTF-16-LE's
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# What the formula guard of `csv_write` adds: one apostrophe before a leading
# apostrophe run and a formula character. Reading drops exactly that one.
GUARDED = re.compile(r"^'+[=+\-@\t\r\x00]")


@dataclass(frozen=True)
class CsvFormat:
    """How a file is read: its encoding (and how that was found), its delimiter."""

    encoding: str
    encoding_source: str  # "byte-order mark", "every byte valid", "legacy code page", "chosen"
    delimiter: str
    lines: int  # physical lines, for progress
    columns: tuple[str, ...] = ()  # the header row's names as written

    @property
    def delimiter_name(self) -> str:
        return DELIMITERS.get(self.delimiter, repr(self.delimiter))

    @property
    def encoding_name(self) -> str:
        """The encoding as people know it: 'UTF-8', 'Windows-1252', 'UTF-16'."""
        name = codecs.lookup(self.encoding).name
        return _DISPLAY.get(name) or _DISPLAY.get(name[:6]) or name

    def describe(self) -> str:
        """'UTF-8 (byte-order mark), semicolon-separated'."""
        return f"{self.encoding_name} ({self.encoding_source}), {self.delimiter_name}-separated"


@dataclass(frozen=True)
class Record:
    """One record of the file: its fields, or why it could not be read."""

    line: int  # the physical line it starts on (1 = the first line of the file)
    fields: list[str] | None
    error: str = ""
    text: str = ""  # the record as written (the first line only, when unreadable)


def _file_error(field: str, rule: str, message: str) -> ValidationError:
    return ValidationError(FieldError(field, rule, message))


def legacy_code_page() -> str:
    """The system's legacy (ANSI) code page; cp1252 where that is UTF-8 or ASCII."""
    name = codecs.lookup(locale.getencoding()).name
    return "cp1252" if name in ("utf-8", "ascii") else name


def check_encoding(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise _file_error("encoding", "unknown_encoding",
                          f"'{name}' is not an encoding Python knows "
                          "(e.g. utf-8, cp1252, latin-1, utf-16)") from None


def _sniff_bytes(head: bytes) -> tuple[str, str] | None:
    for mark, name in _BOMS:
        if head.startswith(mark):
            return name, "byte-order mark"
    sample = head[:4096]
    if len(sample) >= 4:
        odd_zero = sample[1::2].count(0) / (len(sample) // 2)
        even_zero = sample[0::2].count(0) / ((len(sample) + 1) // 2)
        if odd_zero > 0.3 and even_zero < 0.05:
            return "utf-16-le", "zero bytes of UTF-16"
        if even_zero > 0.3 and odd_zero < 0.05:
            return "utf-16-be", "zero bytes of UTF-16"
    return None


def _decode_error(path: Path, encoding: str) -> tuple[int, str] | None:
    """(line, description) of the first byte `path` cannot be decoded at; None if clean."""
    if codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
        # Not ASCII-compatible: decode as text; the line is where the bad chunk starts.
        line = 1
        try:
            with path.open(encoding=encoding, newline="") as handle:
                for text in iter(lambda: handle.read(_CHUNK), ""):
                    line += text.count("\n")
        except UnicodeDecodeError as exc:
            return line, f"{exc.reason} (byte 0x{exc.object[exc.start]:02X})"
        return None
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError as exc:
                return number, (f"byte 0x{raw[exc.start]:02X} at column {exc.start + 1} is "
                                f"not {codecs.lookup(encoding).name}")
    return None


def _count_lines(path: Path, encoding: str) -> int:
    count, last = 0, "\n"
    with path.open(encoding=encoding, newline="") as handle:
        for text in iter(lambda: handle.read(_CHUNK), ""):
            count, last = count + text.count("\n"), text[-1]
    return count + (last != "\n")  # a last line without its line break counts too


def detect_encoding(path: Path, chosen: str | None = None) -> tuple[str, str]:
    """(encoding, how it was found) for `path`; ValidationError naming the line of the
    first byte that does not decode."""
    if chosen:
        encoding, source = check_encoding(chosen), "chosen"
    else:
        with path.open("rb") as handle:
            head = handle.read(4096)
        found = _sniff_bytes(head)
        if found is not None:
            encoding, source = found
        elif _decode_error(path, "utf-8") is None:
            return "utf-8", "every byte valid"
        else:
            encoding, source = legacy_code_page(), "legacy code page"
    problem = _decode_error(path, encoding)
    if problem is not None:
        line, what = problem
        hint = ("" if chosen else
                " (tried UTF-8, then this system's legacy code page)")
        raise _file_error("encoding", "encoding",
                          f"line {line}: {what}{hint}; say which encoding the file is in "
                          "(e.g. utf-8, cp1252, latin-1, utf-16)")
    return encoding, source


def normalize_column(name: str) -> str:
    """'  First Name ' -> 'first_name': header names in any case, spaces around or inside."""
    return re.sub(r"\s+", "_", name.replace("\ufeff", "").strip().lower())


def detect_delimiter(header: str, known: set[str]) -> str:
    """The delimiter that splits `header` into the most known column names."""
    def score(delimiter: str) -> tuple[int, int]:
        try:
            names = next(csv.reader([header], delimiter=delimiter))
        except (csv.Error, StopIteration):
            return (0, 0)
        return (sum(normalize_column(n) in known for n in names), len(names))
    best = max(DELIMITERS, key=score)  # dicts keep order: a tie goes to the comma
    return best if score(best) > (0, 1) else ","


def inspect(path: Path, known: set[str], encoding: str | None = None,
            delimiter: str | None = None) -> CsvFormat:
    """How to read `path`: encoding and delimiter detected unless given."""
    path = Path(path)
    if path.is_dir():
        raise _file_error("file", "folder", f"{path} is a folder, not a file")
    if not path.is_file():
        raise _file_error("file", "missing", f"cannot read {path}: no such file")
    found, source = detect_encoding(path, encoding)
    if delimiter is not None and delimiter not in DELIMITERS:
        raise _file_error("delimiter", "choice", "must be one of: , ; tab |")
    with path.open(encoding=found, newline="") as handle:
        first = next((line for line in handle if line.strip()), "")
    if delimiter is None:
        delimiter = detect_delimiter(first, known)
    try:
        columns = tuple(next(csv.reader([first], delimiter=delimiter), []))
    except csv.Error:
        columns = ()
    return CsvFormat(found, source, delimiter, _count_lines(path, found), columns)


class _Lines:
    """Numbered physical lines with push-back, so a broken record can be re-read."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._source = enumerate(lines, 1)
        self._back: deque[tuple[int, str]] = deque()

    def next(self) -> tuple[int, str] | None:
        if self._back:
            return self._back.popleft()
        return next(self._source, None)

    def push_back(self, items: list[tuple[int, str]]) -> None:
        self._back.extendleft(reversed(items))


def _feed(source: _Lines, taken: list[tuple[int, str]]) -> Iterator[str]:
    """The lines of one record for the csv reader, noting each one it takes."""
    yield taken[0][1]
    while len(taken) < MAX_RECORD_LINES and (item := source.next()) is not None:
        taken.append(item)
        yield item[1]


class RecordReader:
    """The records of `lines` (a file opened with ``newline=''``), blank lines skipped.

    Set `width` to the header's field count once the header is read: from then on a
    multi-line record of another width is taken for a stray quote (see the module
    docstring). Iterate on one thread.
    """

    def __init__(self, lines: Iterable[str], delimiter: str) -> None:
        self._source = _Lines(lines)
        self.delimiter = delimiter
        self.width: int | None = None

    def __iter__(self) -> Iterator[Record]:
        return self

    def __next__(self) -> Record:
        while (first := self._source.next()) is not None:
            if first[1].strip():
                return self._record(first)
        raise StopIteration

    def _record(self, first: tuple[int, str]) -> Record:
        number, text = first
        if '"' not in text:  # most lines: no quoting, so the csv module would just split
            split = text.rstrip("\r\n").split(self.delimiter)
            if max(map(len, split)) <= csv.field_size_limit():
                return Record(number, split, text=text)
        taken = [first]
        error = ""
        fields: list[str] = []
        try:
            fields = next(csv.reader(_feed(self._source, taken), delimiter=self.delimiter,
                                     strict=True))
        except csv.Error as exc:
            error = str(exc)
        if not error and (len(taken) == 1 or self.width is None or len(fields) == self.width):
            return Record(number, fields, text="".join(t for _, t in taken))
        self._source.push_back(taken[1:])  # read them again as records of their own
        if "field limit" in error:
            reason = (f"a field is longer than {csv.field_size_limit():,} characters "
                      "(or a quote opened on this line never closes)")
        elif len(taken) > 1 or "end of data" in error:
            reason = ("a quoted field opened on this line does not close where it should "
                      '(a stray or unpaired quote ")')
        else:
            reason = f"malformed quotes ({error})"
        return Record(number, None, reason, text)


def unguard(value: str) -> str:
    """A cell as the app wrote it, without the formula guard of `csv_write.guard`."""
    return value[1:] if value[:1] == "'" and GUARDED.match(value) else value

