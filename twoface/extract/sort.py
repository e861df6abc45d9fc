"""Sorting and pruning face sets: by identity (one set per person), blur, pose, similarity.

Each criterion gives an order (best first) and a per-face score where lower is worse; the
``drop_worst`` faces with the lowest scores are removed. In place, removed faces are moved to
``dropped/`` with their records in ``dropped.jsonl`` (nothing is deleted); with an output
folder, a new face set is written and the original is left untouched.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from twoface.errors import TwofaceError
from twoface.extract.faceset import FaceRecord, FaceSet
from twoface.extract.identity import SAME_PERSON, cluster
from twoface.extract.landmarks import yaw_degrees

Ranking = tuple[list[int], np.ndarray]  # order (indices, best first), score per face (low = worse)


def rank_blur(faceset: FaceSet, records: list[FaceRecord]) -> Ranking:
    """Sharpest first; score is the variance of the Laplacian."""
    score = np.array([r.blur for r in records], dtype=np.float64)
    return list(np.argsort(-score, kind="stable")), score


def rank_pose(faceset: FaceSet, records: list[FaceRecord]) -> Ranking:
    """From most turned left to most turned right (yaw, degrees); score is -|yaw|, so the most
    turned faces are the worst."""
    yaw = np.array([yaw_degrees(r.landmarks_array()) for r in records])
    return list(np.argsort(yaw, kind="stable")), -np.abs(yaw)


def _thumbnails(faceset: FaceSet, records: list[FaceRecord]) -> np.ndarray:
    thumbs = []
    for r in records:
        crop = faceset.load_crop(r)
        s = crop.shape[0]
        grey = cv2.cvtColor(crop[s // 4 : 3 * s // 4, s // 4 : 3 * s // 4], cv2.COLOR_RGB2GRAY)
        small = cv2.resize(grey, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
        small -= small.mean()
        thumbs.append(small / (np.linalg.norm(small) + 1e-6))
    return np.array(thumbs)


def rank_similarity(faceset: FaceSet, records: list[FaceRecord]) -> Ranking:
    """Greedy nearest-neighbour chain over face thumbnails, so look-alike faces sit together;
    score is the distance to the previous face in the chain, so near-duplicates are worst."""
    thumbs = _thumbnails(faceset, records)
    n = len(records)
    order = [0]
    score = np.full(n, np.inf)
    left = np.ones(n, dtype=bool)
    left[0] = False
    for _ in range(n - 1):
        d = np.linalg.norm(thumbs[left] - thumbs[order[-1]], axis=1)
        idx = np.flatnonzero(left)[np.argmin(d)]
        score[idx] = d.min()
        left[idx] = False
        order.append(int(idx))
    return order, score


RANKERS: dict[str, Callable[[FaceSet, list[FaceRecord]], Ranking]] = {
    "blur": rank_blur,
    "pose": rank_pose,
    "similarity": rank_similarity,
}


def parse_drop(text: str | None, total: int) -> int:
    """``"10"`` drops 10 faces, ``"10%"`` drops 10 percent of them (rounded down)."""
    if not text:
        return 0
    if text.endswith("%"):
        return int(total * float(text[:-1]) / 100)
    return min(total, int(text))


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def write_subset(faceset: FaceSet, records: list[FaceRecord], out: Path) -> FaceSet:
    """A new face set at ``out`` holding ``records`` (crops hard-linked when possible)."""
    new = FaceSet.create(out, faceset.crop_spec)
    if new.records():
        raise TwofaceError(out, "already holds faces; choose a new folder")
    for r in records:
        _link_or_copy(faceset.faces_dir / r.file, new.faces_dir / r.file)
    new.rewrite_records(records)
    new.meta["sources"] = {
        s: v for s, v in faceset.meta["sources"].items() if any(r.source == s for r in records)
    }
    new.save_meta()
    return new


def sort_identity(
    root: Path, out: Path, threshold: float = SAME_PERSON, report=print
) -> list[tuple[Path, int]]:
    """Cluster a face set by person and write ``out/person_1`` (the largest), ``person_2``...
    Returns each new folder with its face count."""
    faceset = FaceSet.open(root)
    records = _readable(faceset, report)
    if not records:
        raise TwofaceError(root, "face set is empty")
    labels = cluster(np.stack([r.embedding_array() for r in records]), threshold)
    made = []
    for label in range(labels.max() + 1):
        subset = [r for r, lab in zip(records, labels, strict=True) if lab == label]
        made.append((write_subset(faceset, subset, out / f"person_{label + 1}").root, len(subset)))
    return made


def _readable(faceset: FaceSet, report) -> list[FaceRecord]:
    records = faceset.records()
    if note := faceset.damaged_note():
        report(note)
    return records


def sort_by(
    root: Path, by: str, drop_worst: str | None = None, out: Path | None = None, report=print
) -> tuple[int, int]:
    """Order a face set by ``by`` (a RANKERS key) and drop its worst faces. Returns
    ``(kept, dropped)``. Damaged lines of ``faces.jsonl`` are said and kept at its end."""
    faceset = FaceSet.open(root)
    records = _readable(faceset, report)
    if not records:
        raise TwofaceError(root, "face set is empty")
    order, score = RANKERS[by](faceset, records)
    worst = set(np.argsort(score, kind="stable")[: parse_drop(drop_worst, len(records))].tolist())
    kept = [records[i] for i in order if i not in worst]
    dropped = [records[i] for i in order if i in worst]
    if out is not None:
        write_subset(faceset, kept, out)
    else:
        _drop_in_place(faceset, kept, dropped)
    return len(kept), len(dropped)


def _drop_in_place(faceset: FaceSet, kept: list[FaceRecord], dropped: list[FaceRecord]) -> None:
    if dropped:
        bin_dir = faceset.root / "dropped"
        bin_dir.mkdir(exist_ok=True)
        with open(faceset.root / "dropped.jsonl", "a") as fh:
            fh.writelines(r.to_json() + "\n" for r in dropped)
        for r in dropped:
            src = faceset.faces_dir / r.file
            if src.exists():
                os.replace(src, bin_dir / r.file)
    faceset.rewrite_records(kept)


def drop_faces(root: Path, files: set[str]) -> int:
    """Move the faces whose crop file is in ``files`` to ``dropped/`` (records appended to
    ``dropped.jsonl``; nothing is deleted). Returns how many were dropped."""
    faceset = FaceSet.open(root)
    records = _readable(faceset, lambda _line: None)
    dropped = [r for r in records if r.file in files]
    _drop_in_place(faceset, [r for r in records if r.file not in files], dropped)
    return len(dropped)
