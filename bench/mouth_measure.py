"""How far the mouth-opening measure itself can be trusted on a pair (not in CI).

On the held-out faces of A in a ``bench/swap_quality.py --work DIR`` folder, the mouth opening
(inner lips over the eye distance) of the source frame and of a *perfect model*'s swap (the
source face cut at the model's output crop and pasted back) is found by dlib's predictor in the
detector-framed box, and correlated over frames with:

- the face set's stored landmarks (smoothed over time by extract): the measure before
  2026-12-02;
- the predictor on the source frame (the measure ``twoface evaluate`` uses now).

Prints one JSON object. Run: ``.venv/bin/python bench/mouth_measure.py --work /tmp/q_hires``
(the folder needs a ``model/``: only its crop is used).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
