"""Garbage collection on the GUI thread only (Anki's GarbageCollector).

Python's cyclic collector runs on whichever thread happens to allocate when a
threshold is crossed. If that is a worker thread and the garbage holds Qt
widgets, Qt destroys them off the GUI thread and the process can crash. So
automatic collection is switched off and a timer collects on the GUI thread.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000


class GarbageCollector(QObject):
    """Create once, on the GUI thread, after the QApplication exists."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(INTERVAL_MS)

    def check(self) -> None:
        counts = gc.get_count()
        if counts[0] > self.threshold[0]:
            gc.collect(0)
            if counts[1] > self.threshold[1]:
                gc.collect(1)
                if counts[2] > self.threshold[2]:
                    gc.collect()

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()
