"""Background training for the UI: ``twoface train`` in its own process, which outlives the page
and the server, one at a time per workspace.

The worker (:mod:`twoface.ui.worker`) holds an exclusive lock on ``jobs/train.lock`` while it
runs and writes ``jobs/train.json`` (pid, model, state, exit code) and ``jobs/train.log``
(everything ``twoface train`` says). Stopping sends it SIGINT, which is Ctrl-C to
``twoface train``: the step in progress ends, a save in progress completes, the model is saved.
What the page shows (step, faces/s, preview, loss plot) is read from the model folder, which the
run saves every ``save_every`` steps.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from twoface.errors import TwofaceError
from twoface.ui.workspace import Workspace

LOCK, RECORD, LOG = "train.lock", "train.json", "train.log"
START_LOCK = "start.lock"  # held by a start() from its check to the worker holding LOCK
START_WAIT = 30.0  # seconds a second Start waits for the first to settle
UI_SAVE_EVERY = 25  # steps between saves: how often the page's preview can change


@dataclass(frozen=True)
class TrainRequest:
    """What the page asks for: ``model`` (a name in ``models/``), face sets by name (None on a
    resume keeps the model's own), ``arch`` (None: the default, or the model's own), a budget."""

    model: str
    faceset_a: str | None = None
    faceset_b: str | None = None
    arch: str | None = None
    minutes: float | None = None
    iterations: int | None = None
    save_every: int = UI_SAVE_EVERY

    def argv(self, ws: Workspace) -> list[str]:
        """The ``twoface train`` command line for this request."""
        args = ["train", "-m", str(ws.model(self.model)), "--quiet", "--save-every", str(self.save_every)]
        for flag, name in (("-A", self.faceset_a), ("-B", self.faceset_b)):
            if name:
                args += [flag, str(ws.faceset(name))]
        if self.arch:
            args += ["--model", self.arch]
        if self.minutes:
            args += ["--minutes", f"{self.minutes:g}"]
        if self.iterations:
            args += ["--iterations", str(self.iterations)]
        return args


@dataclass(frozen=True)
class JobStatus:
    """The workspace's training job as the page shows it. ``state``: ``none`` (never run),
    ``running``, ``finished`` or ``failed``; ``step``/``faces_s`` from the model's saved log."""

    state: str
    model: str | None = None
    step: int = 0
    faces_s: float = 0.0
    message: str = ""

    def line(self) -> str:
        if self.state == "none":
            return "no training job has run in this workspace"
        rate = f", {self.faces_s:.1f} faces/s" if self.faces_s else ""
        text = f"{self.model}: {self.state}, step {self.step}{rate}"
        return f"{text}. {self.message}" if self.message else text


def _jobs(ws: Workspace) -> Path:
    return ws.folder("jobs")


def is_running(ws: Workspace) -> bool:
    """True while a worker holds the workspace's training lock."""
    path = _jobs(ws) / LOCK
    if not path.exists():
        return False
    with open(path, "a+") as fh:
        if not try_lock(fh, shared=True):
            return True
        unlock(fh)
    return False


