"""Does the box landmarks are searched in bias the identity-transfer score? (issue 12, item 11)

``twoface evaluate`` finds the landmarks of each swapped face again before embedding it. It
used to search the tight landmark box; dlib's predictor was trained on detector-framed boxes,
which it now uses. This script swaps the held-out faces of A once and judges every swap both
ways, side by side, and prints one JSON object (rate, mean distances to A and B, mouth
correlation per box kind).

Run after ``bench/swap_quality.py --work DIR`` has trained a model there:
``.venv/bin/python bench/evaluate_box.py --work /tmp/q_grid``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main() -> None:
    from swap_quality import held_out

    from twoface.convert.blend import BlendConfig
    from twoface.convert.pipeline import FaceSwapper
    from twoface.convert.swap import load_model
    from twoface.evaluate import frames_of, mean_embedding, mouth_opening
    from twoface.extract.faceset import FaceSet
    from twoface.extract.identity import SAME_PERSON, embed
    from twoface.extract.landmarks import box_from_landmarks, landmarks68

    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=120)
    args = parser.parse_args()
    swap = load_model(args.work / "model", "cpu", lambda _m: None)
    swapper = FaceSwapper(swap, "a2b", BlendConfig())
    means = [mean_embedding(FaceSet.open(args.work / f"{s}_train").records()) for s in "AB"]
    records = held_out(args.work, "A")[: args.limit]
    frames = frames_of(records)
    found = {"detector_box": [], "landmark_box": []}
    for r in records:
        landmarks, frame = r.landmarks_array(), frames[(r.source, r.frame_index)]
        swapped = swapper(frame, [landmarks])
        for kind, box in (("detector_box", r.box), ("landmark_box", box_from_landmarks(landmarks))):
            seen = landmarks68(swapped, box)
            e = embed(swapped, seen)
            found[kind].append(
                (
                    *(float(np.linalg.norm(e - m)) for m in means),
                    mouth_opening(landmarks),
                    mouth_opening(seen),
                )
            )
    out = {"faces": len(records), "model": f"{swap.name} step {swap.step}"}
    for kind, rows in found.items():
        a, b, truth, seen = np.array(rows).T
        out[kind] = {
            "identity_transfer": float(((b < SAME_PERSON) & (b < a)).mean()),
            "mean_distance_to_b": float(b.mean()),
            "mean_distance_to_a": float(a.mean()),
            "mouth_correlation": float(np.corrcoef(truth, seen)[0, 1]),
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
