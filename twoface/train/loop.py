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
from twoface.models import checkpoint
from twoface.models.autoencoder import AutoEncoder, Paired
from twoface.models.registry import DEFAULT_LR, build
from twoface.train import distributed
from twoface.train.data import AugmentConfig, FaceData, to_tensor
from twoface.train.losses import LOSSES
from twoface.train.tuning import LayoutTuner
from twoface.types import CropSpec

MODEL_MARGIN = 0.1  # model crops: the mean face's unit square fills 80% of the input
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


def _load_faces(path: str, spec: CropSpec, report) -> FaceData:
    faceset = FaceSet.open(path)
    count = len(faceset.records())
    if count == 0:
        raise TwofaceError(path, "face set is empty")
    if count < MIN_FACES:
        report(f"{path}: only {count} faces; {MIN_FACES} or more train much better")
    return FaceData(faceset, spec)


def _start(cfg: TrainConfig, device: str, report) -> tuple[AutoEncoder, dict, dict | None, str]:
    folder = Path(cfg.model_dir)
    if (folder / "model.json").exists():
        ck = checkpoint.load(folder, device, report)
        if cfg.model is not None and cfg.model != ck.meta["model"]:
            raise TwofaceError(folder, f"holds a {ck.meta['model']} model, not {cfg.model}")
        if cfg.lr is not None:  # a resumed run may change the learning rate
            ck.meta["config"]["lr"] = cfg.lr
        return ck.model, ck.meta, ck.optimizer_state, ck.loss_csv
    if not (cfg.faceset_a and cfg.faceset_b):
        raise TwofaceError(folder, "no model here yet: give -A and -B face sets to start one")
    name = cfg.model or "lite"
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
        "crop": CropSpec(model.arch.size, MODEL_MARGIN).to_json(),
        "identities": {"a": str(cfg.faceset_a), "b": str(cfg.faceset_b)},
        "facesets": {"a": str(Path(cfg.faceset_a).resolve()), "b": str(Path(cfg.faceset_b).resolve())},
        "step": 0,
        "history": {},
        "twoface_version": __version__,
        "init_from": cfg.init_from,
    }
    return model.to(device), meta, None, "step,loss_a,loss_b,seconds\n"


def _transfer(model: AutoEncoder, source: str, report) -> None:
    """Copy every tensor of ``source`` whose name and shape fit (encoder, decoders)."""
    donor = checkpoint.load(source, "cpu", report).model.state_dict()
    own = model.state_dict()
    fits = {k: v for k, v in donor.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(fits, strict=False)
    parts = sorted({k.split(".")[0] for k in fits})
    report(f"{source}: copied {len(fits)} of {len(own)} tensors ({', '.join(parts) or 'none'})")


def train_step(runner, opt, loss_fn, batches, device, layout=torch.contiguous_format) -> tuple[float, float]:
    """One optimiser step on ``batches`` = ((inputs, targets, weights) of A, same of B) through
    ``runner`` (a :class:`Paired` model, maybe DDP-wrapped or compiled) with inputs in the
    model's memory ``layout``; the two losses."""
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
    return losses[0].item(), losses[1].item()


def _loss(loss_fn, out: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Image loss on the RGB channels; a model with a mask channel also learns the landmark face
    mask (weights >= 1: the face hull with the forehead) by mean squared error."""
    loss = loss_fn(out[:, :3], target, weights)
    if out.shape[1] > 3:
        loss = loss + torch.nn.functional.mse_loss(out[:, 3:], (weights >= 1).float())
    return loss


def preview(model: AutoEncoder, faces_a: np.ndarray, faces_b: np.ndarray, device: str) -> np.ndarray:
    """RGB uint8 grid: rows A original / A rebuilt / A as B, then B / B rebuilt / B as A."""
    rows = []
    model.eval()
    with torch.no_grad():
        for faces, own, other in ((faces_a, "a", "b"), (faces_b, "b", "a")):
            x = to_tensor(faces).to(device)
            outs = [model(x, own)[:, :3], model(x, other)[:, :3]]
            rebuilt, swapped = ((o.clamp(0, 1) * 255).byte().permute(0, 2, 3, 1).cpu().numpy() for o in outs)
            rows += [np.hstack(list(faces)), np.hstack(list(rebuilt)), np.hstack(list(swapped))]
    model.train()
    return np.vstack(rows)


def _fixed_faces(data: FaceData, n: int = 6) -> np.ndarray:
    idx = np.linspace(0, len(data) - 1, n).round().astype(int)
    s, w = data.spec.size, data.work.size
    o = (w - s) // 2
    return np.ascontiguousarray(data.images[idx, o : o + s, o : o + s])


def _save(folder: Path, model, opt, meta, loss_csv: str, previews, timelapse: bool = False) -> None:
    """Model folder, ``preview.png``, ``loss.png`` and, with ``timelapse``, the preview kept as
    ``timelapse/<step>.png`` (the same fixed faces at every save: learning made visible)."""
    with no_interrupt():
        checkpoint.save(folder, model, meta, opt.state_dict(), loss_csv)
        image = cv2.cvtColor(preview(model, *previews), cv2.COLOR_RGB2BGR)
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
    model, meta, opt_state, loss_csv = _start(cfg, device, say)
    spec = CropSpec.from_json(meta["crop"])
    data = [
        _load_faces(cfg.faceset_a or meta["facesets"]["a"], spec, say),
        _load_faces(cfg.faceset_b or meta["facesets"]["b"], spec, say),
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
    previews = (_fixed_faces(data[0]), _fixed_faces(data[1]), device)
    step, la, lb = meta["step"], float("nan"), float("nan")
    start = time.monotonic() - _seconds_so_far(loss_csv)
    lines = [loss_csv]
    show = cfg.progress and dist.main
    bar = tqdm(initial=step, total=cfg.iterations, unit="it", disable=not show, desc="train")
    stop_flag = distributed.StopFlag() if dist.world > 1 else None
    interrupted = False

    def save_now() -> None:
        if dist.main:
            state = {**meta, "step": step, "history": {"loss_a": la, "loss_b": lb}}
            _save(folder, model, opt, state, "".join(lines), previews, cfg.timelapse)

    try:
        run_start = time.monotonic()
        while not distributed.agree(_done(cfg, step, start, run_start) or _raised(stop_flag), dist):
            batches = [d.sample(meta["config"]["batch"], aug, rng) for d in data]
            began = time.monotonic()
            la, lb = train_step(runner, opt, loss_fn, batches, device, tuner.layout())
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
