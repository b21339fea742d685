"""Child of bench/repairs.py: the ticket board screen, timed from show to rows on screen.

argv: DATA_DIR. Prints "BOARD <ms> <rows>" per run (a fresh page each run).
"""

from __future__ import annotations

import os
import sys
import time

# Without an OS keyring (a headless machine, a child process) the database key comes
# from a passphrase, as on a headless shop computer.
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")

from shopdesk.shop import Shop
from shopdesk.ui.app import application
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.repairs.ticket_board import TicketBoard


def main() -> None:
    app = application()
    shop = Shop.open(sys.argv[1])
    shop.act_as_system("bench")
    ops = TaskManager()
    for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 10):
        board = TicketBoard(shop, ops)
        board.resize(1100, 700)
        done: list[int] = []
        board.loaded.connect(done.append)
        started = time.perf_counter()
        board.show()
        board.start()
        while not done:
            app.processEvents()
            time.sleep(0.0005)
        app.processEvents()  # paint the rows
        print(f"BOARD {(time.perf_counter() - started) * 1000:.1f} {done[0]}", flush=True)
        board.deleteLater()
    ops.shutdown()
    shop.close()


if __name__ == "__main__":
    main()
