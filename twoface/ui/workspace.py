"""The UI's workspace: one folder on disk that holds everything the page makes, so that a
reload, a closed tab or a restarted server loses nothing.

Layout (all created on first use)::

    WORKSPACE/
      inputs/    uploads, kept under their own names (a second upload of a name gets _2, _3...)
      faces/     face sets, one folder each (twoface.extract.faceset)
      models/    model folders, one each (twoface train)
      outputs/   converted and one-shot results, previews
      jobs/      the background training job's lock, record and log (twoface.ui.jobs)

Every path a request names is resolved (symlinks followed) and must lie inside the workspace
or one of the extra roots (Gradio's upload folder); :meth:`Workspace.confine` refuses the rest.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from twoface.errors import TwofaceError

FOLDERS = ("inputs", "faces", "models", "outputs", "jobs")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def is_media(path: Path) -> bool:
    """A photo or video by its extension (what ``inputs/`` may hold)."""
    from twoface.media.read import IMAGE_EXTS, VIDEO_EXTS

    return path.suffix.lower() in IMAGE_EXTS | VIDEO_EXTS


def _usable(name: str) -> bool:
    return bool(_NAME.match(name)) and ".." not in name


def check_name(name: str, what: str) -> str:
    """A face-set or model name: letters, digits, ``_ . -``, no path separators, at most 64."""
    name = (name or "").strip()
    if not _usable(name):
        raise TwofaceError(name or "(empty)", f"not a usable {what} name (letters, digits, _ . - only)")
    return name


@dataclass(frozen=True)
class Workspace:
    """``root``: the workspace folder (absolute). ``extra_roots``: other folders whose files a
    request may name (Gradio's upload cache)."""

    root: Path
    extra_roots: tuple[Path, ...] = field(default=())

    @staticmethod
    def open(root: str | Path, extra_roots: tuple[str | Path, ...] = ()) -> Workspace:
        """Create the layout under ``root`` if needed (TwofaceError when it cannot be made)."""
        path = Path(root).expanduser().resolve()
        try:
            for name in FOLDERS:
                (path / name).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TwofaceError(path, f"cannot use as a workspace ({exc.strerror or exc})") from None
        return Workspace(path, tuple(Path(p).resolve() for p in extra_roots))

    def folder(self, name: str) -> Path:
        return self.root / name

    def confine(self, path: str | Path) -> Path:
        """``path`` resolved (relative paths are taken from the workspace root); TwofaceError
        unless it lies inside the workspace or an extra root."""
        raw = Path(path).expanduser()
        resolved = (raw if raw.is_absolute() else self.root / raw).resolve()
        for allowed in (self.root, *self.extra_roots):
            if resolved == allowed or allowed in resolved.parents:
                return resolved
        raise TwofaceError(path, "outside the workspace: refused")

    def faceset(self, name: str) -> Path:
        return self.root / "faces" / check_name(name, "face set")

    def model(self, name: str) -> Path:
        return self.root / "models" / check_name(name, "model")

    def facesets(self) -> list[str]:
        """Names of the face sets (folders with a ``faces.jsonl`` and a usable name), sorted."""
        return self._named("faces", "faces.jsonl")

    def models(self) -> list[str]:
        """Names of the model folders (with a ``model.json`` and a usable name), sorted."""
        return self._named("models", "model.json")

    def _named(self, folder: str, marker: str) -> list[str]:
        """Sub-folders of ``folder`` that hold ``marker``; a folder put there by hand under a name
        :func:`check_name` refuses (a space, say) is left out rather than break the page."""
        found = (p.name for p in (self.root / folder).iterdir() if (p / marker).exists())
        return sorted(filter(_usable, found))

    def inputs(self) -> list[str]:
        """Photos and videos in ``inputs/`` (by extension), sorted by name."""
        return sorted(p.name for p in (self.root / "inputs").iterdir() if p.is_file() and is_media(p))

    def set_aside_non_media(self) -> list[str]:
        """Move files of ``inputs/`` that are not photos or videos (by extension) to
        ``jobs/not_media/``, which is not served: ``inputs/`` is served inline, and workspaces
        made before uploads were checked may hold an uploaded page there. Their names."""
        odd = [p for p in (self.root / "inputs").iterdir() if p.is_file() and not is_media(p)]
        if odd:
            aside = self.root / "jobs" / "not_media"
            aside.mkdir(exist_ok=True)
            for path in odd:
                shutil.move(path, free_name(aside, path.name))
        return [p.name for p in odd]

    def outputs(self) -> list[Path]:
        """Result files in ``outputs/`` (not previews), newest first."""
        files = [p for p in (self.root / "outputs").iterdir() if p.is_file()]
        return sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)

    def input_path(self, name: str) -> Path:
        """A file of ``inputs/`` by name (TwofaceError if missing or outside)."""
        path = self.confine(self.root / "inputs" / name)
        if not path.is_file():
            raise TwofaceError(name, "no such input in the workspace")
        return path

    def keep_upload(self, upload: str | Path) -> Path:
        """Copy an uploaded file into ``inputs/`` (a free name) and return the copy; a file already
        in ``inputs/`` is returned as it is."""
        src = self.confine(upload)
        if src.parent == self.root / "inputs":
            return src
        if not src.is_file():
            raise TwofaceError(upload, "no such file")
        dst = free_name(self.root / "inputs", _safe_filename(src.name))
        shutil.copyfile(src, dst)
        return dst

    def output_path(self, stem: str, suffix: str) -> Path:
        """A new file name in ``outputs/`` that no earlier result has."""
        return free_name(self.root / "outputs", f"{_safe_filename(stem)}{suffix}")


def _safe_filename(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(name).name).lstrip(".")
    return cleaned or "upload"


def free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``stem_2.ext``, ``stem_3.ext``... when that exists."""
    path = folder / name
    stem, suffix = path.stem, path.suffix
    n = 2
    while path.exists():
        path = folder / f"{stem}_{n}{suffix}"
        n += 1
    return path
