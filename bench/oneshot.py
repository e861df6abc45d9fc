"""One-shot identity benchmark (not in CI): prints one JSON object.

For every ordered pair of bundled ``samples/identity`` photos of two different people (a face
photo of P, a target photo of T), ``twoface swap --face`` is run with each ``keep`` choice of
:data:`twoface.oneshot.KEEP` (which of the target's own parts stay). The result's face is
embedded by dlib and compared with P's and T's mean embeddings, each taken over that
person's *other* photos (not the two in the pair). A swap "lands" when it is nearer P than T.
``--photos DIR`` takes another folder of ``person_N.jpg`` photos (two or more people, two or
more photos each), such as stills cut from footage the one-shot path was never tuned on.
Run: ``.venv/bin/python bench/oneshot.py [--photos DIR]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def person(path: Path) -> str:
    return path.stem.rsplit("_", 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=Path, default=ROOT / "samples/identity")
    photos = sorted(parser.parse_args().photos.glob("*_[0-9].*"))
    print(json.dumps(measure(photos), indent=2))


def measure(photos: list[Path]) -> dict:
    from twoface.extract.detect import make_detector
    from twoface.extract.identity import embed
    from twoface.extract.landmarks import landmarks68
    from twoface.media.read import read_image
    from twoface.oneshot import KEEP, OneShotSwapper, load_source_face

    detect = make_detector("hog")
    images, faces, embeddings = {}, {}, {}
    for p in photos:
        images[p] = read_image(p)
        box = max(detect(images[p]), key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1])).box
        faces[p] = (box, landmarks68(images[p], box))
        embeddings[p] = embed(images[p], faces[p][1])
    sources = {p: load_source_face(p, detect, lambda _m: None) for p in photos}

    def mean_of(name: str, skip: set[Path]) -> np.ndarray:
        return np.mean([embeddings[q] for q in photos if person(q) == name and q not in skip], axis=0)

    rows = {k: [] for k in KEEP}
    for face, target in itertools.permutations(photos, 2):
        if person(face) == person(target):
            continue
        skip = {face, target}
        to_face_person, to_target_person = mean_of(person(face), skip), mean_of(person(target), skip)
        for keep in KEEP:
            swapped = OneShotSwapper(sources[face], keep=keep)(images[target], [faces[target][1]])
            e = embed(swapped, landmarks68(swapped, faces[target][0]))
            rows[keep].append(
                (float(np.linalg.norm(e - to_face_person)), float(np.linalg.norm(e - to_target_person)))
            )
    result = {
        keep: {
            "pairs": len(r),
            "median_to_face_person": round(statistics.median(a for a, _ in r), 3),
            "median_to_target_person": round(statistics.median(b for _, b in r), 3),
            "landed_nearer_face_person": round(sum(a < b for a, b in r) / len(r), 3),
        }
        for keep, r in rows.items()
    }
    result["untouched_target_to_other_person"] = round(
        statistics.median(
            float(np.linalg.norm(embeddings[t] - mean_of(person(f), {f, t})))
            for f, t in itertools.permutations(photos, 2)
            if person(f) != person(t)
        ),
        3,
    )
    result["photos"] = [p.name for p in photos]
    return result


if __name__ == "__main__":
    main()
