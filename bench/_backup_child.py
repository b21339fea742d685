"""Child of bench/backup.py: the window in use while it takes a backup.

argv: DATA_DIR USERNAME SECRET. Opens the main window (offscreen), lets it finish
its start-up work, then keeps it busy as a counter would (a search typed every
300 ms, a customer registered every second, both through the window's task
manager), presses Back up now and measures, with a 5 ms timer on the GUI thread,
the longest time the event loop did not answer while the backup ran. Prints
"BACKUP <seconds> <longest stall ms> <p99 stall ms> <writes during> <name>".
"""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QTimer

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop
from shopdesk.ui.app import application, build_main_window


def main() -> None:
    root, username, secret = sys.argv[1], sys.argv[2], sys.argv[3]
    app = application()
    shop = Shop.open(root)
    shop.sign_in(username, secret)
    shop.search_engine.warm()
    window = build_main_window(shop)
    controls = window.backup_ui
    gaps: list[float] = []
    last: list[float] = []
    state = {"started": 0.0, "seen": False, "writes": 0, "n": 0, "done": False}

    def tick() -> None:
        now = time.perf_counter()
        if last and controls.runner.running.is_set():
            gaps.append(now - last[0])
        last[:] = [now]
        if controls.runner.running.is_set():
            state["seen"] = True
        elif state["seen"]:
            finish()

    def use() -> None:  # staff at the counter
        state["n"] += 1
        n = int(state["n"])
        window.search.box.setText(("smith", "07400", "maria", "jo")[n % 4])
        if n % 3 == 0:
            data = CustomerInput(first_name="Bench", last_name=f"Counter{n}",
                                 phone=f"+44 7999 8{n:05d}")
            window.ops.write(None, lambda: shop.customers.register(data),
                             lambda _r: state.__setitem__("writes", state["writes"] + 1))

    def finish() -> None:
        if state["done"]:
            return
        state["done"] = True  # once: the timers may tick again before the loop ends
        timer.stop()
        busy.stop()
        took = time.perf_counter() - state["started"]
        ordered = sorted(gaps) or [0.0]
        found = shop.backups.available()
        if not found:  # the backup failed: say why and end (not wait for the timeout)
            print(f"FAILED {shop.backups.status().last}", flush=True)
            window.shutdown()
            app.quit()
            return
        name = found[0].name
        print(f"BACKUP {took:.1f} {ordered[-1] * 1000:.0f} "
              f"{ordered[int(len(ordered) * 0.99)] * 1000:.0f} {state['writes']} {name}",
              flush=True)
        window.shutdown()
        app.quit()

    def start() -> None:
        state["started"] = time.perf_counter()
        controls.back_up_now()

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    busy = QTimer()
    busy.setInterval(300)
    busy.timeout.connect(use)

    def ready() -> None:
        timer.start()
        busy.start()
        QTimer.singleShot(2000, start)

    window.ready.connect(ready)
    window.show()
    app.exec()
    shop.close()


if __name__ == "__main__":
    main()
