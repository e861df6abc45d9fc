"""Make ``samples/grid_model/``: a model folder trained by ``twoface train`` on the bundled
GRID pair, stored small enough to ship (float16 safetensors, B's critic with it, no optimizer
state) for ``make demo`` to continue from.

    .venv/bin/python tools/bundle_model.py MODEL_DIR samples/grid_model --how "the command that trained it"

``model.json`` keeps the architecture, crop, face type, step and recipe, drops the paths of the
machine that trained it, and records ``bundled``: how it was trained (``--how``), its steps and
minutes of training (from ``loss.csv``), and the precision. Loading casts the weights back to
float32 (``load_state_dict`` copies into the model's own dtype).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from safetensors.torch import load_file, save_file

LIMIT_MB = 25


def minutes_trained(folder: Path) -> float:
    rows = (folder / "loss.csv").read_text().strip().splitlines()
    return round(float(rows[-1].split(",")[3]) / 60, 1) if len(rows) > 1 else 0.0


def bundle(src: Path, dst: Path, how: str) -> Path:
    meta = json.loads((src / "model.json").read_text())
    weights = {k: v.half().contiguous() for k, v in load_file(str(src / "model.safetensors")).items()}
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    save_file(weights, str(dst / "model.safetensors"), metadata={"step": str(meta["step"])})
    shutil.copy2(src / "loss.csv", dst / "loss.csv")  # the curve, and the minutes a resume adds to
    critic = src / "discriminator.safetensors"  # B's critic (0.3 MB): a resume goes on with it
    if meta.get("discriminator") and critic.is_file():
        halves = {k: v.half().contiguous() for k, v in load_file(str(critic)).items()}
        save_file(halves, str(dst / critic.name), metadata={"step": str(meta["step"])})  # as checkpoint does
    else:
        meta.pop("discriminator", None)
    meta["facesets"] = {"a": "samples/grid/s1.mp4 (extracted)", "b": "samples/grid/s2.mp4 (extracted)"}
    meta["identities"] = {"a": "GRID s1", "b": "GRID s2"}
    meta.pop("ema_updates", None)
    meta.pop("refiner", None)
    meta["bundled"] = {
        "how": how,
        "steps": meta["step"],
        "minutes": minutes_trained(src),
        "precision": "float16 weights (cast to float32 on load); no optimizer state",
    }
    (dst / "model.json").write_text(json.dumps(meta, indent=1) + "\n")
    size = (dst / "model.safetensors").stat().st_size / 2**20
    if size > LIMIT_MB:
        raise SystemExit(f"{dst}: {size:.1f} MB of weights, over the {LIMIT_MB} MB a sample may take")
    return dst


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("src", type=Path)
    parser.add_argument("dst", type=Path)
    parser.add_argument("--how", required=True, help="the command line that trained it")
    args = parser.parse_args()
    out = bundle(args.src, args.dst, args.how)
    print(f"{out}: {(out / 'model.safetensors').stat().st_size / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
