"""Quality of a trained model, measured the way a viewer would judge it.

Every figure is taken on held-out frames, each swap pasted into its frame with the convert
blender, then judged on the frame as a viewer sees it:

- ``identity_transfer``: landmarks found again on the swapped frame (in the detector-framed box
  the face was found in, as the predictor expects) give dlib's embedding; a swap passes when it
  is within 0.6 (dlib's same-person threshold) of B's mean and nearer B's mean than A's.
- ``sharpness``: Laplacian variance of the face (:func:`face_sharpness`: a 256 px aligned crop
  of the frame, cut with one antialiased resample) of the swap over the source's.
  ``sharpness_ceiling`` is the same for a *perfect model* at the model's output size: the
  source face itself, cut at the model's output crop and pasted back by the same blender. A
  sharpness reads against it ("0.28 of 0.59"); no model of that size can pass it.
- ``mouth_correlation``: Pearson correlation over frames of the mouth opening (inner lips,
  over the eye distance) on the swap and on the source frame, both found by the same predictor
  in the same box (the face set's stored landmarks are smoothed over time, so against them even
  the source frame itself scores well under 1): the swap speaks when A speaks.
  ``mouth_ceiling`` is the same for the perfect model: the predictor's own noise on these
  faces, which matters where the mouth moves little. ``mouth_interval`` is a 90% bootstrap
  interval of the correlation over frames (about +-0.18 around 0.6 on 40 faces, +-0.03
  around 0.85 on 120): read two runs as different only where their intervals part.
- ``flicker``: mean frame-to-frame change of the face region (aligned by the source's
  landmarks, so head motion counts the same for both) of the swap over the source's.
- ``ssim_a`` / ``ssim_b``: mean SSIM between held-out faces and their rebuild by their own
  decoder, at the output size, grey levels.

dlib is only the judge here: nothing in training sees its identity model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from twoface.convert.blend import BlendConfig, paste
from twoface.convert.pipeline import FaceSwapper
from twoface.convert.swap import SwapModel, cut_face, run_model
from twoface.extract.align import align, blur_score, warp_crop
from twoface.extract.faceset import FaceRecord
from twoface.extract.identity import SAME_PERSON, embed
from twoface.extract.landmarks import landmarks68
from twoface.landmark_parts import INNER_LIP_PAIRS, LANDMARKS_68
from twoface.media.read import iter_frames
from twoface.types import CropSpec

MEASURE_SPEC = CropSpec(size=256, margin=0.25)  # the crop sharpness and flicker are taken on


@dataclass(frozen=True)
class SwapJudgement:
    """What :func:`judge_swaps` measures on held-out faces of A swapped to B (see the module
    docstring). ``flicker`` is None when no two faces come from consecutive frames."""

    rate: float
    mean_to_b: float
    mean_to_a: float
    faces: int
    sharpness: float
    sharpness_ceiling: float
    mouth_correlation: float
    mouth_ceiling: float
    mouth_interval: tuple[float, float]
    flicker: float | None


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


def judge_swaps(
    swap: SwapModel,
    records_a: list[FaceRecord],
    mean_a: np.ndarray,
    mean_b: np.ndarray,
    blend: BlendConfig | None = None,
    direction: str = "a2b",
) -> SwapJudgement:
    """Swap each held-out face of A into its frame (``direction`` "a2b"; with "b2a" the faces,
    means and names all swap sides) and judge it as the module says."""
    swapper = FaceSwapper(swap, direction, blend or BlendConfig())
    records = sorted(records_a, key=lambda r: (r.source, r.frame_index))
    frames = frames_of(records)
    to_a, to_b, sharp, ceiling, mouths, moves = [], [], [], [], [], []
    previous = None
    for r in records:
        landmarks, frame = r.landmarks_array(), frames[(r.source, r.frame_index)]
        swapped = swapper(frame, [landmarks])
        crops = [measure_crop(im, landmarks) for im in (frame, swapped)]  # cut once, used twice
        source_sharpness = max(blur_score(crops[0]), 1e-6)
        sharp.append(blur_score(crops[1]) / source_sharpness)
        perfect = perfect_swap(frame, landmarks, swap, swapper.blend)
        ceiling.append(face_sharpness(perfect, landmarks) / source_sharpness)
        seen = landmarks68(swapped, r.box)  # the detector-framed box the face was found in
        e = embed(swapped, seen)
        to_a.append(float(np.linalg.norm(e - mean_a)))
        to_b.append(float(np.linalg.norm(e - mean_b)))
        source, ideal = (landmarks68(im, r.box) for im in (frame, perfect))
        mouths.append((mouth_opening(source), mouth_opening(seen), mouth_opening(ideal)))
        faces = tuple(_centre_grey(c) for c in crops)
        if previous is not None and previous[0] == (r.source, r.frame_index - 1):
            moves.append([float(np.abs(f - p).mean()) for f, p in zip(faces, previous[1], strict=True)])
        previous = ((r.source, r.frame_index), faces)
    a, b = np.array(to_a), np.array(to_b)
    passed = (b < SAME_PERSON) & (b < a)
    m = np.array(mouths)
    moves = np.array(moves)
    return SwapJudgement(
        rate=float(passed.mean()),
        mean_to_b=float(b.mean()),
        mean_to_a=float(a.mean()),
        faces=len(records),
        sharpness=float(np.median(sharp)),
        sharpness_ceiling=float(np.median(ceiling)),
        mouth_correlation=_correlation(m[:, 0], m[:, 1]) if len(m) > 2 else float("nan"),
        mouth_ceiling=_correlation(m[:, 0], m[:, 2]) if len(m) > 2 else float("nan"),
        mouth_interval=correlation_interval(m[:, 0], m[:, 1]) if len(m) > 2 else (float("nan"),) * 2,
        flicker=float(moves[:, 1].mean() / max(moves[:, 0].mean(), 1e-6)) if len(moves) else None,
    )


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(x, y)[0, 1])


def correlation_interval(
    x: np.ndarray, y: np.ndarray, level: float = 0.9, draws: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval ``(low, high)`` at ``level`` of the Pearson correlation of
    paired samples ``x``, ``y`` (shape ``(n,)``), resampling the pairs; the same seed gives the
    same interval. Draws where one side is constant are left out."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(x), (draws, len(x)))
    xs, ys = x[picks], y[picks]
    xs, ys = xs - xs.mean(1, keepdims=True), ys - ys.mean(1, keepdims=True)
    norms = np.sqrt((xs**2).sum(1) * (ys**2).sum(1))
    kept = norms > 0
    r = (xs * ys).sum(1)[kept] / norms[kept]
    tail = (1 - level) / 2 * 100
    return float(np.percentile(r, tail)), float(np.percentile(r, 100 - tail))


def perfect_swap(frame: np.ndarray, landmarks: np.ndarray, swap: SwapModel, blend: BlendConfig) -> np.ndarray:
    """What a perfect model of ``swap``'s output size would give: the source face itself, cut
    at the model's output crop and pasted back into a copy of ``frame`` by the same blender."""
    out = frame.copy()
    cut = cut_face(frame, landmarks, swap)
    paste(out, cut.original.astype(np.float32) / 255, cut.original, cut.crop_from_frame, landmarks, blend)
    return out


