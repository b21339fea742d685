"""Child of bench/foundation.py: the real start path, timed from process creation.

argv: DATA_DIR USERNAME SECRET PARENT_LAUNCH_EPOCH. Prints "READY <seconds>"
when the main window has shown its first result list, measured from the
moment the parent launched this process (so interpreter start-up counts).
"""

from __future__ import annotations

import sys
import time

from shopdesk.shop import Shop
from shopdesk.ui.app import application, build_main_window


def main() -> None:
    root, username, secret, launched = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    app = application()
    shop = Shop.open(root)  # checks the schema revision, as every start does
    shop.sign_in(username, secret)  # what the sign-in dialog does on Enter
    window = build_main_window(shop)

    def on_ready() -> None:
        print(f"READY {time.time() - launched:.3f} rows={window.isVisible()}", flush=True)
        window.shutdown()
        app.quit()

    window.ready.connect(on_ready)
    window.show()
    app.exec()
    shop.close()


if __name__ == "__main__":
    main()
