"""The UI's training worker: ``python -m twoface.ui.worker WORKSPACE MODEL train ARGS...``.

Holds ``jobs/train.lock`` for its whole life (so one job runs per workspace, and the lock goes
when the process does, however it ends), records itself in ``jobs/train.json`` and runs the
``twoface train`` command line it was given. SIGINT (the page's Stop) is Ctrl-C to it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from twoface.extract.faceset import atomic_write_text
from twoface.ui.jobs import BUSY, LOCK, LOG, RECORD, try_lock

LOCK_WAIT = 3.0  # seconds to wait for the lock: the page may hold it shared for a moment


def _take_lock(jobs: Path):
    fh = open(jobs / LOCK, "a+")  # noqa: SIM115 (held until the process ends)
    deadline = time.monotonic() + LOCK_WAIT
    while not try_lock(fh):
        if time.monotonic() > deadline:
            fh.close()
            return None
        time.sleep(0.05)
    return fh


def _record(jobs: Path, **fields) -> None:
    atomic_write_text(jobs / RECORD, json.dumps(fields, indent=1))


def main(argv: list[str]) -> int:
    from twoface import cli

    root, model, *train_argv = argv
    jobs = Path(root) / "jobs"
    lock = _take_lock(jobs)
    if lock is None:  # says nothing: the log is the running job's (start() reports BUSY)
        return BUSY
    with open(jobs / LOG, "a") as fh:  # this job's log from here (stdout appends to it)
        fh.truncate(0)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Stop = Ctrl-C, even if inherited off
    if hasattr(signal, "SIGBREAK"):  # Windows: the page sends CTRL_BREAK_EVENT
        signal.signal(signal.SIGBREAK, signal.default_int_handler)
    info = {"pid": os.getpid(), "model": model, "argv": train_argv, "started": time.time()}
    _record(jobs, **info, state="running")
    code = 1
    try:
        code = cli.main(train_argv)
    finally:
        for sig in (signal.SIGINT, getattr(signal, "SIGBREAK", None)):  # a second Stop must
            if sig is not None:  # not cut the record (SIGBREAK: the page's Stop on Windows)
                signal.signal(sig, signal.SIG_IGN)
        state = "finished" if code in (0, 130) else "failed"
        _record(jobs, **info, state=state, exit_code=code, ended=time.time())
        sys.stdout.flush()
        lock.close()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
