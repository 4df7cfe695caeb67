"""How long this process ran before a run began: the interpreter's start and the imports, a run's fixed cost.

Measured from the process's start time as the kernel records it (Linux: `/proc/self/stat`, in clock ticks since
boot, against the boot-time clock), so the interpreter's own start and every import before the first line of
longbench are counted. Where there is no /proc, from the moment longbench was first imported (a lower bound).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

#: perf_counter() when longbench was first imported: the fallback's origin.
_IMPORTED = time.perf_counter()


def process_age() -> float:
    """Seconds since this process started (10 ms resolution on Linux)."""
    try:
        stat = Path("/proc/self/stat").read_text()
        # Fields after the command name (which may hold spaces, in parentheses); starttime is field 22 of the line.
        start_ticks = int(stat[stat.rindex(")") + 2:].split()[19])
        return max(time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _IMPORTED
