"""The training loop: sample warped faces of A and B, rebuild each with its own decoder,
step, log, preview, save. Reads top to bottom like the method it implements."""

from __future__ import annotations

import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
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
from twoface.media.provenance import provenance
from twoface.media.watermark import embed as mark
from twoface.media.write import write_image
from twoface.models import checkpoint
from twoface.models.autoencoder import AutoEncoder, Paired
from twoface.models.registry import DEFAULT_MODEL, MODELS, build
from twoface.train import distributed
from twoface.train.data import AugmentConfig, FaceData, to_tensor
from twoface.train.defaults import DEFAULT_BATCH, DEFAULT_GAN, DEFAULT_LOSS
from twoface.train.device import autocast, pick_precision
from twoface.train.ema import EMA
from twoface.train.gan import Adversary, GanGate
from twoface.train.losses import LOSSES
from twoface.train.refine import MIN_FACES as REFINER_MIN_FACES
from twoface.train.refine import RefinerTrainer
from twoface.train.schedule import SCHEDULES
from twoface.train.tuning import LayoutTuner
from twoface.types import CropSpec

MODEL_MARGIN = FACE_TYPES[DEFAULT_FACE_TYPE].margin  # the unit square fills 80% of the input
MIN_FACES = 100  # fewer faces and train says so: 84 a side gave a soft face (bench/README, selfie)


@dataclass(frozen=True)
class TrainResult:
    step: int
    loss_a: float
    loss_b: float
    interrupted: bool


@contextmanager
def no_interrupt():
    """Hold Ctrl-C (and Windows Ctrl-Break, the UI's Stop there) until the block is done, so a
    save is never cut in half, then raise it."""
    caught = []
    held = [signal.SIGINT] + ([signal.SIGBREAK] if hasattr(signal, "SIGBREAK") else [])
    previous = {sig: signal.signal(sig, lambda *_: caught.append(1)) for sig in held}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if caught:
        raise KeyboardInterrupt


def _load_faces(path: str, meta: dict, report, hi: int = 0) -> FaceData:
    faceset = FaceSet.open(path)
    records = faceset.records()
    if note := faceset.damaged_note():
        report(note)
    if not records:
        raise TwofaceError(path, "face set is empty")
    if len(records) < MIN_FACES:
        n = len(records)
        report(f"{path}: only {n} faces; {MIN_FACES} or more, in varied poses and light, train much better")
    spec = CropSpec.from_json(meta["crop"])
    forehead = FACE_TYPES[meta.get("face_type", DEFAULT_FACE_TYPE)].forehead
    data = FaceData(faceset, spec, output_size(meta), forehead, records, hi)  # the set read once
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
        return _resume(cfg, checkpoint.load(folder, device, report), folder, report)
    if not (cfg.faceset_a and cfg.faceset_b):
        raise TwofaceError(folder, "no model here yet: give -A and -B face sets to start one")
    name = cfg.model or DEFAULT_MODEL
    face_type = cfg.face_type or DEFAULT_FACE_TYPE
    model = build(name, cfg.mask)
    if cfg.init_from:
        _transfer(model, cfg.init_from, report)
    meta = {
        "format_version": checkpoint.FORMAT_VERSION,
        "model": name,
        "config": {
            "arch": model.arch.to_json(),
            "lr": cfg.lr or MODELS[name].lr,
            "batch": cfg.batch or DEFAULT_BATCH,
            "loss": cfg.loss or DEFAULT_LOSS,
            "gan": DEFAULT_GAN if cfg.gan is None else cfg.gan,
        },
        "input_size": model.arch.size,
        "output_size": model.arch.out_size,
        "face_type": face_type,
        "crop": CropSpec(model.arch.size, FACE_TYPES[face_type].margin).to_json(),
        "identities": {"a": str(cfg.faceset_a), "b": str(cfg.faceset_b)},
        "facesets": {"a": str(Path(cfg.faceset_a).resolve()), "b": str(Path(cfg.faceset_b).resolve())},
        "step": 0,
        "history": {},
        "twoface_version": __version__,
        "init_from": cfg.init_from,
    }
    return checkpoint.Checkpoint(model.to(device), meta, None, "step,loss_a,loss_b,seconds\n")


