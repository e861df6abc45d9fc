"""Swap quality benchmark (not in CI): trains one model from scratch on a pair of clips and
prints one JSON object with its quality at several points of one run.

Pairs: ``grid`` (the bundled GRID speakers s1 = A, s2 = B, faces 100-140 px), ``hires``
(``../shared/data/hires/talk_a`` and ``talk_b``, faces ~250 px; read from ``../shared`` only,
skipped when absent) and ``selfie`` (``../shared/data/multi/selfie.mp4``: two people taking turns,
backlit, split by dlib identity; footage the recipe was never tuned on). The last 20% of each
side's frames are held out; the model trains on the rest for ``--minutes`` (default 20) with
``twoface train``'s defaults, in one run (so the learning-rate schedule and the sharpening
phase span the whole budget), and copies itself at ``--every`` minute marks. Each copy is then
judged on the held-out frames by :func:`twoface.evaluate.judge` (identity transfer, sharpness
against a perfect model's ceiling, mouth-opening correlation, flicker, reconstruction SSIM) and
a sheet is written next to it.

``--work DIR`` keeps face sets and models there: a second call with the same ``--work``
evaluates again without training (``--retrain`` trains afresh).
Run: ``.venv/bin/python bench/swap_quality.py --pair grid --work /tmp/q_grid [--model lite128]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
HELD_OUT = 0.2
PAIRS = {
    "grid": (ROOT / "samples/grid/s1.mp4", ROOT / "samples/grid/s2.mp4"),
    "hires": (SHARED / "hires/talk_a.mp4", SHARED / "hires/talk_b.mp4"),
    # one clip, two people taking turns (backlit, faces turning away): A is the person seen most
    "selfie": (SHARED / "multi/selfie.mp4", None),
}


def prepare(pair: str, work: Path) -> None:
    """Face sets ``A``/``B`` (all frames) and ``A_train``/``B_train`` (the first 80%)."""
    from twoface.config import ExtractConfig
    from twoface.extract.pipeline import extract

    clip_a, clip_b = PAIRS[pair]
    if all((work / f"{side}_train" / "faces.jsonl").exists() for side in "AB"):
        return
    if clip_b is None:
        extract([clip_a], work / "both", ExtractConfig(progress=False), lambda _m: None)
        _split_people(work)
    else:
        for side, clip in (("A", clip_a), ("B", clip_b)):
            extract([clip], work / side, ExtractConfig(progress=False), lambda _m: None)
    for side in "AB":
        _hold_out(work, side)


def _split_people(work: Path) -> None:
    """``both`` split by dlib identity: the largest group is A, the next B."""
    import numpy as np

    from twoface.extract.faceset import FaceSet
    from twoface.extract.identity import cluster
    from twoface.extract.sort import write_subset

    both = FaceSet.open(work / "both")
    records = both.records()
    labels = cluster(np.stack([r.embedding_array() for r in records]))
    for side, label in (("A", 0), ("B", 1)):
        write_subset(both, [r for r, k in zip(records, labels, strict=True) if k == label], work / side)


def _hold_out(work: Path, side: str) -> None:
    from twoface.extract.faceset import FaceSet
    from twoface.extract.sort import write_subset

    faceset = FaceSet.open(work / side)
    records = sorted(faceset.records(), key=lambda r: r.frame_index)
    write_subset(faceset, records[: int(len(records) * (1 - HELD_OUT))], work / f"{side}_train")


def held_out(work: Path, side: str) -> list:
    from twoface.extract.faceset import FaceSet

    records = sorted(FaceSet.open(work / side).records(), key=lambda r: r.frame_index)
    return records[int(len(records) * (1 - HELD_OUT)) :]


def train_model(args, work: Path) -> float:
    from twoface.config import TrainConfig
    from twoface.train.loop import train

    marks = [m for m in _marks(args) if m < args.minutes]
    cfg = TrainConfig(
        model_dir=str(work / "model"),
        faceset_a=str(work / "A_train"),
        faceset_b=str(work / "B_train"),
        model=args.model,
        minutes=args.minutes,
        lr=args.lr,
        **({"batch": args.batch} if args.batch else {}),
        face_type=args.face_type,
        sharpen=args.sharpen,
        warp=args.warp,
        lr_dropout=args.lr_dropout,
        schedule=args.schedule,
        snapshots=tuple(marks),
        ema=args.ema,
        refiner=args.refiner,
        gan=args.gan,
        gan_start=args.gan_start,
        **({"gan_ssim": args.gan_ssim} if args.gan_ssim is not None else {}),
        loss=args.loss,
        precision=args.precision,
        save_every=500,
        progress=False,
    )
    started = time.monotonic()
    train(cfg, report=lambda _m: None)
    return time.monotonic() - started


def _marks(args) -> list[float]:
    count = round(args.minutes / args.every)
    return [round(args.every * (i + 1), 2) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pair", choices=sorted(PAIRS), default="grid")
    parser.add_argument("--model", default=None, help="default: twoface train's")
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--batch", type=int, help="default: twoface train's")
    parser.add_argument("--face-type", default="face")
    parser.add_argument("--sharpen", type=float, default=0.2)
    parser.add_argument("--lr-dropout", type=float, default=0.0, help="in the sharpening phase")
    parser.add_argument("--warp", type=float, default=0.025, help="random warp strength (train's default)")
    parser.add_argument("--schedule", default="cosine")
    parser.add_argument("--ema", action="store_true")
    parser.add_argument("--refiner", type=int, nargs="?", const=2, default=0, help="B's refiner scale")
    parser.add_argument("--loss", default="ssim_l1")
    parser.add_argument("--precision", default="auto", help="of training: auto, fp32 or bf16")
    parser.add_argument("--gan", type=float, help="patch discriminator weight (default: train's)")
    parser.add_argument("--gan-start", type=float, default=0.5)
    parser.add_argument("--gan-ssim", type=float, help="default: train's")
    parser.add_argument("--threads", type=int, help="torch threads (two runs side by side: 1 each)")
    parser.add_argument("--work", type=Path, help="keep face sets and models here")
    parser.add_argument("--retrain", action="store_true")
    parser.add_argument("--train-only", action="store_true")
    parser.add_argument("--limit", type=int, default=120, help="held-out faces of A judged")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if not PAIRS[args.pair][0].exists():
        print(json.dumps({"pair": args.pair, "skipped": f"{PAIRS[args.pair][0]} not found"}))
        return
    tmp = None if args.work else tempfile.TemporaryDirectory()
    work = args.work or Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    prepare(args.pair, work)
    seconds = None
    if args.retrain and (work / "model").exists():
        shutil.rmtree(work / "model")
    if not (work / "model" / "model.json").exists():
        seconds = train_model(args, work)
    if args.train_only:
        print(json.dumps({"pair": args.pair, "trained_seconds": seconds}))
        return
    print(json.dumps(evaluate_all(args, work, seconds), indent=2))


def evaluate_all(args, work: Path, seconds: float | None) -> dict:
    from twoface.evaluate import judge
    from twoface.extract.faceset import FaceSet

    train_a, train_b = (FaceSet.open(work / f"{s}_train").records() for s in "AB")
    held_a, held_b = held_out(work, "A"), held_out(work, "B")
    folders = [work / "model" / "snapshots" / f"{m:g}min" for m in _marks(args)[:-1]] + [work / "model"]
    curve = []
    for minutes, folder in zip(_marks(args), folders, strict=True):
        if not (folder / "model.json").exists():
            continue
        point = judge(
            folder, held_a[: args.limit], held_b, train_a, train_b, sheet=folder / "sheet.png", both_ways=True
        )
        curve.append({"minutes": minutes, **point})
    final = work / "model"
    if curve and json.loads((final / "model.json").read_text()).get("ema_updates") is not None:
        raw = judge(
            final,
            held_a[: args.limit],
            held_b,
            train_a,
            train_b,
            sheet=final / "sheet_raw.png",
            average=False,
        )
        curve[-1]["raw_weights"] = raw
    return {
        "pair": args.pair,
        "model": json.loads((work / "model" / "model.json").read_text())["model"],
        "held_out_faces": {"a": min(len(held_a), args.limit), "b": len(held_b)},
        "train_seconds": seconds,
        "curve": curve,
        "final": curve[-1] if curve else None,
    }


if __name__ == "__main__":
    main()
