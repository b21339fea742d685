"""The start-up path imports only what a counter needs before its first print or message.

ReportLab (17 MB), PDFium (10 MB) and requests (18 MB with urllib3) are loaded on first
use: together they were a sixth of the app's memory at a million customers (issue 13's
memory budget) and a fifth of its import time. A fresh interpreter, as at start-up.
(tests/core/test_printing.py draws through `shopdesk.printing`'s lazy names.)
"""

from __future__ import annotations

import json
import subprocess
import sys

LAZY = ("reportlab", "pypdfium2", "requests", "urllib3", "PIL", "alembic", "psycopg", "faker")


def test_the_window_and_the_shop_import_no_printing_or_http_library() -> None:
    code = ("import json, sys\nimport shopdesk.shop, shopdesk.ui.main_window, shopdesk.ui.app\n"
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(LAZY)!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []

