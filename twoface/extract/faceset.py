"""The FaceSet: the folder extract writes and train reads.

Layout (DESIGN.md, "Data that flows", FaceSet)::

    faceset.json     {"format_version", "crop": CropSpec, "sources": {path: progress}}
    faces.jsonl      one JSON record per face (keys below), appended as faces are saved
    faces/NAME.png   the aligned RGB crop of each record, ``crop_size`` px square

``crop`` in ``faceset.json`` is the framing (margin) and the largest crop size; each record's
``crop_size`` says the size its crop was stored at (the face's own resolution, capped; see
:data:`twoface.extract.align.STORE_SPEC`). Records from before per-face sizes have no
``crop_size``: their crops are ``crop.size`` px, as the face set says.

Crop files are named ``<source tag>_<frame:06d>_<face>.png``: the DESIGN's
``000123_0.png`` with a short tag of the source in front, so that several sources can share
one set without clashing. A PNG is written before its record, so a record never names a
missing file, and a crash loses at most the last (possibly truncated) line, which readers skip.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
from dataclasses import dataclass, field, fields
from pathlib import Path

import cv2
import numpy as np

from twoface.errors import TwofaceError
from twoface.types import CropSpec

FORMAT_VERSION = 1
JSONL = "faces.jsonl"
META = "faceset.json"
FACES = "faces"


@dataclass(frozen=True)
class FaceRecord:
    """One line of ``faces.jsonl``. Coordinates are frame pixels of ``source``;
    ``crop_from_frame`` is the 2x3 matrix into the stored crop; ``embedding`` 128 floats."""

    file: str
    source: str
    frame_index: int
    pts: float
    box: tuple[float, float, float, float]
    score: float
    landmarks: tuple  # 68 x 2
    crop_from_frame: tuple  # 2 x 3
    embedding: tuple  # 128
    blur: float
    crop_size: int = 0  # px of the stored crop; 0: the face set's crop size (older sets)
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        if not self.crop_size:
            del data["crop_size"]
        data.update(self.extra)
        return json.dumps(data, separators=(",", ":"))

    @staticmethod
    def from_json(line: str) -> FaceRecord:
        """A record from one JSON line; ValueError when a key is missing or has the wrong type
        or shape (a damaged line must not reach the arrays that use it)."""
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("a face record is a JSON object")
        names = {f.name for f in fields(FaceRecord)} - {"extra"}
        known = {k: data.pop(k) for k in list(data) if k in names}
        missing = names - {"crop_size"} - set(known)
        if missing:
            raise ValueError(f"missing {', '.join(sorted(missing))}")
        file, source = known["file"], known["source"]
        if not (isinstance(file, str) and file and Path(file).name == file and isinstance(source, str)):
            raise ValueError("file must be a plain file name and source a string")
        known["box"] = _numbers(known["box"], (4,))
        known["landmarks"] = _numbers(known["landmarks"], (68, 2))
        known["crop_from_frame"] = _numbers(known["crop_from_frame"], (2, 3))
        known["embedding"] = _numbers(known["embedding"], (128,))
        for key in ("frame_index", "crop_size"):
            value = known.get(key, 0)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**9:
                raise ValueError(f"{key} must be a whole number >= 0")
        for key in ("pts", "score", "blur"):
            known[key] = float(_numbers(known[key], ()))
        return FaceRecord(**known, extra=data)

    @property
    def key(self) -> tuple[str, int]:
        return (self.source, self.frame_index)

    def landmarks_array(self) -> np.ndarray:
        return np.array(self.landmarks, dtype=np.float64)

    def embedding_array(self) -> np.ndarray:
        return np.array(self.embedding, dtype=np.float32)


def _numbers(value, shape: tuple[int, ...]) -> tuple:
    """``value`` as nested tuples of finite floats of ``shape`` (a scalar for ``()``)."""
    if isinstance(value, bool) or (shape == () and not isinstance(value, int | float)):
        raise ValueError(f"expected a number, not {value!r}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"expected numbers of shape {shape}") from None
    if array.shape != shape or not np.isfinite(array).all():
        raise ValueError(f"expected finite numbers of shape {shape}, not {array.shape}")
    return array.item() if shape == () else tuple(map(tuple, array)) if array.ndim == 2 else tuple(array)


def source_tag(source: str) -> str:
    """Short, stable, file-name-safe tag for a source path: its stem and a hash."""
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in Path(source).stem)[:24]
    digest = hashlib.sha1(source.encode()).hexdigest()[:6]
    return f"{stem}-{digest}"


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class FaceSet:
    """A FaceSet folder on disk. ``FaceSet.open`` reads one, ``FaceSet.create`` makes or
    reopens one for writing."""

    def __init__(self, root: Path, meta: dict) -> None:
        self.root = Path(root)
        self.meta = meta

    @property
    def crop_spec(self) -> CropSpec:
        return CropSpec.from_json(self.meta["crop"])

    def spec_of(self, record: FaceRecord) -> CropSpec:
        """The framing and size of ``record``'s stored crop."""
        spec = self.crop_spec
        return CropSpec(record.crop_size or spec.size, spec.margin)

    @property
    def faces_dir(self) -> Path:
        return self.root / FACES

    @staticmethod
    def open(root: str | Path) -> FaceSet:
        root = Path(root)
        meta_path = root / META
        if not meta_path.is_file():
            raise TwofaceError(root, f"not a face set (no {META}); make one with 'twoface extract'")
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise TwofaceError(meta_path, f"unreadable face set metadata ({exc})") from None
        if meta.get("format_version") != FORMAT_VERSION:
            raise TwofaceError(
                meta_path, f"face set format {meta.get('format_version')} is not {FORMAT_VERSION}"
            )
        return FaceSet(root, meta)

    @staticmethod
    def create(root: str | Path, spec: CropSpec) -> FaceSet:
        root = Path(root)
        if (root / META).exists():
            faceset = FaceSet.open(root)
            if faceset.crop_spec.margin != spec.margin:
                raise TwofaceError(root, f"face set holds {faceset.crop_spec}, not {spec}")
            return faceset  # an older set keeps its own (smaller) largest crop size
        if root.exists() and any(root.iterdir()):
            raise TwofaceError(root, "folder exists and is not a face set; choose an empty or new folder")
        (root / FACES).mkdir(parents=True, exist_ok=True)
        faceset = FaceSet(root, {"format_version": FORMAT_VERSION, "crop": spec.to_json(), "sources": {}})
        faceset.save_meta()
        return faceset

    def save_meta(self) -> None:
        atomic_write_text(self.root / META, json.dumps(self.meta, indent=1) + "\n")

    def records(self) -> list[FaceRecord]:
        """All readable records. A truncated or damaged line (a crash mid-write, a hand edit)
        is skipped and kept in :attr:`damaged` (the raw lines), so that a rewrite keeps it and
        callers can say how many there are (:meth:`damaged_note`)."""
        path = self.root / JSONL
        self.damaged: list[str] = []
        if not path.exists():
            return []
        out = []
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    out.append(FaceRecord.from_json(line))
                except (ValueError, KeyError, TypeError):  # JSONDecodeError is a ValueError
                    self.damaged.append(line.rstrip("\n"))
        return out

    def damaged_note(self) -> str | None:
        """One line for the user when the last :meth:`records` skipped damaged lines."""
        n = len(getattr(self, "damaged", ()))
        if not n:
            return None
        return f"{self.root / JSONL}: {n} damaged line{'s' * (n > 1)} skipped (kept in the file as they are)"

    def load_crop(self, record: FaceRecord) -> np.ndarray:
        """The stored aligned crop of ``record`` as RGB uint8."""
        path = self.faces_dir / record.file
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise TwofaceError(path, "missing or unreadable face crop")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def rewrite_records(self, records: list[FaceRecord]) -> None:
        """Replace ``faces.jsonl`` atomically with ``records`` in this order, followed by the
        damaged lines the last :meth:`records` skipped, unchanged (nothing a user had is lost)."""
        lines = [r.to_json() for r in records] + list(getattr(self, "damaged", ()))
        atomic_write_text(self.root / JSONL, "".join(line + "\n" for line in lines))