def try_lock(fh, shared: bool = False) -> bool:
    """Non-blocking lock of an open file (POSIX flock; Windows: msvcrt, exclusive only)."""
    try:
        import fcntl

        fcntl.flock(fh.fileno(), (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False


def unlock(fh) -> None:
    try:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    except ImportError:
        import msvcrt

        with contextlib.suppress(OSError):
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)


def read_record(ws: Workspace) -> dict:
    """``jobs/train.json``, or ``{}`` when no job has run (or the file is damaged)."""
    try:
        return json.loads((_jobs(ws) / RECORD).read_text())
    except (OSError, ValueError):
        return {}


def check_request(ws: Workspace, req: TrainRequest) -> None:
    """Refuse what cannot start, with one line: a job already running, a missing or empty face
    set, a new model without both face sets, a resume with another architecture."""
    if is_running(ws):
        running = read_record(ws).get("model", "?")
        raise TwofaceError(req.model, f"a training job is already running here ({running}); stop it first")
    folder = ws.model(req.model)
    if (folder / "model.json").exists():
        stored = stored_arch(folder)
        if req.arch and stored != req.arch:
            raise TwofaceError(
                req.model, f"holds a {stored} model, not {req.arch}; pick {stored} or a new name"
            )
    elif not (req.faceset_a and req.faceset_b):
        raise TwofaceError(req.model, "a new model needs face sets A and B")
    for name in (req.faceset_a, req.faceset_b):
        if name:
            _check_faceset(ws.faceset(name))


def stored_arch(folder: Path) -> str | None:
    """The architecture a model folder holds (None: no model there yet); TwofaceError when its
    ``model.json`` is damaged."""
    meta_path = folder / "model.json"
    if not meta_path.exists():
        return None
    try:
        return json.loads(meta_path.read_text()).get("model")
    except ValueError:
        raise TwofaceError(meta_path, "damaged model.json") from None


def _check_faceset(path: Path) -> None:
    jsonl = path / "faces.jsonl"
    if not jsonl.exists():
        raise TwofaceError(path.name, "no such face set in the workspace")
    with open(jsonl) as fh:
        if not any(line.strip() for line in fh):
            raise TwofaceError(path.name, "face set is empty: extract faces into it first")


def start(ws: Workspace, req: TrainRequest, wait: float = 120.0) -> JobStatus:
    """Start ``twoface train`` for ``req`` in a background process (after :func:`check_request`)
    and wait (up to ``wait`` s) until it holds the lock, so that a second start is refused. Two
    starts at once are taken in turn (``jobs/start.lock``, held until the worker holds its lock
    or has exited): the second sees the first's job and is refused."""
    with _start_lock(ws, wait + START_WAIT):
        check_request(ws, req)
        proc = _spawn(ws, req)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and proc.poll() is None:
            if read_record(ws).get("pid") == proc.pid and is_running(ws):
                break
            time.sleep(0.05)
        if proc.poll() == BUSY:
            raise TwofaceError(req.model, "another training job holds this workspace; stop it first")
    return status(ws)


BUSY = 4  # the worker's exit code when another worker holds the lock


@contextlib.contextmanager
def _start_lock(ws: Workspace, patience: float):
    with open(_jobs(ws) / START_LOCK, "a+") as fh:
        deadline = time.monotonic() + patience
        while not try_lock(fh):
            if time.monotonic() > deadline:
                raise TwofaceError("training", "another Start is still starting; try again")
            time.sleep(0.05)
        try:
            yield
        finally:
            unlock(fh)


def _spawn(ws: Workspace, req: TrainRequest) -> subprocess.Popen:
    log = open(_jobs(ws) / LOG, "a")  # noqa: SIM115 (the child's; it empties it once it holds LOCK)
    flags = subprocess.CREATE_NEW_PROCESS_GROUP if sys.platform == "win32" else 0
    with log:
        return subprocess.Popen(
            [sys.executable, "-m", "twoface.ui.worker", str(ws.root), req.model, *req.argv(ws)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=sys.platform != "win32",
            creationflags=flags,
        )


def stop(ws: Workspace, wait: float = 300.0) -> JobStatus:
    """Ctrl-C the running job and wait (up to ``wait`` s) until it has saved and exited."""
    record = read_record(ws)
    if not is_running(ws) or "pid" not in record:
        raise TwofaceError(record.get("model", "training"), "no training job is running")
    sig = signal.CTRL_BREAK_EVENT if sys.platform == "win32" else signal.SIGINT
    with contextlib.suppress(ProcessLookupError):
        os.kill(record["pid"], sig)
    deadline = time.monotonic() + wait
    while is_running(ws) and time.monotonic() < deadline:
        time.sleep(0.1)
    return status(ws)


def status(ws: Workspace) -> JobStatus:
    """The job's state, with the model's step and faces/s and the log's last problem line."""
    record = read_record(ws)
    if not record:
        return JobStatus("none")
    running = is_running(ws)
    if not running:  # read again: the worker writes its last record before it lets go of LOCK
        record = read_record(ws) or record
    model, recorded = record.get("model"), record.get("state", "failed")
    message = _last_problem(ws)
    if running:
        state = "running" if recorded == "running" else "starting"
    elif recorded == "running":  # the worker died without its finally: SIGKILL, out of memory
        state, message = "failed", DIED
    else:
        state = recorded
    step, rate = progress(ws.model(model)) if model else (0, 0.0)
    return JobStatus(state, model, step, rate if state == "running" else 0.0, message)


DIED = "the training process was killed (out of memory?); the model holds its last save"


def progress(folder: Path, window: int = 50) -> tuple[int, float]:
    """``(step, faces/s)`` from a model folder's saved ``loss.csv`` and ``model.json`` (the rate
    over the last ``window`` logged steps of this run; 0 before two rows)."""
    try:
        rows = (folder / "loss.csv").read_text().strip().splitlines()[1:]
        batch = json.loads((folder / "model.json").read_text())["config"]["batch"]
        if not rows:
            return 0, 0.0
        last = rows[-1].split(",")
        first = rows[max(0, len(rows) - window)].split(",")
        steps, seconds = int(last[0]) - int(first[0]), float(last[3]) - float(first[3])
    except (OSError, ValueError, KeyError, IndexError, TypeError):  # missing, half-written
        return 0, 0.0
    rate = 2 * batch * steps / seconds if steps > 0 and seconds > 0 else 0.0
    return int(last[0]), rate


def _last_problem(ws: Workspace) -> str:
    """The last ``twoface: ...`` line of the job's log (what the CLI would have shown)."""
    try:
        lines = (_jobs(ws) / LOG).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    said = [ln.removeprefix("twoface: ") for ln in lines if ln.startswith("twoface: ")]
    return said[-1] if said else ""


def log_tail(ws: Workspace, lines: int = 12) -> str:
    try:
        return "\n".join((_jobs(ws) / LOG).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
