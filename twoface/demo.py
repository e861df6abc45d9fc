"""``make demo``: the pipeline so far on the bundled GRID clips.

Extracts both speakers into face sets under ``demo/faces/`` and writes
``demo/contact_sheet.png``: evenly spaced aligned faces of each, one row of 12 per speaker.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from twoface.config import ExtractConfig
from twoface.extract.faceset import FaceSet
from twoface.extract.pipeline import extract

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
THUMB = 96


def contact_sheet(facesets: list[FaceSet], per_row: int = 12) -> np.ndarray:
    """RGB image with one row of ``per_row`` evenly spaced crops from each face set."""
    rows = []
    for faceset in facesets:
        records = faceset.records()
        picks = np.linspace(0, len(records) - 1, per_row).round().astype(int) if records else []
        thumbs = [
            cv2.resize(faceset.load_crop(records[i]), (THUMB, THUMB), interpolation=cv2.INTER_AREA)
            for i in picks
        ]
        thumbs += [np.zeros((THUMB, THUMB, 3), np.uint8)] * (per_row - len(thumbs))
        rows.append(np.hstack(thumbs))
    return np.vstack(rows)


def main(out: Path = Path("demo")) -> int:
    sets = []
    for name in ("s1", "s2"):
        summary = extract(
            [SAMPLES / "grid" / f"{name}.mp4"], out / "faces" / name, ExtractConfig(), report=print
        )
        print(f"{name}: {summary.line()}")
        sets.append(FaceSet.open(out / "faces" / name))
    sheet = out / "contact_sheet.png"
    cv2.imwrite(str(sheet), cv2.cvtColor(contact_sheet(sets), cv2.COLOR_RGB2BGR))
    print(f"wrote {sheet} (aligned faces of both speakers) and face sets in {out / 'faces'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