def _centre_grey(crop: np.ndarray) -> np.ndarray:
    """Grey float32 central half of a measurement crop (the face, for flicker)."""
    q = crop.shape[0] // 4
    return cv2.cvtColor(crop[q : 3 * q, q : 3 * q], cv2.COLOR_RGB2GRAY).astype(np.float32)


def measure_crop(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The face's 256 px aligned crop (margin 0.25) of RGB ``image``, cut with one antialiased
    resample: what sharpness and flicker are measured on."""
    return warp_crop(image, align(landmarks, MEASURE_SPEC).crop_from_frame, MEASURE_SPEC.size)


def face_sharpness(image: np.ndarray, landmarks: np.ndarray) -> float:
    """Laplacian variance of the central half of the face's :func:`measure_crop` (see
    ``blur_score``)."""
    return blur_score(measure_crop(image, landmarks))


def mouth_opening(landmarks: np.ndarray) -> float:
    """Mean gap of the three inner-lip pairs (61-67, 62-66, 63-65) over the distance between
    the eye centres: 0 for a closed mouth, unit-free."""
    top, bottom = (list(side) for side in zip(*INNER_LIP_PAIRS, strict=True))
    gap = np.linalg.norm(landmarks[top] - landmarks[bottom], axis=1).mean()
    eyes = np.linalg.norm(
        landmarks[LANDMARKS_68["right_eye"]].mean(0) - landmarks[LANDMARKS_68["left_eye"]].mean(0)
    )
    return float(gap / max(eyes, 1e-6))


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
    cuts = [cut_face(frames[(r.source, r.frame_index)], r.landmarks_array(), swap) for r in records]
    rebuilt, _ = run_model(swap, np.stack([c.input for c in cuts]), "b2a" if side == "a" else "a2b")
    grey = lambda im: cv2.cvtColor(im.astype(np.float32), cv2.COLOR_RGB2GRAY)  # noqa: E731
    pairs = zip(cuts, rebuilt, strict=True)
    return float(np.mean([_ssim(grey(c.original / 255.0), grey(r)) for c, r in pairs]))


def mean_embedding(records: list[FaceRecord]) -> np.ndarray:
    """Mean of the records' stored 128-d embeddings."""
    return np.mean([r.embedding_array() for r in records], axis=0)


