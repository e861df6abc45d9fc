"""The Model folder (DESIGN.md): ``model.safetensors`` + ``model.json`` + ``optimizer.pt`` +
``loss.csv``, saved atomically with the previous good save kept in ``backups/``.

Each file is written under a temporary name and renamed into place; ``model.json`` goes last
and names the step, which the weights' metadata repeats. A load whose files disagree (a crash
between renames) says so and falls back to ``backups/``. Nothing loaded can run code:
safetensors and JSON, and the optimizer state through ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from twoface.errors import TwofaceError
from twoface.models.autoencoder import ArchConfig, AutoEncoder

FORMAT_VERSION = 1
FILES = ("model.safetensors", "optimizer.pt", "loss.csv", "model.json")


@dataclass(frozen=True)
class Checkpoint:
    """What a Model folder holds, loaded: the model, its ``model.json`` and optimizer state."""

    model: AutoEncoder
    meta: dict
    optimizer_state: dict | None
    loss_csv: str


def _write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def save(folder: Path, model: AutoEncoder, meta: dict, optimizer_state: dict, loss_csv: str) -> None:
    """Save atomically; the files of the last good save move to ``backups/`` first."""
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / ".staging"
    staged.mkdir(exist_ok=True)
    weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    _write(staged / FILES[0], lambda p: save_file(weights, str(p), metadata={"step": str(meta["step"])}))
    _write(staged / FILES[1], lambda p: torch.save(optimizer_state, p))
    _write(staged / FILES[2], lambda p: p.write_text(loss_csv))
    _write(staged / FILES[3], lambda p: p.write_text(json.dumps(meta, indent=1) + "\n"))
    if (folder / FILES[3]).exists():
        backups = folder / "backups"
        backups.mkdir(exist_ok=True)
        for name in FILES:
            if (folder / name).exists():
                shutil.copy2(folder / name, backups / (name + ".tmp"))
                os.replace(backups / (name + ".tmp"), backups / name)
    for name in FILES:
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
    if meta.get("format_version") != FORMAT_VERSION or "config" not in meta:
        raise TwofaceError(path, "not a twoface model description of a known format")
    return meta


def _load_from(folder: Path, device: str) -> Checkpoint:
    meta = read_meta(folder)
    model = AutoEncoder(ArchConfig.from_json(meta["config"]["arch"]))
    path = folder / FILES[0]
    try:
        weights = load_file(str(path), device="cpu")
        from safetensors import safe_open

        with safe_open(str(path), "pt") as fh:
            step = int((fh.metadata() or {}).get("step", -1))
    except (SafetensorError, OSError, ValueError) as exc:
        raise TwofaceError(path, f"corrupt or truncated weights ({exc})") from None
    if step != meta["step"]:
        raise TwofaceError(path, f"weights are of step {step}, model.json says {meta['step']}")
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
    """Load a Model folder; if its files are damaged, say so and load ``backups/``."""
    folder = Path(folder)
    try:
        return _load_from(folder, device)
    except TwofaceError as exc:
        if not (folder / "backups" / "model.json").exists():
            raise
        report(f"{exc}; using the previous save in {folder / 'backups'}")
        return _load_from(folder / "backups", device)
