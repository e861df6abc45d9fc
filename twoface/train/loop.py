"""The training loop: sample warped faces of A and B, rebuild each with its own decoder,
step, log, preview, save. Reads top to bottom like the method it implements."""

from __future__ import annotations

import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from twoface import __version__
from twoface.config import TrainConfig
from twoface.errors import TwofaceError
from twoface.extract.faceset import FaceSet
from twoface.facetypes import DEFAULT_FACE_TYPE, FACE_TYPES
from twoface.models import checkpoint
from twoface.models.autoencoder import AutoEncoder, Paired
from twoface.models.registry import DEFAULT_LR, DEFAULT_MODEL, build
from twoface.train import distributed
from twoface.train.data import AugmentConfig, FaceData, to_tensor
from twoface.train.ema import EMA
from twoface.train.losses import LOSSES
from twoface.train.refine import MIN_FACES as REFINER_MIN_FACES
from twoface.train.refine import RefinerTrainer
from twoface.train.schedule import SCHEDULES
from twoface.train.tuning import LayoutTuner
from twoface.types import CropSpec

MODEL_MARGIN = FACE_TYPES[DEFAULT_FACE_TYPE].margin  # the unit square fills 80% of the input
MIN_FACES = 25


@dataclass(frozen=True)
class TrainResult:
    step: int
    loss_a: float
    loss_b: float
    interrupted: bool


@contextmanager
def no_interrupt():
    """Hold Ctrl-C until the block is done (a save is never cut in half), then raise it."""
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *_: caught.append(1))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _load_faces(path: str, meta: dict, report) -> FaceData:
    faceset = FaceSet.open(path)
    records = faceset.records()
    if not records:
        raise TwofaceError(path, "face set is empty")
    if len(records) < MIN_FACES:
        report(f"{path}: only {len(records)} faces; {MIN_FACES} or more train much better")
    spec = CropSpec.from_json(meta["crop"])
    forehead = FACE_TYPES[meta.get("face_type", DEFAULT_FACE_TYPE)].forehead
    data = FaceData(faceset, spec, output_size(meta), forehead)
    if any(not r.crop_size for r in records) and data.store_scale < 0.9:
        report(
            f"{path}: made before face sets kept each face at its own resolution: its "
            f"{faceset.crop_spec.size} px crops hold {data.store_scale:.2f}x the faces' detail, "
            "which caps this model's sharpness; extract again for sharper swaps"
        )
    return data


def output_size(meta: dict) -> int:
    """The side (px) of the faces a model draws; models from before 128 px outputs draw at
    their input size."""
    return int(meta.get("output_size", meta.get("input_size", meta["crop"]["size"])))


def _start(cfg: TrainConfig, device: str, report) -> checkpoint.Checkpoint:
    """The model folder's checkpoint when there is one (resume), else a fresh model."""
    folder = Path(cfg.model_dir)
    if (folder / "model.json").exists():
        ck = checkpoint.load(folder, device, report)
        if cfg.model is not None and cfg.model != ck.meta["model"]:
            raise TwofaceError(folder, f"holds a {ck.meta['model']} model, not {cfg.model}")
        if cfg.lr is not None:  # a resumed run may change the learning rate
            ck.meta["config"]["lr"] = cfg.lr
        kept = ck.meta.get("face_type", DEFAULT_FACE_TYPE)
        if cfg.face_type != DEFAULT_FACE_TYPE and cfg.face_type != kept:
            report(f"{folder}: a {kept} model keeps its face type; --face-type {cfg.face_type} ignored")
        return ck
    if not (cfg.faceset_a and cfg.faceset_b):
        raise TwofaceError(folder, "no model here yet: give -A and -B face sets to start one")
    name = cfg.model or DEFAULT_MODEL
    model = build(name, cfg.mask)
    if cfg.init_from:
        _transfer(model, cfg.init_from, report)
    meta = {
        "format_version": checkpoint.FORMAT_VERSION,
        "model": name,
        "config": {
            "arch": model.arch.to_json(),
            "lr": cfg.lr or DEFAULT_LR[name],
            "batch": cfg.batch,
            "loss": cfg.loss,
        },
        "input_size": model.arch.size,
        "output_size": model.arch.out_size,
        "face_type": cfg.face_type,
        "crop": CropSpec(model.arch.size, FACE_TYPES[cfg.face_type].margin).to_json(),
        "identities": {"a": str(cfg.faceset_a), "b": str(cfg.faceset_b)},
        "facesets": {"a": str(Path(cfg.faceset_a).resolve()), "b": str(Path(cfg.faceset_b).resolve())},
        "step": 0,
        "history": {},
        "twoface_version": __version__,
        "init_from": cfg.init_from,
    }
    return checkpoint.Checkpoint(model.to(device), meta, None, "step,loss_a,loss_b,seconds\n")


