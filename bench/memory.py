"""Peak resident memory of this process, for the benchmarks.

``getrusage().ru_maxrss`` survives ``exec`` on Linux, so a child started by a large parent
reports the parent's peak; ``VmHWM`` in ``/proc/self/status`` belongs to the current program
image only. Falls back to ``ru_maxrss`` where there is no ``/proc``.
"""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
