"""``make demo``: the whole pipeline on the bundled GRID clips, as ``twoface run`` does it.

Speaker s1 is A (the clip that gets converted), speaker s2 is B. Extracts both into
``demo/work/faces_*``, trains the default model (``lite128``) for a short budget
(``TWOFACE_DEMO_MINUTES``, default 3) or continues the model already in ``demo/work/model``,
converts s1 and writes:

- ``demo/out.mp4``: s1 with the swapped face, its audio and a provenance record;
- ``demo/work/model/preview.png`` and ``loss.png``: what training produced;
- ``demo/strip.png``: six frames, original above, swapped below;
- ``demo/contact_sheet.png``: aligned faces of both speakers.

The first run continues ``samples/grid_model`` (a lite128 model trained longer by
``twoface train``, shipped as float16; ``TWOFACE_DEMO_SCRATCH=1`` trains from nothing: three
minutes from scratch give a blurred face). Each further ``make demo`` trains on from the saved
step, with its own learning-rate schedule over its budget.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import av
import cv2
import numpy as np

from twoface.config import ConvertConfig, ExtractConfig, TrainConfig
from twoface.extract.faceset import FaceSet
from twoface.media.provenance import provenance
from twoface.media.watermark import embed as mark
from twoface.media.write import write_image
from twoface.run import run

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
BUNDLED = SAMPLES / "grid_model"  # tools/bundle_model.py: trained longer, float16, no optimizer state
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


def frame_strip(original: Path, swapped: Path, count: int = 6, height: int = 160) -> np.ndarray:
    """RGB image: ``count`` evenly spaced frames of ``original`` above the same frames of ``swapped``."""
    rows = []
    for path in (original, swapped):
        with av.open(str(path)) as c:
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        picks = np.linspace(0, len(frames) - 1, count + 2).round().astype(int)[1:-1]
        scale = height / frames[0].shape[0]
        size = (round(frames[0].shape[1] * scale), height)
        rows.append(np.hstack([cv2.resize(frames[i], size, interpolation=cv2.INTER_AREA) for i in picks]))
    return np.vstack(rows)


def write_strip(original: Path, swapped: Path, path: Path) -> None:
    """:func:`frame_strip` as a PNG with the provenance record of the swap it shows."""
    record = provenance("demo strip: source frames above, swapped below", source=str(original))
    write_image(path, mark(frame_strip(original, swapped)), record)


def _save(path: Path, image: np.ndarray) -> None:
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


def start_from_bundled(model: Path, bundled: Path = BUNDLED) -> str | None:
    """Copy the bundled model into ``model`` when there is no model there yet; the line saying so."""
    if (model / "model.json").exists() or not (bundled / "model.json").exists():
        return None
    shutil.copytree(bundled, model)
    made = json.loads((bundled / "model.json").read_text()).get("bundled", {})
    return (
        f"continuing the bundled model {bundled} ({made.get('steps', '?')} steps, "
        f"{made.get('minutes', '?')} minutes of twoface train); delete {model} to train from scratch"
    )


def main(out: Path = Path("demo")) -> int:
    minutes = float(os.environ.get("TWOFACE_DEMO_MINUTES", "3"))
    a, b = SAMPLES / "grid/s1.mp4", SAMPLES / "grid/s2.mp4"
    if os.environ.get("TWOFACE_DEMO_SCRATCH") != "1" and (line := start_from_bundled(out / "work" / "model")):
        print(f"twoface: {line}", file=sys.stderr)
    result = run(
        [str(a)],
        [str(b)],
        out / "out.mp4",
        out / "work",
        ExtractConfig(),
        TrainConfig(model_dir="", minutes=minutes),
        ConvertConfig(model_dir=""),
        report=lambda line: print(f"twoface: {line}", file=sys.stderr),
    )
    _save(out / "contact_sheet.png", contact_sheet([FaceSet.open(out / "work" / f"faces_{s}") for s in "ab"]))
    write_strip(a, out / "out.mp4", out / "strip.png")
    model = out / "work" / "model"
    print(f"{out / 'out.mp4'}: {result.convert.line()}")
    print(f"model: step {result.train.step} after this {minutes:g}-minute run, in {model}")
    print(f"see {out / 'strip.png'} (original above, swapped below) and {model / 'preview.png'}")
    print("`make demo` again trains on from here; delete demo/work/model to start again")
    return 0 if result.convert.outputs else 1


if __name__ == "__main__":
    sys.exit(main())