def _resume(cfg: TrainConfig, ck: checkpoint.Checkpoint, folder: Path, report) -> checkpoint.Checkpoint:
    """A resumed run applies what it can (``lr``, ``batch``, ``loss``, ``gan``: recorded in model.json)
    and says once which given settings it cannot (the architecture, mask and face type are
    fixed when a model is made; ``init_from`` only seeds a new one)."""
    if cfg.model is not None and cfg.model != ck.meta["model"]:
        raise TwofaceError(folder, f"holds a {ck.meta['model']} model, not {cfg.model}")
    config = ck.meta["config"]
    for key in ("lr", "batch", "loss", "gan"):
        value = getattr(cfg, key)
        if value is not None and value != config.get(key):
            report(f"{folder}: resuming with --{key} {value} (was {config.get(key)})")
            config[key] = value
    kept = ck.meta.get("face_type", DEFAULT_FACE_TYPE)
    if cfg.face_type is not None and cfg.face_type != kept:
        report(f"{folder}: a {kept} model keeps its face type; --face-type {cfg.face_type} ignored")
    if cfg.mask and not ck.model.arch.mask:
        report(f"{folder}: this model was made without a mask channel; --mask ignored (train a new model)")
    if cfg.init_from:
        report(f"{folder}: resuming its own weights; --init-from {cfg.init_from} ignored")
    return ck