def judge(
    model_dir: str | Path,
    held_a: list[FaceRecord],
    held_b: list[FaceRecord],
    known_a: list[FaceRecord],
    known_b: list[FaceRecord],
    sheet: str | Path | None = None,
    average: bool = True,
    both_ways: bool = False,
) -> dict:
    """Every figure of the report for the model in ``model_dir``, on held-out faces
    ``held_a``/``held_b``, with A's and B's mean embeddings taken from ``known_a``/``known_b``
    (their training faces). With ``sheet``, also writes :func:`sheet_image` there.
    ``average``: judge the weights' moving average where the model has one (as convert does).
    ``both_ways``: also swap B's held-out faces to A and report their transfer and mouth under
    ``"b2a"`` (twice the frames behind a mouth figure, where each side has few)."""
    from twoface.convert.swap import load_model
    from twoface.models.checkpoint import read_meta

    swap = load_model(model_dir, "auto", lambda _m: None, average)
    j = judge_swaps(swap, held_a, mean_embedding(known_a), mean_embedding(known_b))
    result = {
        "model": f"{swap.name} step {swap.step}" + (" (weight average)" if swap.averaged else ""),
        "output_size": swap.out_spec.size,
        "faces": {"a": len(held_a), "b": len(held_b)},
        "identity_transfer": round(j.rate, 3),
        "mean_distance_to_b": round(j.mean_to_b, 3),
        "mean_distance_to_a": round(j.mean_to_a, 3),
        "sharpness_ratio": round(j.sharpness, 3),
        "sharpness_ceiling": round(j.sharpness_ceiling, 3),
        "sharpness": f"{j.sharpness:.2f} of {j.sharpness_ceiling:.2f}",
        "mouth_correlation": round(j.mouth_correlation, 3),
        "mouth_ceiling": round(j.mouth_ceiling, 3),
        "mouth_interval": [round(v, 3) for v in j.mouth_interval],
        "flicker": None if j.flicker is None else round(j.flicker, 3),
        "ssim_a": round(reconstruction_ssim(swap, held_a, "a"), 3),
        "ssim_b": round(reconstruction_ssim(swap, held_b, "b"), 3),
        # {"step", "ssim"} when B's critic joined the run that made this model, else None
        "critic_joined": read_meta(model_dir).get("critic_joined"),
    }
    if both_ways:
        back = judge_swaps(swap, held_b, mean_embedding(known_b), mean_embedding(known_a), direction="b2a")
        result["b2a"] = {
            "identity_transfer": round(back.rate, 3),
            "mouth_correlation": round(back.mouth_correlation, 3),
            "mouth_ceiling": round(back.mouth_ceiling, 3),
            "mouth_interval": [round(v, 3) for v in back.mouth_interval],
        }
    if sheet is not None:
        write_sheet(sheet, sheet_image(swap, held_a), result["model"])
    return result


def sheet_image(swap: SwapModel, records: list[FaceRecord], count: int = 6, side: int = 160) -> np.ndarray:
    """RGB uint8 sheet of ``count`` evenly spaced faces of A: rows source, swap (pasted in its
    frame) and reconstruction (decoder A), each the face's aligned crop at ``side`` px."""
    swapper = FaceSwapper(swap, "a2b", BlendConfig())
    picks = [
        records[i] for i in np.linspace(0, len(records) - 1, min(count, len(records))).round().astype(int)
    ]
    frames = frames_of(picks)
    rows: list[list[np.ndarray]] = [[], [], []]
    spec = CropSpec(side, swap.spec.margin)
    for r in picks:
        landmarks, frame = r.landmarks_array(), frames[(r.source, r.frame_index)]
        m = align(landmarks, spec).crop_from_frame
        rows[0].append(warp_crop(frame, m, side))
        rows[1].append(warp_crop(swapper(frame, [landmarks]), m, side))
        rebuilt, _ = run_model(swap, cut_face(frame, landmarks, swap).input[None], "b2a")
        rows[2].append(
            cv2.resize(
                (rebuilt[0] * 255).round().astype(np.uint8), (side, side), interpolation=cv2.INTER_AREA
            )
        )
    return np.vstack([np.hstack(row) for row in rows])


def write_sheet(path: str | Path, image: np.ndarray, model: str) -> None:
    """Write a sheet PNG that shows swapped faces, with the provenance record."""
    from twoface.media.provenance import provenance
    from twoface.media.watermark import embed as mark
    from twoface.media.write import write_image

    write_image(path, mark(image), provenance("evaluation sheet (autoencoder a2b)", model))


def report(
    model_dir: str,
    faceset_a: str | None = None,
    faceset_b: str | None = None,
    limit: int = 60,
    sheet: str | Path | None = None,
    both_ways: bool = False,
) -> dict:
    """The quality report of ``twoface evaluate`` (:func:`judge`, ``both_ways`` as there) on
    the last ``limit`` faces (in frame order, consecutive for flicker) of each face set: by
    default the sets the model was trained on; give held-out sets for a fair figure. Mean
    embeddings come from the whole sets given."""
    from twoface.extract.faceset import FaceSet
    from twoface.models.checkpoint import read_meta

    meta = read_meta(Path(model_dir))
    sets = [FaceSet.open(p or meta["facesets"][k]).records() for k, p in (("a", faceset_a), ("b", faceset_b))]
    ordered = [sorted(r, key=lambda x: (x.source, x.frame_index)) for r in sets]
    picked = [r[-limit:] for r in ordered]
    return judge(model_dir, picked[0], picked[1], sets[0], sets[1], sheet, both_ways=both_ways)
