"""Build ``twoface/data/mean_face_68.json``: the symmetric 68-point mean face.

Generalised Procrustes analysis over the dlib landmarks of every face HOG finds in the sample
media (``../shared/data``), each source weighted equally, then averaged with its own mirror
image. Run: ``python tools/make_mean_face.py ../shared/data``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from twoface.extract.detect import make_hog
from twoface.extract.landmarks import MIRROR_68, landmarks68
from twoface.geometry import transform_points, umeyama
from twoface.media.read import expand_inputs, iter_frames

OUT = Path(__file__).resolve().parent.parent / "twoface" / "data" / "mean_face_68.json"


def normalise(shape: np.ndarray) -> np.ndarray:
    """Centre the box of points 17-67 on (0.5, 0.5) and scale its longer side to 1."""
    inner = shape[17:]
    lo, hi = inner.min(axis=0), inner.max(axis=0)
    return (shape - (lo + hi) / 2) / (hi - lo).max() + 0.5


def procrustes_mean(shapes: list[np.ndarray], rounds: int = 10) -> np.ndarray:
    mean = normalise(shapes[0])
    for _ in range(rounds):
        aligned = [transform_points(umeyama(s, mean), s) for s in shapes]
        mean = normalise(np.mean(aligned, axis=0))
    return mean


def symmetric(shape: np.ndarray) -> np.ndarray:
    mirrored = shape.copy()
    mirrored[:, 0] = 1.0 - mirrored[:, 0]
    mirrored = mirrored[MIRROR_68]
    mirrored = transform_points(umeyama(mirrored, shape), mirrored)
    return normalise((shape + mirrored) / 2)


def source_shapes(path: Path, detect) -> list[np.ndarray]:
    shapes = []
    for frame in iter_frames(path, every=10, max_side=1000):
        shapes += [landmarks68(frame.image, d.box) for d in detect(frame.image)]
    return shapes


def main(root: Path) -> None:
    detect = make_hog(upsample=1)
    files, _ = expand_inputs([root])
    per_source = []
    for path in files:
        shapes = source_shapes(path, detect)
        if shapes:
            per_source.append(procrustes_mean(shapes))
            print(f"{path.name}: {len(shapes)} faces", file=sys.stderr)
    mean = symmetric(procrustes_mean(per_source))
    OUT.write_text(
        json.dumps(
            {
                "about": "68-point iBUG mean face in unit coordinates (tools/make_mean_face.py)",
                "sources": len(per_source),
                "points": np.round(mean, 5).tolist(),
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