def _transfer(model: AutoEncoder, source: str, report) -> None:
    """Copy every tensor of ``source`` whose name and shape fit (encoder, decoders)."""
    donor = checkpoint.load(source, "cpu", report).model.state_dict()
    own = model.state_dict()
    fits = {k: v for k, v in donor.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(fits, strict=False)
    parts = sorted({k.split(".")[0] for k in fits})
    report(f"{source}: copied {len(fits)} of {len(own)} tensors ({', '.join(parts) or 'none'})")


def train_step(
    runner,
    opt,
    loss_fn,
    batches,
    device,
    layout=torch.contiguous_format,
    refine=None,
    adversary=None,
    precision: str = "fp32",
) -> tuple[float, float]:
    """One optimiser step on ``batches`` = ((inputs, targets, weights) of A, same of B) through
    ``runner`` (a :class:`Paired` model, maybe DDP-wrapped or compiled) with inputs in the
    model's memory ``layout``; the two losses. ``precision`` "bf16" runs the model's forward
    pass under bfloat16 autocast (the losses, weights and optimiser stay float32).
    ``refine(rebuilt_b, target_b, weights_b)``, if given, is called after the step with B's
    rebuilt RGB faces (detached). An ``adversary`` (:class:`~twoface.train.gan.Adversary`) adds
    its term to B's loss and then takes its own step on the same faces."""
    opt.zero_grad(set_to_none=True)
    xs, ys, ws = [], [], []
    for x, y, w in batches:
        xs.append(to_tensor(x).to(device).contiguous(memory_format=layout))
        ys.append(to_tensor(y).to(device))
        ws.append(torch.from_numpy(w)[:, None].to(device))
    with autocast(device, precision):
        outs = runner(*xs)
    losses = [_loss(loss_fn, o.float(), y, w) for o, y, w in zip(outs, ys, ws, strict=True)]
    total = sum(losses)
    if adversary is not None:
        total = total + adversary.decoder_loss(outs[1][:, :3].float(), ws[1])
    total.backward()
    opt.step()
    if adversary is not None:
        adversary.step(outs[1][:, :3], ys[1], ws[1])
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
            if refiner is not None:  # shown at the decoder's size
                b = 0 if own == "b" else 1
                refiner.eval()
                size = outs[b].shape[-2:]
                outs[b] = torch.nn.functional.interpolate(refiner(outs[b]), size=size, mode="area")
                refiner.train()
            rebuilt, swapped = ((o.clamp(0, 1) * 255).byte().permute(0, 2, 3, 1).cpu().numpy() for o in outs)
            rows += [np.hstack(list(faces)), np.hstack(list(rebuilt)), np.hstack(list(swapped))]
    model.train()
    return np.vstack(rows)


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


@dataclass
class RunState:
    """What changes while one run goes on: the step reached, the last losses, the loss log
    (``loss.csv`` rows, the saved ones first) and the clocks (``started``: when training
    began, counting earlier runs; ``run_started``: this run)."""

    step: int
    first_step: int
    lines: list[str]
    started: float
    run_started: float = field(default_factory=time.monotonic)
    loss_a: float = float("nan")
    loss_b: float = float("nan")

    def log(self, loss_a: float, loss_b: float) -> None:
        self.step += 1
        self.loss_a, self.loss_b = loss_a, loss_b
        self.lines.append(f"{self.step},{loss_a:.6f},{loss_b:.6f},{time.monotonic() - self.started:.2f}\n")

    def run_seconds(self) -> float:
        return time.monotonic() - self.run_started


@dataclass(frozen=True)
class Saver:
    """Writes the model folder (weights, optimiser, extras, preview, loss plot) for a state."""

    folder: Path
    model: AutoEncoder
    opt: torch.optim.Optimizer
    meta: dict
    previews: tuple
    timelapse: bool = False
    ema: EMA | None = None
    refiner: RefinerTrainer | None = None
    adversary: Adversary | None = None

    def save(self, state: RunState) -> None:
        """The model folder at ``state``'s step (held against Ctrl-C), ``preview.png`` (with the
        provenance record: it shows swaps), ``loss.png`` and, with ``timelapse``, the preview
        kept as ``timelapse/<step>.png`` (the same fixed faces at every save)."""
        meta = {**self.meta, "step": state.step, "history": {"loss_a": state.loss_a, "loss_b": state.loss_b}}
        if self.ema is not None:
            meta["ema_updates"] = self.ema.updates
        refiner = self.refiner and self.refiner.refiner
        if refiner is not None:
            meta["refiner"] = refiner.cfg.to_json()
        critic = self.adversary and self.adversary.net
        if critic is not None:
            meta["discriminator"] = True
        lines = "".join(state.lines)
        averaged = self.ema and self.ema.model
        with no_interrupt():
            checkpoint.save(
                self.folder, self.model, meta, self.opt.state_dict(), lines, averaged, refiner, critic
            )
            shown = mark(preview(averaged or self.model, *self.previews, refiner=refiner))
            record = provenance(
                "training preview", f"{meta['model']} ({self.folder.name}, step {state.step})"
            )
            write_image(self.folder / "preview.png", shown, record)
            if self.timelapse:
                write_image(self.folder / "timelapse" / f"{state.step:07d}.png", shown, record)
            plot_losses(lines, self.folder / "loss.png")


def train(cfg: TrainConfig, report=print) -> TrainResult:
    """Train (or resume) the model in ``cfg.model_dir`` until ``iterations``, ``minutes`` or
    Ctrl-C, saving a consistent model every ``save_every`` steps and at the end. Under torchrun
    the processes train replicas together (:mod:`twoface.train.distributed`); rank 0 saves."""
    torch.manual_seed(cfg.seed)
    dist = distributed.setup(cfg.device)
    device = dist.device
    say = report if dist.main else _silent
    ck = _start(cfg, device, say)
    model, meta = ck.model, ck.meta
    scale = _refiner_scale(cfg, ck.refiner, say) if dist.main else 0
    hi = output_size(meta) * scale if scale > 1 else 0  # a 2x refiner's targets
    data = [
        _load_faces(cfg.faceset_a or meta["facesets"]["a"], meta, say),
        _load_faces(cfg.faceset_b or meta["facesets"]["b"], meta, say, hi),
    ]
    opt = _optimizer(cfg, model, meta["config"]["lr"], ck.optimizer_state, device)
    tuner = LayoutTuner(model, opt, device, tune=dist.world == 1 and not cfg.compile)
    runner = distributed.wrap(Paired(model), dist)
    runner = torch.compile(runner) if cfg.compile else runner
    loss_fn = LOSSES[meta["config"]["loss"]]
    batch, base_lr = meta["config"]["batch"], meta["config"]["lr"]
    rng = np.random.default_rng(cfg.seed + meta["step"] + 7919 * dist.rank)
    ema = _ema(cfg, model, meta, ck.ema_state) if dist.main else None
    refiner = _refiner(scale, meta, ck.refiner, data[1], device, say) if dist.main else None
    gan = meta["config"].get("gan", 0.0)  # models from before the GAN term: none
    adversary = Adversary(gan, base_lr, device, ck.discriminator) if gan > 0 and dist.main else None
    precision = meta["precision"] = pick_precision(cfg.precision, device)  # this run's, recorded
    previews = (data[0].fixed(), data[1].fixed(), device)
    gate = GanGate(cfg.gan_start, cfg.gan_min_steps, cfg.gan_ssim, previews[1])
    meta.pop("critic_joined", None)  # this run's, recorded once its gate opens
    saver = Saver(Path(cfg.model_dir), model, opt, meta, previews, cfg.timelapse, ema, refiner, adversary)
    state = RunState(
        meta["step"], meta["step"], [ck.loss_csv], time.monotonic() - _seconds_so_far(ck.loss_csv)
    )
    bar = tqdm(initial=state.step, total=cfg.iterations, unit="it", disable=not (cfg.progress and dist.main))
    stop_flag = distributed.StopFlag() if dist.world > 1 else None
    snapshots, interrupted = sorted(cfg.snapshots), False
    try:
        while not distributed.agree(_done(cfg, state) or _raised(stop_flag), dist):
            progress = _progress(cfg, state)
            lr = base_lr * SCHEDULES[cfg.schedule](progress, cfg.warmup)
            for group in opt.param_groups:
                group["lr"] = lr
            late = progress is not None and progress >= 1 - cfg.sharpen and cfg.sharpen > 0
            aug = AugmentConfig(warp=0.0 if late else cfg.warp)
            batches = [d.sample(batch, aug, rng) for d in data]
            hi_targets = _targets(batches[1][3:], device)  # a 2x refiner's: B's crops at its size
            batches = [b[:3] for b in batches]
            on = adversary is not None and _gan_on(gate, progress, state.step, model, meta, say)
            judged = adversary if on else None
            if judged:
                judged.set_lr(lr)
            refine = refiner and (lambda out, y, w: refiner.step(out, *(hi_targets or (y, w)), lr))  # noqa: B023
            before = _weights(opt) if late and cfg.lr_dropout > 0 else None
            began = time.monotonic()
            la, lb = train_step(
                runner, opt, loss_fn, batches, device, tuner.layout(), refine, judged, precision
            )
            tuner.record(time.monotonic() - began)  # the layout's step alone, without the dropout
            if before is not None:
                _drop_updates(before, cfg.lr_dropout, cfg.seed + state.step)
            if ema is not None:
                ema.update(model)
            state.log(la, lb)
            _show(bar, state, 2 * batch * dist.world)
            if dist.main and state.step % cfg.save_every == 0:
                saver.save(state)
            if snapshots and state.run_seconds() >= snapshots[0] * 60 and dist.main:
                saver.save(state)
                _snapshot(saver.folder, snapshots.pop(0))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        if stop_flag is not None:
            stop_flag.restore()
    if dist.main:
        saver.save(state)
    if dist.world > 1:
        report(
            f"rank {dist.rank}/{dist.world}: step {state.step}, weights {distributed.weights_digest(model)}"
        )
        distributed.finish(dist)
    return TrainResult(state.step, state.loss_a, state.loss_b, interrupted or _raised(stop_flag))


def _gan_on(gate: GanGate, progress: float | None, step: int, model, meta: dict, report) -> bool:
    """Whether the critic judges this step (:class:`GanGate`: after ``gan_start`` of the
    budget, not before ``gan_min_steps``, since a 30-step model's GAN texture is noise, and once
    B is rebuilt to ``gan_ssim``); the step it joins is said once and recorded in ``meta``
    (model.json's ``critic_joined``: ``{"step", "ssim"}``)."""
    was_open = gate.opened is not None
    on = gate(progress, step, model)
    if on and not was_open:
        ssim = gate.opened[1]
        meta["critic_joined"] = {"step": step, "ssim": None if ssim is None else round(ssim, 3)}
        rebuilt = "" if ssim is None else f" (B's faces rebuilt to SSIM {ssim:.2f})"
        report(f"the critic joins at step {step}{rebuilt}")
    return on


def _optimizer(cfg: TrainConfig, model: AutoEncoder, lr: float, saved: dict | None, device: str):
    """Adam over the trainable weights (the encoder frozen with ``freeze_encoder``), its state
    resumed from ``saved``; fused (one kernel per step) on CPU and CUDA."""
    if cfg.freeze_encoder:
        model.encoder.requires_grad_(False)
    fused = device == "cpu" or device.startswith("cuda")
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999), fused=fused)
    if saved is not None and not cfg.freeze_encoder:
        opt.load_state_dict(saved)
    return opt


