"""How long the GUI thread itself froze between two timer ticks, on a shared machine.

Linux counts per thread the time runnable but not running (/proc/self/task/*/schedstat).
Taken off each gap: the GUI thread's own wait for a CPU, and, of the time it was
blocked, as much as the other threads waited for one. Elsewhere nothing is taken off.
Used by the typing and nightly-pass stall tests.
"""

from __future__ import annotations

import time
from pathlib import Path

TASKS = Path("/proc/self/task")


def clocks() -> tuple[float, float, float, float]:
    """(wall, this thread's CPU time, its wait for a CPU, the other threads' waits)."""
    mine = Path("/proc/thread-self/schedstat")
    try:
        own = int(mine.read_text().split()[1])
        others = sum(int((task / "schedstat").read_text().split()[1])
                     for task in TASKS.iterdir()) - own
    except (OSError, IndexError, ValueError):
        own = others = 0
    return time.perf_counter(), time.thread_time(), own / 1e9, others / 1e9


def stall_ms(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    wall, cpu, queued, others = (b[i] - a[i] for i in range(4))
    blocked = max(0.0, wall - queued - cpu)
    return (wall - queued - min(blocked, max(0.0, others))) * 1000
