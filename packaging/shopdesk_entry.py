"""The frozen programs' entry script (shopdesk.spec): both executables run it.

`shopdesk-cli` (`shopdesk-cli.exe`) is the console program: the command line,
help when no verb is given. `shopdesk` is the window program (a verb still runs
the command line).
"""

import sys
from pathlib import Path

from shopdesk.main import cli_main, main

if __name__ == "__main__":
    # sys.executable on Windows and macOS; argv[0] where shopdesk-cli is a symlink (Linux).
    names = {Path(sys.executable).stem.lower(), Path(sys.argv[0]).stem.lower()}
    raise SystemExit(cli_main() if "shopdesk-cli" in names else main())
