"""Entry point of the `shopdesk` command: the window, or a command-line verb.

With no verb (or `gui`) the Qt application starts; any other verb goes to the
Qt-free command line in `shopdesk.cli`, so scripts never load Qt.
"""

from __future__ import annotations

import sys

from shopdesk import cli, logs, paths


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if cli.wants_gui(args):
        from shopdesk.ui.app import run_gui

        data_dir = cli.gui_data_dir(args)
        logs.configure(paths.data_dir(data_dir))
        return run_gui(data_dir)
    return cli.main(args)
