"""Crop, model, face: the swap of aligned faces with a trained model.

Faces are cut as training cut them: the model's output crop straight from the frame in one
antialiased resample, and the input shrunk from it by an area resize, so the model sees what it
learned on. A model may draw faces larger than its input (``lite128``: 64 px in, 128 px out);
the new face is pasted at its output size. Direction ``a2b`` encodes A's face and decodes it
with decoder B; ``b2a`` the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import torch

from twoface.config import BACKENDS
from twoface.errors import TwofaceError
from twoface.extract.align import align, warp_crop
from twoface.facetypes import DEFAULT_FACE_TYPE
from twoface.models import checkpoint
from twoface.models.autoencoder import AutoEncoder
from twoface.models.refiner import Refiner, finish
from twoface.train.device import pick_device
from twoface.types import CropSpec

DIRECTIONS = {"a2b": "b", "b2a": "a"}  # direction -> decoder that draws the new face


@dataclass(frozen=True, eq=False)
class SwapModel:
    """A trained model ready to swap: weights on ``device`` in eval mode, the input crop the
    model was trained on (``spec``, from its ``model.json``), the side of the faces it draws
    (``out_size``: the decoder's, times B's refiner's scale) and its face type."""

    model: AutoEncoder
    name: str
    spec: CropSpec
    device: str
    folder: str
    step: int
    out_size: int = 0  # 0: the input size
    face_type: str = DEFAULT_FACE_TYPE
    averaged: bool = False  # the weights are the training run's moving average
    refiner: Refiner | None = None  # B's refiner: run on every face decoder B draws (a2b); with
    # scale 2 it draws them at twice the decoder's size, and A's faces are enlarged to match
    session: object | None = None  # onnxruntime session of the same graph (use_backend)
    session_batches: tuple[int, ...] = ()  # the batch sizes it runs; others go through PyTorch

    @property
    def has_mask(self) -> bool:
        return self.model.arch.mask

    @property
    def out_spec(self) -> CropSpec:
        """The crop of the faces the model draws: the input's framing at ``out_size``."""
        return CropSpec(self.out_size or self.spec.size, self.spec.margin)


@dataclass(frozen=True, eq=False)
class FaceCut:
    """One face cut for the model: ``input`` RGB uint8 ``(S, S, 3)`` at the model's input size,
    ``original`` the same face ``(O, O, 3)`` at its output size (what colour matching compares
    with), and ``crop_from_frame`` the 2x3 matrix from frame pixels to output-crop pixels."""

    input: np.ndarray
    original: np.ndarray
    crop_from_frame: np.ndarray


def load_model(folder: str | Path, device: str = "auto", report=print, average: bool = True) -> SwapModel:
    """Load a model folder written by ``twoface train`` (TwofaceError if it is not one). With
    ``average`` the weights' moving average is used where the folder has one (``ema``)."""
    from twoface.train.loop import output_size

    folder = Path(folder)
    if not folder.is_dir():
        raise TwofaceError(folder, "no such model folder")
    dev = pick_device(device)
    ck = checkpoint.load(folder, dev, report)
    if average and ck.ema_state is not None:
        ck.model.load_state_dict(ck.ema_state)
    model = ck.model.eval()
    spec = CropSpec.from_json(ck.meta["crop"])
    if output_size(ck.meta) != model.arch.out_size:
        raise TwofaceError(folder / "model.json", "its output size does not match its architecture")
    face_type = ck.meta.get("face_type", DEFAULT_FACE_TYPE)
    averaged = average and ck.ema_state is not None
    refiner = ck.refiner.eval() if ck.refiner is not None else None
    return SwapModel(
        model,
        ck.meta["model"],
        spec,
        dev,
        str(folder),
        int(ck.meta["step"]),
        model.arch.out_size * (refiner.scale if refiner is not None else 1),
        face_type,
        averaged,
        refiner,
    )


ORT_AUTO_BATCHES = (1,)  # where onnxruntime beat PyTorch on a 2-core CPU (bench/export.py)


def use_backend(swap: SwapModel, backend: str = "auto") -> SwapModel:
    """``swap`` running on ``backend``: ``torch``; ``onnxruntime`` (every batch; one line if
    it is not installed); ``auto``: onnxruntime for single faces on a CPU when it is
    installed (1.3-1.5x faster there; two faces at once were not), else PyTorch."""
    if backend not in BACKENDS:
        raise TwofaceError(backend, f"unknown backend; choose from {', '.join(BACKENDS)}")
    if backend == "torch" or (backend == "auto" and (swap.device != "cpu" or not _has_onnxruntime())):
        return swap
    from twoface.export import onnx_session

    batches = ORT_AUTO_BATCHES if backend == "auto" else ()
    return replace(swap, session=onnx_session(swap), session_batches=batches)


def _has_onnxruntime() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


def cut_face(image: np.ndarray, landmarks: np.ndarray, swap: SwapModel) -> FaceCut:
    """Cut the face with these ``(68, 2)`` frame ``landmarks`` out of RGB uint8 ``image`` for
    ``swap``'s model (see :class:`FaceCut`)."""
    out = swap.out_spec
    crop_from_frame = align(landmarks, out).crop_from_frame
    original = warp_crop(image, crop_from_frame, out.size)
    size = swap.spec.size
    face = original if size == out.size else cv2.resize(original, (size, size), interpolation=cv2.INTER_AREA)
    return FaceCut(face, original, crop_from_frame)


def run_model(
    swap: SwapModel, faces: np.ndarray, direction: str = "a2b"
) -> tuple[np.ndarray, np.ndarray | None]:
    """Swap a batch of model inputs ``(N, S, S, 3)`` uint8. Returns the new faces as float32
    ``(N, O, O, 3)`` in [0, 1] (``O`` the output size; faces drawn by decoder B go through B's
    refiner when the model has one, and with a 2x refiner every face comes at its size) and,
    for a model that learned masks, its masks ``(N, O, O)``."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}")
    if swap.session is not None and (not swap.session_batches or len(faces) in swap.session_batches):
        return _run_session(swap, faces, direction)
    # NCHW-contiguous: a permuted (NHWC-strided) input sends CPU convs down a 5x slower path
    x = (torch.from_numpy(np.ascontiguousarray(faces)).permute(0, 3, 1, 2).float() / 255).contiguous()
    x = x.to(swap.device)
    with torch.inference_mode():
        side = DIRECTIONS[direction]
        out = finish(swap.model(x, side).float(), swap.refiner, side == "b").clamp(0, 1).cpu()
    rgb = out[:, :3].permute(0, 2, 3, 1).numpy()
    mask = out[:, 3].numpy() if out.shape[1] > 3 else None
    return np.ascontiguousarray(rgb), mask


def _run_session(swap: SwapModel, faces: np.ndarray, direction: str) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`run_model` through the onnxruntime session (same graph, same outputs)."""
    x = np.ascontiguousarray(faces.transpose(0, 3, 1, 2), dtype=np.float32) / 255
    out = swap.session.run(["as_b" if DIRECTIONS[direction] == "b" else "as_a"], {"face": x})[0]
    rgb = np.ascontiguousarray(out[:, :3].transpose(0, 2, 3, 1))
    return rgb, (np.ascontiguousarray(out[:, 3]) if out.shape[1] > 3 else None)
