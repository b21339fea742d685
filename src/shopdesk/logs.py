"""Logging to a rotating file in the data directory (never secrets, never customer data)."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path
from types import TracebackType

FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


def configure(root: Path, level: int = logging.INFO) -> Path:
    """Log to ``<root>/logs/shopdesk.log`` (5 files of 1 MB) and record crashes there."""
    folder = root / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "shopdesk.log"
    handler = logging.handlers.RotatingFileHandler(target, maxBytes=1_000_000, backupCount=5,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger("shopdesk")
    logger.setLevel(level)
    logger.addHandler(handler)
    previous = sys.excepthook

    def log_crash(kind: type[BaseException], error: BaseException,
                  tb: TracebackType | None) -> None:
        logger.critical("unhandled exception", exc_info=(kind, error, tb))
        previous(kind, error, tb)

    sys.excepthook = log_crash
    return target
