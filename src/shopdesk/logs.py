"""Logging to a rotating file in the data directory (never secrets, never customer data)."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import sys
from pathlib import Path
from types import TracebackType

from shopdesk import private_files

FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates each log file readable by the user only (rotation renames, keeping it)."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                     private_files.FILE_MODE)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def configure(root: Path, level: int = logging.INFO) -> Path:
    """Log to ``<root>/logs/shopdesk.log`` (5 files of 1 MB) and record crashes there."""
    folder = private_files.private_dir(root / "logs")
    target = folder / "shopdesk.log"
    handler = _PrivateRotatingFileHandler(target, maxBytes=1_000_000, backupCount=5,
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
