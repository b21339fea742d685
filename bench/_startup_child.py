"""Child of bench/foundation.py: the real start path, timed from process creation.

argv: DATA_DIR USERNAME SECRET PARENT_LAUNCH_EPOCH [--memory]. Prints
"READY <seconds>" when the main window has shown its first result list,
measured from the moment the parent launched this process (so interpreter
start-up counts). With --memory it then builds the search index, runs a few
searches, and prints "RSS <MB>": the resident memory of the running app.
"""

from __future__ import annotations

import os
import sys
import time

# Without an OS keyring (a headless machine, a child process) the database key comes
# from a passphrase, as on a headless shop computer.
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")

from shopdesk.shop import Shop
from shopdesk.ui.app import application, build_main_window


def rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # not on Windows; the benchmark runs on Linux

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    root, username, secret, launched = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    app = application()
    shop = Shop.open(root)  # checks the schema revision, as every start does
    shop.sign_in(username, secret)  # what the sign-in dialog does on Enter
    window = build_main_window(shop)

    def on_ready() -> None:
        print(f"READY {time.time() - launched:.3f}", flush=True)
        if "--memory" in sys.argv:
            shop.search_engine.warm()
            for query in ("smith", "07400 123456", "maria garcia", "jo"):
                shop.search(query, 20)
            print(f"RSS {rss_mb():.0f} index={shop.search_engine.index_size}", flush=True)
        window.shutdown()
        app.quit()

    window.ready.connect(on_ready)
    window.show()
    app.exec()
    shop.close()


if __name__ == "__main__":
    main()
