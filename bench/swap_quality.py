"""Swap quality benchmark (not in CI): prints one JSON object.

Extracts the two GRID speakers, holds out the last 20% of each clip's frames, trains a model on
the rest for ``--minutes`` (default 20, ``lite``) in chunks of ``--every`` minutes, and after
each chunk measures on the held-out faces (see :mod:`twoface.evaluate`): the identity transfer
rate (swapped A pasted into its frame, within 0.6 of B's mean dlib embedding and nearer B than
A), mean distances to B and A, and reconstruction SSIM of each person. The curve (rate against
training minutes) goes to ``bench/README.md``. Target: rate >= 0.8 after 20 minutes.
Run: ``.venv/bin/python bench/swap_quality.py [--minutes 20 --every 5 --model lite --lr 2e-4]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELD_OUT = 0.2


def split(faceset, out: Path):
    """(training FaceSet of the first 80% frames, held-out records of the rest)."""
    from twoface.extract.sort import write_subset

    records = sorted(faceset.records(), key=lambda r: r.frame_index)
    cut = int(len(records) * (1 - HELD_OUT))
    return write_subset(faceset, records[:cut], out), records[cut:]


def evaluate(model_dir: Path, held_a, held_b, mean_a, mean_b) -> dict:
    from twoface.convert.swap import load_model
    from twoface.evaluate import identity_transfer, reconstruction_ssim

    swap = load_model(model_dir, "auto", lambda _m: None)
    transfer = identity_transfer(swap, held_a, mean_a, mean_b)
    return {
        "step": swap.step,
        "identity_transfer": round(transfer.rate, 3),
        "mean_to_b": round(transfer.mean_to_b, 3),
        "mean_to_a": round(transfer.mean_to_a, 3),
        "sharpness": round(transfer.sharpness, 3),
        "ssim_a": round(reconstruction_ssim(swap, held_a, "a"), 3),
        "ssim_b": round(reconstruction_ssim(swap, held_b, "b"), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="lite")
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--lr", type=float, help="default: the model's (models/registry.py)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--init-from")
    parser.add_argument("--keep", type=Path, help="keep the model folder here")
    args = parser.parse_args()

    from twoface.config import ExtractConfig, TrainConfig
    from twoface.evaluate import mean_embedding
    from twoface.extract.faceset import FaceSet
    from twoface.extract.pipeline import extract
    from twoface.train.loop import train

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sets = []
        for name in ("s1", "s2"):
            extract(
                [ROOT / f"samples/grid/{name}.mp4"],
                root / name,
                ExtractConfig(progress=False),
                lambda _m: None,
            )
            sets.append(split(FaceSet.open(root / name), root / f"{name}_train"))
        (train_a, held_a), (train_b, held_b) = sets
        mean_a, mean_b = mean_embedding(train_a.records()), mean_embedding(train_b.records())
        model_dir = args.keep or root / "model"
        curve, done = [], 0.0
        while done < args.minutes - 1e-6:
            chunk = min(args.every, args.minutes - done)
            cfg = TrainConfig(
                model_dir=str(model_dir),
                faceset_a=str(train_a.root),
                faceset_b=str(train_b.root),
                model=args.model,
                minutes=chunk,
                lr=args.lr,
                batch=args.batch,
                init_from=args.init_from,
                save_every=500,
                progress=False,
            )
            started = time.monotonic()
            train(cfg, report=lambda _m: None)
            done += chunk
            point = {"minutes": round(done, 2), **evaluate(model_dir, held_a, held_b, mean_a, mean_b)}
            point["train_seconds"] = round(time.monotonic() - started, 1)
            curve.append(point)
        result = {
            "model": args.model,
            "lr": args.lr,
            "batch_per_side": args.batch,
            "init_from": args.init_from,
            "held_out_faces": {"a": len(held_a), "b": len(held_b)},
            "a_to_b_mean_distance": round(float(((mean_a - mean_b) ** 2).sum() ** 0.5), 3),
            "curve": curve,
            "final": curve[-1],
            "target_identity_transfer": 0.8,
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