def _weights(opt: torch.optim.Optimizer) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each optimised weight with a copy of its value now (before a step)."""
    return [(p, p.detach().clone()) for group in opt.param_groups for p in group["params"]]


@torch.no_grad()
def _drop_updates(before: list[tuple[torch.Tensor, torch.Tensor]], fraction: float, seed: int) -> None:
    """Learning-rate dropout (DeepFaceLab's ``lr_dropout``): put back a random ``fraction`` of
    each weight's elements to their value before the step (the optimiser's moments keep it).
    The mask is drawn from ``seed`` alone, so every DDP replica drops the same elements."""
    gen = torch.Generator(before[0][0].device).manual_seed(seed)
    for p, old in before:
        dropped = torch.rand(p.shape, generator=gen, device=p.device) < fraction
        p.copy_(torch.where(dropped, old, p))


def _show(bar, state: RunState, faces_per_step: int) -> None:
    """Progress bar: step, faces per second of this run, the two losses."""
    bar.update(1)
    rate = faces_per_step * (state.step - state.first_step) / max(state.run_seconds(), 1e-9)
    bar.set_postfix(
        faces_s=f"{rate:.1f}", loss_a=f"{state.loss_a:.4f}", loss_b=f"{state.loss_b:.4f}", refresh=False
    )


def _ema(cfg: TrainConfig, model: AutoEncoder, meta: dict, state: dict | None) -> EMA | None:
    """The weights' moving average: resumed from the model folder when it has one, else
    started from the current weights (also for a model from before averages were kept)."""
    if not cfg.ema:
        return None
    return EMA(model, int(meta.get("ema_updates") or 0) if state else 0, state)


def _refiner_scale(cfg: TrainConfig, saved, report) -> int:
    """The scale of B's refiner for this run: the saved one's on resume (a different
    ``cfg.refiner`` is said once and ignored), else ``cfg.refiner`` (0: none)."""
    if saved is None:
        return int(cfg.refiner)
    if cfg.refiner and cfg.refiner != saved.scale:
        report(f"this model's refiner has scale {saved.scale}; --refiner {cfg.refiner} ignored")
    return saved.scale


def _refiner(scale: int, meta: dict, saved, faces_b: FaceData, device: str, report):
    """B's refiner trainer: the saved refiner on resume, a new one of ``scale`` when asked,
    none for too small a face set of B (said once)."""
    if not scale:
        return None
    if len(faces_b) < REFINER_MIN_FACES:
        report(f"only {len(faces_b)} faces of B (refiner needs {REFINER_MIN_FACES}): training without it")
        return None
    return RefinerTrainer.new(meta["config"]["lr"], LOSSES[meta["config"]["loss"]], device, saved, scale)


def _targets(parts: tuple, device: str) -> tuple:
    """``(targets, weights)`` uint8 ``(N, H, H, 3)`` and float32 ``(N, H, H)`` as tensors
    ``(N, 3, H, H)`` and ``(N, 1, H, H)`` on ``device``; ``()`` for none."""
    if not parts:
        return ()
    target, weights = parts
    return to_tensor(target).to(device), torch.from_numpy(weights)[:, None].to(device)


def _progress(cfg: TrainConfig, state: RunState) -> float | None:
    """How far this run is through its budget (0..1), None without one; with both a time and
    a step budget, the one nearer its end."""
    parts = []
    if cfg.minutes:
        parts.append(state.run_seconds() / (cfg.minutes * 60))
    if cfg.iterations is not None:
        parts.append((state.step - state.first_step) / max(cfg.iterations - state.first_step, 1))
    return min(max(parts), 1.0) if parts else None


def _snapshot(folder: Path, minutes: float) -> None:
    """Copy the model folder's files (not backups) to ``snapshots/<minutes>min``."""
    import shutil

    dest = folder / "snapshots" / f"{minutes:g}min"
    dest.mkdir(parents=True, exist_ok=True)
    for name in (*checkpoint.FILES, *checkpoint.EXTRA_FILES, "preview.png"):
        if (folder / name).exists():
            shutil.copy2(folder / name, dest / name)


def _silent(_line: str) -> None:
    pass


def _raised(flag) -> bool:
    return flag is not None and flag.raised


def _seconds_so_far(loss_csv: str) -> float:
    last = loss_csv.strip().splitlines()[-1].split(",")
    return float(last[3]) if last[0].isdigit() else 0.0


def _done(cfg: TrainConfig, state: RunState) -> bool:
    if cfg.iterations is not None and state.step >= cfg.iterations:
        return True
    return cfg.minutes is not None and state.run_seconds() >= cfg.minutes * 60