class FaceWriter:
    """Saves crops and records on a background thread (PNG encoding releases the GIL).

    ``put`` queues a face; an error while saving (a full disk, say, or any other) stops the
    writing and is raised as TwofaceError by the next ``put`` or by ``close``; the thread keeps
    draining the queue, so neither ever blocks on a dead writer. Everything queued before
    ``close`` is on disk when it returns (up to the first error).
    """

    def __init__(self, faceset: FaceSet, max_queue: int = 64) -> None:
        self.faceset = faceset
        self._queue: queue.Queue = queue.Queue(max_queue)
        self._error: TwofaceError | None = None
        self._jsonl = open(faceset.root / JSONL, "a")  # noqa: SIM115 (closed in close())
        self.written = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._save(*item)
                except OSError as exc:
                    self._error = TwofaceError(self.faceset.root, f"cannot save faces: {exc.strerror or exc}")
                except Exception as exc:  # any other failure: reported the same way, never fatal
                    self._error = TwofaceError(self.faceset.root, f"cannot save faces: {exc!r}")

    def _save(self, record: FaceRecord, crop: np.ndarray) -> None:
        ok, png = cv2.imencode(
            ".png", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 3]
        )
        if not ok:
            raise OSError(f"PNG encoding failed for {record.file}")
        with open(self.faceset.faces_dir / record.file, "wb") as fh:
            fh.write(png.tobytes())
        self._jsonl.write(record.to_json() + "\n")
        self._jsonl.flush()
        self.written += 1

    def put(self, record: FaceRecord, crop: np.ndarray) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((record, crop))

    def close(self) -> None:
        """Finish every queued face, close the log, and raise any error met on the way."""
        self._queue.put(None)
        self._thread.join()
        try:
            self._jsonl.close()
        except OSError as exc:
            self._error = self._error or TwofaceError(self.faceset.root, f"cannot save faces: {exc}")
        if self._error is not None:
            raise self._error
