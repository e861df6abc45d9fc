"""Identity: dlib's 128-d face embeddings, reference matching and clustering.

Two embeddings closer than about 0.6 (Euclidean) are the same person by dlib's own
calibration (99.38% on LFW). Embeddings are computed from the full frame and 68 landmarks;
dlib cuts its own 150 px chip from them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dlib
import numpy as np

from twoface.errors import TwofaceError
from twoface.extract.dlib_models import face_recognizer
from twoface.extract.landmarks import box_from_landmarks, landmarks68
from twoface.media.read import read_image
from twoface.types import Detection

SAME_PERSON = 0.6


def embed(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """128-d float32 identity embedding of the face with these ``(68, 2)`` landmarks in the
    RGB uint8 ``image``."""
    x0, y0, x1, y1 = box_from_landmarks(landmarks)
    rect = dlib.rectangle(int(x0), int(y0), int(x1), int(y1))
    points = dlib.points([dlib.point(round(x), round(y)) for x, y in landmarks])
    shape = dlib.full_object_detection(rect, points)
    return np.array(
        face_recognizer().compute_face_descriptor(np.ascontiguousarray(image), shape), dtype=np.float32
    )


def distances(embedding: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Euclidean distances from one ``(128,)`` embedding to each row of ``refs`` ``(R, 128)``."""
    return np.linalg.norm(np.asarray(refs) - embedding, axis=-1)


def largest_face_embedding(path: Path, detect: Callable[[np.ndarray], list[Detection]]) -> np.ndarray:
    """Embedding of the largest face in a reference photo; raises TwofaceError if none."""
    image = read_image(path)
    found = detect(image)
    if not found:
        raise TwofaceError(path, "no face found in this reference photo")
    det = max(found, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
    return embed(image, landmarks68(image, det.box))


def load_references(paths: list[Path], detect) -> np.ndarray:
    """``(R, 128)`` embeddings, one per reference photo (its largest face)."""
    return np.stack([largest_face_embedding(Path(p), detect) for p in paths])


def keep_face(
    embedding: np.ndarray, keep: np.ndarray | None, drop: np.ndarray | None, threshold: float
) -> bool:
    """True if the face matches some ``keep`` reference (when given) and no ``drop`` one."""
    if keep is not None and len(keep) and distances(embedding, keep).min() >= threshold:
        return False
    return not (drop is not None and len(drop) and distances(embedding, drop).min() < threshold)


def cluster(embeddings: np.ndarray, threshold: float = SAME_PERSON) -> np.ndarray:
    """Label ``(N, 128)`` embeddings by person: dlib's Chinese whispers on the graph of pairs
    closer than ``threshold``, then clusters whose faces are, on average, closer than
    ``threshold`` to each other's are merged (average linkage). Labels are 0 for the largest
    cluster, 1 for the next, and so on."""
    embeddings = np.asarray(embeddings, dtype=np.float64)
    if len(embeddings) == 0:
        return np.zeros(0, dtype=int)
    unique, inverse = np.unique(embeddings, axis=0, return_inverse=True)
    labels = np.array(dlib.chinese_whispers_clustering([dlib.vector(v.tolist()) for v in unique], threshold))
    labels = _merge_close(unique, labels, threshold)
    return _by_size(labels[inverse.ravel()])


LINKAGE_POINTS = 4000  # faces compared pairwise when merging clusters (a sample beyond this)


def _merge_close(points: np.ndarray, labels: np.ndarray, threshold: float) -> np.ndarray:
    """Merge clusters while some pair's mean face-to-face distance is under ``threshold``.

    The mean over pairs of faces, not the distance of the clusters' mean embeddings: means sit
    nearer each other than the faces do (two people 0.64 apart face to face can have means
    0.53 apart), so comparing means merged different people into one."""
    ids, member = np.unique(labels, return_inverse=True)
    if len(ids) < 2:
        return labels
    pick = _linkage_sample(member.ravel(), len(ids))
    onehot = np.eye(len(ids))[member.ravel()[pick]]  # (S, K)
    pts = points[pick]
    dist = np.sqrt(np.maximum(_sq_dists(pts), 0.0))
    sums, counts = onehot.T @ dist @ onehot, onehot.sum(axis=0)
    alive = list(range(len(ids)))
    while len(alive) > 1:
        sub = np.ix_(alive, alive)
        mean = sums[sub] / np.outer(counts[alive], counts[alive]) + np.eye(len(alive)) * 1e9
        a, b = np.unravel_index(np.argmin(mean), mean.shape)
        if mean[a, b] >= threshold:
            break
        keep, gone = alive[a], alive[b]
        sums[keep] += sums[gone]
        sums[:, keep] += sums[:, gone]
        counts[keep] += counts[gone]
        member = np.where(member == gone, keep, member)
        alive.remove(gone)
    return ids[member.ravel()]


def _linkage_sample(member: np.ndarray, k: int) -> np.ndarray:
    """Indices of at most ~``LINKAGE_POINTS`` faces, at least one of every cluster."""
    if len(member) <= LINKAGE_POINTS:
        return np.arange(len(member))
    rng = np.random.default_rng(0)
    cap = max(1, LINKAGE_POINTS // k)
    picks = [rng.permutation(np.flatnonzero(member == c))[:cap] for c in range(k)]
    return np.sort(np.concatenate(picks))


def _sq_dists(x: np.ndarray) -> np.ndarray:
    sq = (x * x).sum(axis=1)
    return sq[:, None] + sq[None] - 2 * x @ x.T


def _by_size(labels: np.ndarray) -> np.ndarray:
    ids, counts = np.unique(labels, return_counts=True)
    order = ids[np.lexsort((ids, -counts))]
    rank = {old: new for new, old in enumerate(order)}
    return np.array([rank[v] for v in labels], dtype=int)