def _transfer(model: AutoEncoder, source: str, report) -> None:
    """Copy every tensor of ``source`` whose name and shape fit (encoder, decoders)."""
    donor = checkpoint.load(source, "cpu", report).model.state_dict()
    own = model.state_dict()
    fits = {k: v for k, v in donor.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(fits, strict=False)
    parts = sorted({k.split(".")[0] for k in fits})
    report(f"{source}: copied {len(fits)} of {len(own)} tensors ({', '.join(parts) or 'none'})")


def train_step(
    runner, opt, loss_fn, batches, device, layout=torch.contiguous_format, refine=None
) -> tuple[float, float]:
    """One optimiser step on ``batches`` = ((inputs, targets, weights) of A, same of B) through
    ``runner`` (a :class:`Paired` model, maybe DDP-wrapped or compiled) with inputs in the
    model's memory ``layout``; the two losses. ``refine(rebuilt_b, target_b, weights_b)``, if
    given, is called after the step with B's rebuilt RGB faces (detached)."""
    opt.zero_grad(set_to_none=True)
    xs, ys, ws = [], [], []
    for x, y, w in batches:
        xs.append(to_tensor(x).to(device).contiguous(memory_format=layout))
        ys.append(to_tensor(y).to(device))
        ws.append(torch.from_numpy(w)[:, None].to(device))
    with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda")):
        outs = runner(*xs)
    losses = [_loss(loss_fn, o.float(), y, w) for o, y, w in zip(outs, ys, ws, strict=True)]
    sum(losses).backward()
    opt.step()
    if refine is not None:
        refine(outs[1][:, :3].detach(), ys[1], ws[1])
    return losses[0].item(), losses[1].item()


def _loss(loss_fn, out: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Image loss on the RGB channels; a model with a mask channel also learns the landmark face
    mask (weights >= 1: the face hull with the forehead) by mean squared error."""
    loss = loss_fn(out[:, :3], target, weights)
    if out.shape[1] > 3:
        loss = loss + torch.nn.functional.mse_loss(out[:, 3:], (weights >= 1).float())
    return loss


def preview(
    model: AutoEncoder, faces_a: np.ndarray, faces_b: np.ndarray, device: str, refiner=None
) -> np.ndarray:
    """RGB uint8 grid: rows A original / A rebuilt / A as B, then B / B rebuilt / B as A. Faces
    come at the model's output size and are shrunk (area) to its input. With B's ``refiner``,
    the faces drawn by decoder B (A as B, B rebuilt) are refined, as convert shows them."""
    rows = []
    model.eval()
    s = model.arch.size
    with torch.no_grad():
        for faces, own, other in ((faces_a, "a", "b"), (faces_b, "b", "a")):
            small = np.stack([cv2.resize(f, (s, s), interpolation=cv2.INTER_AREA) for f in faces])
            x = to_tensor(small).to(device)
            outs = [model(x, own)[:, :3], model(x, other)[:, :3]]
            if refiner is not None:
                b = 0 if own == "b" else 1
                refiner.eval()
                outs[b] = refiner(outs[b])
                refiner.train()
            rebuilt, swapped = ((o.clamp(0, 1) * 255).byte().permute(0, 2, 3, 1).cpu().numpy() for o in outs)
            rows += [np.hstack(list(faces)), np.hstack(list(rebuilt)), np.hstack(list(swapped))]
    model.train()
    return np.vstack(rows)


def _save(
    folder: Path, model, opt, meta, loss_csv: str, previews, timelapse: bool = False, ema=None, refiner=None
) -> None:
    """Model folder, ``preview.png``, ``loss.png`` and, with ``timelapse``, the preview kept as
    ``timelapse/<step>.png`` (the same fixed faces at every save: learning made visible)."""
    with no_interrupt():
        checkpoint.save(folder, model, meta, opt.state_dict(), loss_csv, ema and ema.model, refiner)
        shown = preview(ema.model if ema else model, *previews, refiner=refiner)
        image = cv2.cvtColor(shown, cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(folder / "preview.png"), image)
        if timelapse:
            (folder / "timelapse").mkdir(exist_ok=True)
            cv2.imwrite(str(folder / "timelapse" / f"{meta['step']:07d}.png"), image)
        plot_losses(loss_csv, folder / "loss.png")


def plot_losses(loss_csv: str, path: Path) -> None:
    """``loss.png``: loss A and loss B against step (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = np.array([[float(v) for v in ln.split(",")] for ln in loss_csv.strip().splitlines()[1:]])
    fig, ax = plt.subplots(figsize=(7, 4))
    if len(rows):
        ax.plot(rows[:, 0], rows[:, 1], label="A", lw=0.8)
        ax.plot(rows[:, 0], rows[:, 2], label="B", lw=0.8)
    ax.set(xlabel="step", ylabel="loss", yscale="log", title="training loss")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def train(cfg: TrainConfig, report=print) -> TrainResult:
    """Train (or resume) the model in ``cfg.model_dir`` until ``iterations``, ``minutes`` or
    Ctrl-C, saving a consistent model every ``save_every`` steps and at the end. Under torchrun
    the processes train replicas together (:mod:`twoface.train.distributed`); rank 0 saves."""
    torch.manual_seed(cfg.seed)
    dist = distributed.setup(cfg.device)
    device = dist.device
    folder = Path(cfg.model_dir)
    say = report if dist.main else _silent
    ck = _start(cfg, device, say)
    model, meta, opt_state, loss_csv = ck.model, ck.meta, ck.optimizer_state, ck.loss_csv
    data = [
        _load_faces(cfg.faceset_a or meta["facesets"]["a"], meta, say),
        _load_faces(cfg.faceset_b or meta["facesets"]["b"], meta, say),
    ]
    if cfg.freeze_encoder:
        model.encoder.requires_grad_(False)
    fused = device == "cpu" or device.startswith("cuda")  # one kernel per step instead of one per tensor
    opt = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad],
        lr=meta["config"]["lr"],
        betas=(0.5, 0.999),
        fused=fused,
    )
    if opt_state is not None and not cfg.freeze_encoder:
        opt.load_state_dict(opt_state)
    tuner = LayoutTuner(model, opt, device, tune=dist.world == 1 and not cfg.compile)
    runner = distributed.wrap(Paired(model), dist)
    runner = torch.compile(runner) if cfg.compile else runner
    loss_fn = LOSSES[meta["config"]["loss"]]
    rng = np.random.default_rng(cfg.seed + meta["step"] + 7919 * dist.rank)
    aug = AugmentConfig()
    previews = (data[0].fixed(), data[1].fixed(), device)
    step, la, lb = meta["step"], float("nan"), float("nan")
    start = time.monotonic() - _seconds_so_far(loss_csv)
    lines = [loss_csv]
    show = cfg.progress and dist.main
    bar = tqdm(initial=step, total=cfg.iterations, unit="it", disable=not show, desc="train")
    stop_flag = distributed.StopFlag() if dist.world > 1 else None
    interrupted = False

    ema = _ema(cfg, model, meta, ck.ema_state) if dist.main else None
    refiner = _refiner(cfg, meta, ck.refiner, data[1], device, say) if dist.main else None

    def save_now() -> None:
        if dist.main:
            state = {**meta, "step": step, "history": {"loss_a": la, "loss_b": lb}}
            if ema is not None:
                state["ema_updates"] = ema.updates
            if refiner is not None:
                state["refiner"] = refiner.refiner.cfg.to_json()
            extras = (ema, refiner and refiner.refiner)
            _save(folder, model, opt, state, "".join(lines), previews, cfg.timelapse, *extras)

    base_lr, first_step = meta["config"]["lr"], meta["step"]
    snapshots = sorted(cfg.snapshots)
    try:
        run_start = time.monotonic()
        while not distributed.agree(_done(cfg, step, start, run_start) or _raised(stop_flag), dist):
            progress = _progress(cfg, step, first_step, time.monotonic() - run_start)
            lr = base_lr * SCHEDULES[cfg.schedule](progress, cfg.warmup)
            for group in opt.param_groups:
                group["lr"] = lr
            sharpening = cfg.sharpen > 0 and progress is not None and progress >= 1 - cfg.sharpen
            now_aug = aug.without_warp() if sharpening else aug
            batches = [d.sample(meta["config"]["batch"], now_aug, rng) for d in data]
            began = time.monotonic()
            refine = refiner and (lambda out, y, w: refiner.step(out, y, w, lr))  # noqa: B023
            la, lb = train_step(runner, opt, loss_fn, batches, device, tuner.layout(), refine)
            if ema is not None:
                ema.update(model)
            tuner.record(time.monotonic() - began)
            step += 1
            lines.append(f"{step},{la:.6f},{lb:.6f},{time.monotonic() - start:.2f}\n")
            bar.update(1)
            faces_per_s = (
                2
                * meta["config"]["batch"]
                * dist.world
                * (step - meta["step"])
                / (time.monotonic() - run_start)
            )
            bar.set_postfix(
                faces_s=f"{faces_per_s:.1f}", loss_a=f"{la:.4f}", loss_b=f"{lb:.4f}", refresh=False
            )
            if step % cfg.save_every == 0:
                save_now()
            if snapshots and time.monotonic() - run_start >= snapshots[0] * 60:
                save_now()
                if dist.main:
                    _snapshot(folder, snapshots.pop(0))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        if stop_flag is not None:
            stop_flag.restore()
    interrupted = interrupted or _raised(stop_flag)
    save_now()
    if dist.world > 1:
        report(f"rank {dist.rank}/{dist.world}: step {step}, weights {distributed.weights_digest(model)}")
        distributed.finish(dist)
    return TrainResult(step, la, lb, interrupted)


def _ema(cfg: TrainConfig, model: AutoEncoder, meta: dict, state: dict | None) -> EMA | None:
    """The weights' moving average: resumed from the model folder when it has one, else
    started from the current weights (also for a model from before averages were kept)."""
    if not cfg.ema:
        return None
    return EMA(model, int(meta.get("ema_updates") or 0) if state else 0, state)


def _refiner(cfg: TrainConfig, meta: dict, saved, faces_b: FaceData, device: str, report):
    """B's refiner trainer: the saved refiner on resume, a new one when ``cfg.refiner`` asks,
    none for too small a face set of B (said once)."""
    if not (cfg.refiner or saved is not None):
        return None
    if len(faces_b) < REFINER_MIN_FACES:
        report(f"only {len(faces_b)} faces of B (refiner needs {REFINER_MIN_FACES}): training without it")
        return None
    return RefinerTrainer.new(meta["config"]["lr"], LOSSES[meta["config"]["loss"]], device, saved)


def _progress(cfg: TrainConfig, step: int, first_step: int, seconds: float) -> float | None:
    """How far this run (started at ``first_step``) is through its budget (0..1), None
    without one; with both a time and a step budget, the one nearer its end."""
    parts = []
    if cfg.minutes:
        parts.append(seconds / (cfg.minutes * 60))
    if cfg.iterations is not None:
        parts.append((step - first_step) / max(cfg.iterations - first_step, 1))
    return min(max(parts), 1.0) if parts else None


def _snapshot(folder: Path, minutes: float) -> None:
    """Copy the model folder's files (not backups) to ``snapshots/<minutes>min``."""
    import shutil

    dest = folder / "snapshots" / f"{minutes:g}min"
    dest.mkdir(parents=True, exist_ok=True)
    for name in (*checkpoint.FILES, checkpoint.EMA_FILE, "preview.png"):
        if (folder / name).exists():
            shutil.copy2(folder / name, dest / name)


def _silent(_line: str) -> None:
    pass


def _raised(flag) -> bool:
    return flag is not None and flag.raised


def _seconds_so_far(loss_csv: str) -> float:
    last = loss_csv.strip().splitlines()[-1].split(",")
    return float(last[3]) if last[0].isdigit() else 0.0


def _done(cfg: TrainConfig, step: int, start: float, run_start: float) -> bool:
    if cfg.iterations is not None and step >= cfg.iterations:
        return True
    return cfg.minutes is not None and time.monotonic() - run_start >= cfg.minutes * 60
