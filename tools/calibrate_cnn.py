"""Measure how dlib's CNN (MMOD) boxes relate to its HOG boxes on the same faces.

Prints the medians used for ``CNN_TO_HOG`` in ``twoface/extract/detect.py``:
``python tools/calibrate_cnn.py ../shared/data``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import dlib
import numpy as np

from twoface.extract.detect import _rect_box, make_hog
from twoface.extract.dlib_models import model_path
from twoface.media.read import iter_frames


def pairs(hog_boxes: list, cnn_boxes: list) -> list[tuple[float, float, float]]:
    """(dx, dy, scale) of each HOG box relative to the CNN box of the same face."""
    out = []
    for hb in hog_boxes:
        for cb in cnn_boxes:
            side = ((cb[2] - cb[0]) + (cb[3] - cb[1])) / 2
            dx = ((hb[0] + hb[2]) - (cb[0] + cb[2])) / 2 / side
            dy = ((hb[1] + hb[3]) - (cb[1] + cb[3])) / 2 / side
            if abs(dx) < 0.5 and abs(dy) < 0.5:
                out.append((dx, dy, (hb[2] - hb[0]) / side))
    return out


def main(root: Path) -> None:
    hog = make_hog(0)
    cnn = dlib.cnn_face_detection_model_v1(str(model_path("cnn")))
    rows = []
    media = sorted(root.glob("identity/*.jpg")) + sorted(root.glob("grid/*.mp4"))
    media += [root / "multi/event.mp4", root / "multi/selfie.mp4"]
    for path in media:
        for frame in iter_frames(path, every=15, max_side=800):
            if frame.index > 150:
                break
            cnn_boxes = [_rect_box(d.rect) for d in cnn(frame.image, 0)]
            rows += pairs([d.box for d in hog(frame.image)], cnn_boxes)
    med = np.median(np.array(rows), axis=0)
    print(json.dumps({"faces": len(rows), "dx": med[0], "dy": med[1], "scale": med[2]}))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
