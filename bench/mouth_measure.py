"""How far the mouth-opening measure itself can be trusted on a pair (not in CI).

On the held-out faces of A in a ``bench/swap_quality.py --work DIR`` folder, the mouth opening
(inner lips over the eye distance) of the source frame and of a *perfect model*'s swap (the
source face cut at the model's output crop and pasted back) is found by dlib's predictor in the
detector-framed box, and correlated over frames with:

- the face set's stored landmarks (smoothed over time by extract): the measure before
  2026-12-02;
- the predictor on the source frame (the measure ``twoface evaluate`` uses now).

With ``--gap``, it also asks where a model loses the mouth: for the model and each of its
snapshots, A's own rebuild (decoder A on A's face, pasted back) and the swap are read by the
predictor on the last faces A trained on and on the held-out ones, and correlated with the
source frame's (with the RMS error, in eye distances). A rebuild that follows the mouth on
trained faces but not on held-out ones is an encoder that memorised its faces.

With ``--input-cap 64,48,32``, it also asks how much of the mouth a model can keep whose input
is that small: a perfect model whose face is shrunk (area) to N px and drawn back (cubic) at
the model's output size before it is pasted, correlated with the source frame's mouth.

Prints one JSON object. Run: ``.venv/bin/python bench/mouth_measure.py --work /tmp/q_hires``
(the folder needs a ``model/``: only its crop is used).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def main() -> None:
    import swap_quality

    from twoface.convert.blend import BlendConfig
    from twoface.convert.pipeline import FaceSwapper
    from twoface.convert.swap import load_model
    from twoface.evaluate import frames_of, mouth_opening, perfect_swap
    from twoface.extract.landmarks import landmarks68

    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--gap", action="store_true", help="rebuild and swap, trained against held-out faces")
    parser.add_argument("--input-cap", default="", help="input sizes of a shrunk perfect model, e.g. 64,32")
    args = parser.parse_args()
    swap = load_model(args.work / "model", "auto", lambda _m: None)
    blend = FaceSwapper(swap, "a2b", BlendConfig()).blend
    records = sorted(swap_quality.held_out(args.work, "A"), key=lambda r: (r.source, r.frame_index))
    frames = frames_of(records)
    rows = []
    for r in records:
        stored, frame = r.landmarks_array(), frames[(r.source, r.frame_index)]
        perfect = perfect_swap(frame, stored, swap, blend)
        rows.append(
            [mouth_opening(x) for x in (stored, landmarks68(frame, r.box), landmarks68(perfect, r.box))]
        )
    m = np.array(rows)
    gap = generalisation_gap(args.work, records) if args.gap else None
    sizes = [int(n) for n in args.input_cap.split(",") if n]
    cap = input_cap(swap, blend, records, frames, m[:, 1], sizes) if sizes else None

    def corr(i: int, j: int) -> float:
        return round(float(np.corrcoef(m[:, i], m[:, j])[0, 1]), 3)

    print(
        json.dumps(
            {
                "work": str(args.work),
                "faces": len(m),
                "mouth_opening_std": round(float(m[:, 0].std()), 4),
                "against_stored_landmarks": {"source_frame": corr(0, 1), "perfect_model": corr(0, 2)},
                "against_the_source_frame": {"perfect_model": corr(1, 2)},
                **({"generalisation_gap": gap} if gap else {}),
                **({"input_cap": cap} if cap else {}),
            },
            indent=2,
        )
    )


def input_cap(swap, blend, records: list, frames: dict, source: np.ndarray, sizes: list[int]) -> dict:
    """Per input size N: the mouth correlation with ``source`` (the source frames' openings) of
    a perfect model that sees the face at N px only (area-shrunk, cubic back to the output)."""
    from twoface.convert.blend import paste
    from twoface.convert.swap import cut_face
    from twoface.evaluate import mouth_opening
    from twoface.extract.landmarks import landmarks68

    out = {"output_size": swap.out_spec.size}
    cuts = [cut_face(frames[(r.source, r.frame_index)], r.landmarks_array(), swap) for r in records]
    for n in sizes:
        opened = []
        for r, cut in zip(records, cuts, strict=True):
            frame = frames[(r.source, r.frame_index)]
            size = cut.original.shape[0]
            small = cv2.resize(cut.original, (n, n), interpolation=cv2.INTER_AREA)
            face = cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
            pasted = frame.copy()
            drawn = face.astype(np.float32) / 255
            paste(pasted, drawn, cut.original, cut.crop_from_frame, r.landmarks_array(), blend)
            opened.append(mouth_opening(landmarks68(pasted, r.box)))
        out[f"{n}px"] = round(float(np.corrcoef(source, opened)[0, 1]), 3)
    return out


def generalisation_gap(work: Path, held: list) -> dict:
    """Per model (``model`` and each snapshot): mouth correlation and RMS error of A's rebuild
    (``b2a`` on A's faces: decoder A) and of the swap (``a2b``), on the last ``len(held)``
    faces A trained on and on the held-out ``held``."""
    from twoface.convert.swap import load_model
    from twoface.evaluate import frames_of
    from twoface.extract.faceset import FaceSet

    trained = sorted(FaceSet.open(work / "A_train").records(), key=lambda r: r.frame_index)[-len(held) :]
    sets = {"trained": trained, "held_out": held}
    frames = {name: frames_of(records) for name, records in sets.items()}
    snapshots = sorted((work / "model" / "snapshots").glob("*min"), key=lambda p: float(p.name[:-3]))
    out = {}
    for folder in [*snapshots, work / "model"]:
        swap = load_model(folder, "auto", lambda _m: None)
        row = {"step": swap.step}
        for direction, what in (("b2a", "rebuild"), ("a2b", "swap")):
            for name, records in sets.items():
                m = _mouths(swap, direction, records, frames[name])
                row[f"{what}_{name}"] = round(float(np.corrcoef(m[:, 0], m[:, 1])[0, 1]), 3)
                row[f"{what}_{name}_rms"] = round(float(np.sqrt(((m[:, 0] - m[:, 1]) ** 2).mean())), 4)
        out[folder.name] = row
    return out


def _mouths(swap, direction: str, records: list, frames: dict) -> np.ndarray:
    """``(n, 2)``: the mouth opening of each source frame and of its swap in ``direction``."""
    from twoface.convert.blend import BlendConfig
    from twoface.convert.pipeline import FaceSwapper
    from twoface.evaluate import mouth_opening
    from twoface.extract.landmarks import landmarks68

    swapper = FaceSwapper(swap, direction, BlendConfig())
    rows = []
    for r in records:
        frame = frames[(r.source, r.frame_index)]
        swapped = swapper(frame, [r.landmarks_array()])
        rows.append([mouth_opening(landmarks68(im, r.box)) for im in (frame, swapped)])
    return np.array(rows)


if __name__ == "__main__":
    main()
