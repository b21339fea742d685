"""Another process holding the write lock (issue 10, item 5).

Reads never wait for it (WAL), opening a shop does not write, a write waits and
retries for a bounded time and then fails with one line, and an import, however
it ends (database busy, Ctrl-C), prints its summary, writes its rejects file and
leaves only whole batches behind.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopdesk import paths
from shopdesk.cli import main
from shopdesk.db import dbkey
from shopdesk.shop import Shop

HOLDER = """
import sys
from pathlib import Path
from shopdesk.db import dbkey
con = dbkey.connect(Path(sys.argv[1]))  # keyed as the app keys it; autocommit
con.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.readline()
con.execute("COMMIT")
"""


class Holder:
    """Another process that holds the database's write lock until `release()`."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(paths.database_path(root))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None and self.proc.stdout.readline() == "held\n"

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("go\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)


@pytest.fixture
def holder(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> Iterator[Holder]:
    monkeypatch.setenv("SHOPDESK_BUSY_TIMEOUT", "1")
    held = Holder(shop.root)
    yield held
    held.release()


def write_file(path: Path, rows: int, bad_line: int | None = None) -> None:
    lines = [f"P{n},Held,+447411{n:06d}" for n in range(rows)]
    if bad_line is not None:
        lines[bad_line - 2] = "Bad,Phone,12"
    path.write_text("first_name,last_name,phone\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")


@pytest.mark.parametrize("command", [
    ["search", "Olivia"], ["settings", "list"], ["staff", "list"], ["audit", "verify"],
    ["tickets", "list"], ["sync", "status"], ["conflicts", "list"],
])
def test_reading_commands_do_not_wait_for_a_writer(shop: Shop, holder: Holder,
                                                   command: list[str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    code = main([*command, "--data-dir", str(shop.root)])
    assert code in (0, 1), capsys.readouterr()  # `search` finding nothing is 1
    assert time.perf_counter() - started < 5
    assert "locked" not in capsys.readouterr().err


def test_a_write_gives_up_with_one_line(shop: Shop, holder: Holder,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    assert main(["settings", "set", "shop.name", "Held", "--data-dir", str(shop.root)]) == 1
    waited = time.perf_counter() - started
    err = capsys.readouterr().err
    assert err == ("shopdesk: error: the database is busy (another shopdesk is importing "
                   "or syncing?); try again\n")
    assert 1 <= waited < 6


def test_a_write_waits_for_a_short_lock(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPDESK_BUSY_TIMEOUT", "20")
    held = Holder(shop.root)
    threading.Timer(1.5, held.release).start()
    assert main(["settings", "set", "shop.name", "Waited", "--data-dir", str(shop.root)]) == 0
    assert shop.settings.get("shop.name") == "Waited"


def test_an_import_on_a_busy_database_reports_and_writes_its_rejects(
        shop: Shop, holder: Holder, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "held.csv"
    write_file(source, 50, bad_line=3)
    assert main(["import", "customers", str(source), "--data-dir", str(shop.root)]) == 1
    out, err = capsys.readouterr()
    assert "imported 0 of the 50 rows read" in out
    assert "rejected 1 rows; written to" in out
    last = err.strip().splitlines()[-1]
    assert last.startswith("shopdesk: error: import stopped: the database is busy")
    assert "rows from line 2 on were not imported" in last
    assert (tmp_path / "held.rejects.csv").read_text(encoding="utf-8").count("\n") == 2
    holder.release()
    assert shop.customers.count() == 0


def test_an_import_stopped_half_way_keeps_whole_batches(
        shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another process takes the write lock while the second batch is being read:
    # the first batch (2000 rows) stays, the second is not half-written.
    monkeypatch.setenv("SHOPDESK_BUSY_TIMEOUT", "0.5")
    other = dbkey.connect(paths.database_path(shop.root))

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for n in range(5000):
            if n == 2500:
                other.execute("BEGIN IMMEDIATE")
            yield n + 2, {"first_name": f"P{n}", "last_name": "Half",
                          "phone": f"+447422{n:06d}"}

    with Shop.open(shop.root) as busy:
        busy.act_as_system("test")
        report = busy.transfer.import_rows(rows(), 5000)
    other.execute("COMMIT")
    other.close()
    assert report.imported == 2000 == shop.customers.count()
    assert report.stopped is not None and "database is busy" in report.stopped
    assert report.resume_line == 2002  # the first line of the batch that did not go in
    assert "rows from line 2002 on were not imported" in (report.stop_reason() or "")
    assert shop.audit.verify().ok


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_during_an_import_prints_the_summary(shop: Shop, tmp_path: Path) -> None:
    source = tmp_path / "long.csv"
    write_file(source, 30000, bad_line=5)
    proc = subprocess.Popen(
        [sys.executable, "-m", "shopdesk", "import", "customers", str(source),
         "--data-dir", str(shop.root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    assert proc.stderr is not None
    for _ in range(3):  # progress at 0%, 10%, 20%: some batches are committed
        line = proc.stderr.readline()
        assert "importing" in line, line
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    imported = int(out.split("imported ")[1].split(" of")[0])
    assert 0 < imported < 29999
    # The batch in hand went in, then it stopped: line 5 was rejected, so the first
    # line not imported is the one after the last imported row.
    assert f"import interrupted (Ctrl-C) (rows from line {imported + 3} on were not " \
           "imported" in err
    assert "rejected 1 rows" in out and (tmp_path / "long.rejects.csv").is_file()
    assert shop.customers.count() == imported
    assert shop.audit.verify().ok


def test_opening_a_shop_does_not_write(shop: Shop, holder: Holder) -> None:
    started = time.perf_counter()
    with Shop.open(shop.root) as other:
        assert other.store.node_tag == shop.store.node_tag
    assert time.perf_counter() - started < 5
