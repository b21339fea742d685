"""`python -m shopdesk` runs the same entry point as the `shopdesk` command."""

from shopdesk.main import main

if __name__ == "__main__":
    raise SystemExit(main())
