"""Quality of a trained model, measured the way a viewer would judge it.

- ``identity_transfer``: for held-out faces of A, swap (encoder, decoder B), paste the face
  back into its frame with the convert blender, find landmarks again on the result and take
  dlib's embedding of the frame. A swap passes when that embedding is within 0.6 (dlib's
  same-person threshold) of B's mean embedding and nearer B's mean than A's.
  Also the sharpness ratio: Laplacian variance of the swapped face over the original's (1.0
  as sharp as the source; a blurred swap can fool the embedding, not a viewer).
- ``reconstruction_ssim``: mean SSIM between held-out faces and their rebuild by their own
  decoder (model crops, grey levels).

dlib is only the judge here: nothing in training sees its identity model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from twoface.convert.blend import BlendConfig
from twoface.convert.pipeline import FaceSwapper
from twoface.convert.swap import SwapModel, model_input, run_model
from twoface.extract.align import STORE_SPEC, align, blur_score, warp_crop
from twoface.extract.faceset import FaceRecord
from twoface.extract.identity import SAME_PERSON, embed
from twoface.extract.landmarks import box_from_landmarks, landmarks68
from twoface.media.read import iter_frames


@dataclass(frozen=True)
class TransferResult:
    rate: float  # share of faces that pass
    mean_to_b: float
    mean_to_a: float
    faces: int
    sharpness: float  # median Laplacian variance of the swapped face over the original's


def frames_of(records: list[FaceRecord]) -> dict[tuple[str, int], np.ndarray]:
    """The source frames (RGB uint8) the records were cut from, decoded once per source."""
    wanted = defaultdict(set)
    for r in records:
        wanted[r.source].add(r.frame_index)
    frames = {}
    for source, indices in wanted.items():
        for frame in iter_frames(source):
            if frame.index in indices:
                frames[(source, frame.index)] = frame.image
            if frame.index >= max(indices):
                break
    return frames


def identity_transfer(
    swap: SwapModel, records_a: list[FaceRecord], mean_a: np.ndarray, mean_b: np.ndarray
) -> TransferResult:
    """Swap each held-out face of A into its frame (a2b) and judge it with dlib's embedding."""
    swapper = FaceSwapper(swap, "a2b", BlendConfig())
    frames = frames_of(records_a)
    to_a, to_b, sharp = [], [], []
    for r in records_a:
        landmarks = r.landmarks_array()
        frame = frames[(r.source, r.frame_index)]
        swapped = swapper(frame, [landmarks])
        sharp.append(_sharpness(swapped, landmarks) / max(_sharpness(frame, landmarks), 1e-6))
        seen = landmarks68(swapped, box_from_landmarks(landmarks))
        e = embed(swapped, seen)
        to_a.append(float(np.linalg.norm(e - mean_a)))
        to_b.append(float(np.linalg.norm(e - mean_b)))
    a, b = np.array(to_a), np.array(to_b)
    passed = (b < SAME_PERSON) & (b < a)
    return TransferResult(
        float(passed.mean()), float(b.mean()), float(a.mean()), len(records_a), float(np.median(sharp))
    )


def _sharpness(image: np.ndarray, landmarks: np.ndarray) -> float:
    """Laplacian variance of the face's 256 px aligned crop (see ``blur_score``)."""
    alignment = align(landmarks, STORE_SPEC)
    return blur_score(warp_crop(image, alignment.crop_from_frame, STORE_SPEC.size))


def _ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Mean SSIM of two grey float images in [0, 1] (Gaussian window, sigma 1.5)."""
    c1, c2 = 0.01**2, 0.03**2
    blur = lambda im: cv2.GaussianBlur(im, (11, 11), 1.5)  # noqa: E731
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean())


def reconstruction_ssim(swap: SwapModel, records: list[FaceRecord], side: str) -> float:
    """Mean SSIM of held-out faces of ``side`` against their rebuild by decoder ``side``."""
    frames = frames_of(records)
    crops = np.stack(
        [model_input(frames[(r.source, r.frame_index)], r.landmarks_array(), swap.spec)[0] for r in records]
    )
    rebuilt, _ = run_model(swap, crops, "b2a" if side == "a" else "a2b")
    grey = lambda im: cv2.cvtColor(im.astype(np.float32), cv2.COLOR_RGB2GRAY)  # noqa: E731
    return float(np.mean([_ssim(grey(c / 255.0), grey(r)) for c, r in zip(crops, rebuilt, strict=True)]))


def mean_embedding(records: list[FaceRecord]) -> np.ndarray:
    """Mean of the records' stored 128-d embeddings."""
    return np.mean([r.embedding_array() for r in records], axis=0)


def report(
    model_dir: str, faceset_a: str | None = None, faceset_b: str | None = None, limit: int = 60
) -> dict:
    """The quality report of ``twoface evaluate``: identity transfer A->B (with sharpness) and
    reconstruction SSIM of each person, on up to ``limit`` evenly spaced faces of each face set
    (default: the sets the model was trained on; give held-out sets for a fair figure)."""
    from twoface.convert.swap import load_model
    from twoface.extract.faceset import FaceSet
    from twoface.models.checkpoint import read_meta

    meta = read_meta(Path(model_dir))
    sets = [FaceSet.open(p or meta["facesets"][k]).records() for k, p in (("a", faceset_a), ("b", faceset_b))]
    picked = [
        [r[i] for i in np.linspace(0, len(r) - 1, min(limit, len(r))).round().astype(int)] for r in sets
    ]
    swap = load_model(model_dir, "auto", lambda _m: None)
    transfer = identity_transfer(swap, picked[0], mean_embedding(sets[0]), mean_embedding(sets[1]))
    return {
        "model": f"{swap.name} step {swap.step}",
        "faces": {"a": len(picked[0]), "b": len(picked[1])},
        "identity_transfer": round(transfer.rate, 3),
        "mean_distance_to_b": round(transfer.mean_to_b, 3),
        "mean_distance_to_a": round(transfer.mean_to_a, 3),
        "sharpness_ratio": round(transfer.sharpness, 3),
        "ssim_a": round(reconstruction_ssim(swap, picked[0], "a"), 3),
        "ssim_b": round(reconstruction_ssim(swap, picked[1], "b"), 3),
    }
