"""The Model folder (DESIGN.md, "Data that flows", Model): ``model.safetensors`` +
``model.json`` + ``optimizer.pt`` +
``loss.csv`` (and ``ema.safetensors``, the weights' moving average, when training keeps one),
saved atomically with the previous good save kept in ``backups/``.

Each file is written under a temporary name and renamed into place; ``model.json`` goes last
and names the step, which the weights' metadata repeats. A load whose files disagree (a crash
between renames) says so and falls back to ``backups/``. Nothing loaded can run code:
safetensors and JSON, and the optimizer state through ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from twoface.errors import TwofaceError
from twoface.models.autoencoder import ArchConfig, AutoEncoder
from twoface.models.refiner import Refiner, RefinerConfig

FORMAT_VERSION = 1
FILES = ("model.safetensors", "optimizer.pt", "loss.csv", "model.json")
EMA_FILE = "ema.safetensors"  # optional; model.json's "ema_updates" says it belongs to the save
REFINER_FILE = "refiner.safetensors"  # optional; model.json's "refiner" gives its shape
CRITIC_FILE = "discriminator.safetensors"  # optional; model.json's "discriminator": true
EXTRA_FILES = (EMA_FILE, REFINER_FILE, CRITIC_FILE)


@dataclass(frozen=True)
class Checkpoint:
    """What a Model folder holds, loaded: the model, its ``model.json`` and optimizer state."""

    model: AutoEncoder
    meta: dict
    optimizer_state: dict | None
    loss_csv: str
    ema_state: dict | None = None  # the averaged weights, when saved and readable
    refiner: Refiner | None = None  # B's refiner (twoface.models.refiner), when saved and readable
    discriminator: dict | None = None  # B's patch discriminator's weights (twoface.train.gan)


def _write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _weights(model: AutoEncoder) -> dict:
    return {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}


def save(
    folder: Path,
    model: AutoEncoder,
    meta: dict,
    optimizer_state: dict,
    loss_csv: str,
    ema: AutoEncoder | None = None,
    refiner: Refiner | None = None,
    discriminator: torch.nn.Module | None = None,
) -> None:
    """Save atomically; the files of the last good save move to ``backups/`` first. ``ema``:
    the averaged model, saved as ``ema.safetensors`` (``meta`` should say ``ema_updates``);
    ``refiner``: B's refiner, ``refiner.safetensors`` (``meta["refiner"]`` its config);
    ``discriminator``: the GAN's critic, ``discriminator.safetensors`` (``meta["discriminator"]``
    true; its own Adam state is not kept: a resume warms it up again)."""
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / ".staging"
    staged.mkdir(exist_ok=True)
    step = {"step": str(meta["step"])}
    _write(staged / FILES[0], lambda p: save_file(_weights(model), str(p), metadata=step))
    _write(staged / FILES[1], lambda p: torch.save(optimizer_state, p))
    _write(staged / FILES[2], lambda p: p.write_text(loss_csv))
    names = list(FILES)
    for name, extra in ((EMA_FILE, ema), (REFINER_FILE, refiner), (CRITIC_FILE, discriminator)):
        if extra is not None:
            _write(staged / name, lambda p, m=extra: save_file(_weights(m), str(p), metadata=step))
            names.insert(3, name)
    _write(staged / FILES[3], lambda p: p.write_text(json.dumps(meta, indent=1) + "\n"))
    if (folder / FILES[3]).exists():
        backups = folder / "backups"
        backups.mkdir(exist_ok=True)
        for name in (*FILES, *EXTRA_FILES):
            if (folder / name).exists():
                shutil.copy2(folder / name, backups / (name + ".tmp"))
                os.replace(backups / (name + ".tmp"), backups / name)
    for name in names:
        os.replace(staged / name, folder / name)
    staged.rmdir()


def read_meta(folder: Path) -> dict:
    path = Path(folder) / "model.json"
    if not path.is_file():
        raise TwofaceError(folder, "not a twoface model (no model.json)")
    try:
        meta = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise TwofaceError(path, f"unreadable model description ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION or "config" not in meta:
        raise TwofaceError(path, "not a twoface model description of a known format")
    problem = _meta_problem(meta)
    if problem:
        raise TwofaceError(path, f"damaged model description: {problem}")
    return meta


def _meta_problem(meta: dict) -> str | None:
    """What is wrong with the shape of a ``model.json`` (None when nothing is): the fields
    convert and train read, with their types and ranges."""
    from twoface.facetypes import FACE_TYPES
    from twoface.types import CropSpec

    config = meta["config"]
    if not isinstance(config, dict) or not isinstance(config.get("arch"), dict):
        return "config.arch must be an object"
    try:
        arch = ArchConfig.from_json(config["arch"])
        spec = CropSpec.from_json(meta["crop"])
    except (KeyError, TypeError, ValueError) as exc:
        return f"architecture or crop unreadable ({type(exc).__name__}: {exc})"
    sizes = [meta.get(k, arch.size) for k in ("input_size", "output_size")]
    if not all(isinstance(v, int) and not isinstance(v, bool) and 8 <= v <= 4096 for v in sizes):
        return "input_size and output_size must be whole numbers of pixels"
    if not (8 <= spec.size <= 4096 and 0 <= spec.margin < 1):
        return "crop size or margin out of range"
    step = meta.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        return "step must be a whole number >= 0"
    if not isinstance(meta.get("face_type", "face"), str) or meta.get("face_type", "face") not in FACE_TYPES:
        return f"unknown face type {meta.get('face_type')!r}"
    if not isinstance(config.get("lr", 1e-4), int | float) or not isinstance(config.get("batch", 8), int):
        return "config.lr and config.batch must be numbers"
    return None


def _load_from(folder: Path, device: str) -> Checkpoint:
    meta = read_meta(folder)
    model = AutoEncoder(ArchConfig.from_json(meta["config"]["arch"]))
    path = folder / FILES[0]
    weights = _read_weights(path, meta["step"], "weights")
    try:
        model.load_state_dict(weights)
    except RuntimeError:
        raise TwofaceError(path, f"weights do not fit the {meta.get('model')} architecture") from None
    opt = None
    if (folder / FILES[1]).exists():
        try:
            opt = torch.load(folder / FILES[1], map_location=device, weights_only=True)
        except Exception as exc:  # pickle refusing to run code lands here too
            raise TwofaceError(
                folder / FILES[1], f"unsafe or corrupt optimizer state ({type(exc).__name__})"
            ) from None
    loss_csv = (folder / FILES[2]).read_text() if (folder / FILES[2]).exists() else ""
    return Checkpoint(model.to(device), meta, opt, loss_csv)


def load(folder: str | Path, device: str = "cpu", report=print) -> Checkpoint:
    """Load a Model folder; if its files are damaged, say so and load ``backups/``. A missing
    or damaged ``ema.safetensors`` or ``refiner.safetensors`` is said in one line and left out
    (the model's own weights still load and swap; nothing on disk is changed)."""
    folder = Path(folder)
    try:
        ck = _load_from(folder, device)
    except TwofaceError as exc:
        if not (folder / "backups" / "model.json").exists():
            raise
        report(f"{exc}; using the previous save in {folder / 'backups'}")
        folder = folder / "backups"
        ck = _load_from(folder, device)
    if ck.meta.get("ema_updates") is not None:
        try:
            ck = replace(ck, ema_state=_load_extra(folder / EMA_FILE, ck, "weight average", ck.model))
        except TwofaceError as exc:
            report(f"{exc}; using the model's own weights instead of their average")
    if ck.meta.get("refiner") is not None:
        refiner = Refiner(RefinerConfig.from_json(ck.meta["refiner"]))
        try:
            refiner.load_state_dict(_load_extra(folder / REFINER_FILE, ck, "refiner", refiner))
            ck = replace(ck, refiner=refiner.to(device))
        except TwofaceError as exc:
            report(f"{exc}; swapping without the refiner")
    if ck.meta.get("discriminator"):
        from twoface.models.discriminator import PatchDiscriminator

        try:
            ck = replace(
                ck, discriminator=_load_extra(folder / CRITIC_FILE, ck, "discriminator", PatchDiscriminator())
            )
        except TwofaceError as exc:
            report(f"{exc}; a resumed run trains a new one")
    return ck


def _read_weights(path: Path, step: int, what: str) -> dict:
    """The tensors of a safetensors file whose metadata names ``step`` (TwofaceError if not)."""
    from safetensors import safe_open

    try:
        weights = load_file(str(path), device="cpu")
        with safe_open(str(path), "pt") as fh:
            saved = int((fh.metadata() or {}).get("step", -1))
    except (SafetensorError, OSError, ValueError) as exc:
        raise TwofaceError(path, f"corrupt or truncated {what} ({exc})") from None
    if saved != step:
        raise TwofaceError(path, f"{what} are of step {saved}, model.json says {step}")
    return weights


def _load_extra(path: Path, ck: Checkpoint, what: str, module: torch.nn.Module) -> dict:
    """An optional weights file of the save ``ck``, checked against ``module``'s shapes."""
    if not path.is_file():
        raise TwofaceError(path, f"missing {what} (model.json says there is one)")
    weights = _read_weights(path, ck.meta["step"], what)
    own = module.state_dict()
    if set(weights) != set(own) or any(weights[k].shape != own[k].shape for k in own):
        raise TwofaceError(path, f"{what} does not fit the {ck.meta.get('model')} model")
    return weights
