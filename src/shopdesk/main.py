"""Entry points: `shopdesk` (the window, or a verb) and `shopdesk-cli` (verbs only).

With no verb (or `gui`) `shopdesk` starts the Qt application; any other verb
goes to the Qt-free command line in `shopdesk.cli`, so scripts never load Qt.
`shopdesk-cli` is the same program for a console: with no verb it prints the
help instead of opening the window (the installed bundle ships it as a console
executable beside the windowed one). `--smoke-test` opens the window only as
far as the sign-in (or owner-setup) dialog, says how long that took, and exits:
the check that an installed or frozen copy really starts.
"""

from __future__ import annotations

import time

# Before the imports below, so the smoke test's figure includes loading the app.
STARTED = time.perf_counter()

import sys  # noqa: E402

from shopdesk import cli, logs, paths  # noqa: E402

SMOKE_TEST = "--smoke-test"


def main(argv: list[str] | None = None) -> int:
    """`shopdesk`: the window when no verb is given."""
    return _run(list(sys.argv[1:] if argv is None else argv), window_by_default=True)


def cli_main(argv: list[str] | None = None) -> int:
    """`shopdesk-cli`: the command line; the window only with `gui` or `--smoke-test`."""
    return _run(list(sys.argv[1:] if argv is None else argv), window_by_default=False)


def _run(args: list[str], window_by_default: bool) -> int:
    if SMOKE_TEST in args:
        return _smoke_test([a for a in args if a != SMOKE_TEST])
    if cli.wants_gui(args) and (args or window_by_default):
        from shopdesk.ui.app import run_gui

        data_dir = cli.gui_data_dir(args)
        logs.configure(paths.data_dir(data_dir))
        return run_gui(data_dir)
    return cli.main(args)


def _smoke_test(args: list[str]) -> int:
    if not cli.wants_gui(args):
        print(f"shopdesk: error: {SMOKE_TEST} takes only --data-dir DIR", file=sys.stderr)
        return cli.EXIT_USAGE
    data_dir = cli.gui_data_dir(args)
    try:
        logs.configure(paths.data_dir(data_dir))
    except OSError as exc:
        print(f"smoke-test: failed: the data directory is unusable: {exc}", file=sys.stderr)
        return 1
    from shopdesk.ui.app import smoke_test

    return smoke_test(data_dir, STARTED)
