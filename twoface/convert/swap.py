"""Crop, model, face: the swap of aligned faces with a trained model.

Faces are cut exactly as training cut them (the 256 px store crop, then the model's crop by an
area resample), so the model sees what it learned on. Direction ``a2b`` encodes A's face and
decodes it with decoder B; ``b2a`` the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from twoface.errors import TwofaceError
from twoface.extract.align import STORE_SPEC, align, warp_crop
from twoface.geometry import compose_affine, subcrop_matrix
from twoface.models import checkpoint
from twoface.models.autoencoder import AutoEncoder
from twoface.train.device import pick_device
from twoface.types import CropSpec

DIRECTIONS = {"a2b": "b", "b2a": "a"}  # direction -> decoder that draws the new face


@dataclass(frozen=True, eq=False)
class SwapModel:
    """A trained model ready to swap: weights on ``device`` in eval mode, and the crop the model
    was trained on (from its ``model.json``)."""

    model: AutoEncoder
    name: str
    spec: CropSpec
    device: str
    folder: str
    step: int

    @property
    def has_mask(self) -> bool:
        return self.model.arch.mask


def load_model(folder: str | Path, device: str = "auto", report=print) -> SwapModel:
    """Load a model folder written by ``twoface train`` (TwofaceError if it is not one)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TwofaceError(folder, "no such model folder")
    dev = pick_device(device)
    ck = checkpoint.load(folder, dev, report)
    model = ck.model.eval()
    spec = CropSpec.from_json(ck.meta["crop"])
    return SwapModel(model, ck.meta["model"], spec, dev, str(folder), int(ck.meta["step"]))


def model_input(image: np.ndarray, landmarks: np.ndarray, spec: CropSpec) -> tuple[np.ndarray, np.ndarray]:
    """The model's RGB uint8 ``(S, S, 3)`` input for the face with these frame ``landmarks``, and
    its 2x3 ``crop_from_frame`` matrix (frame pixels -> model-crop pixels)."""
    store = align(landmarks, STORE_SPEC)
    crop = warp_crop(image, store.crop_from_frame, STORE_SPEC.size)
    m = subcrop_matrix(STORE_SPEC.size, STORE_SPEC.margin, spec.size, spec.margin)
    face = cv2.warpAffine(
        crop, m, (spec.size, spec.size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )
    return face, compose_affine(m, store.crop_from_frame)


def run_model(
    swap: SwapModel, faces: np.ndarray, direction: str = "a2b"
) -> tuple[np.ndarray, np.ndarray | None]:
    """Swap a batch of model inputs ``(N, S, S, 3)`` uint8. Returns the new faces as float32
    ``(N, S, S, 3)`` in [0, 1] and, for a model that learned masks, its masks ``(N, S, S)``."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}")
    # NCHW-contiguous: a permuted (NHWC-strided) input sends CPU convs down a 5x slower path
    x = (torch.from_numpy(np.ascontiguousarray(faces)).permute(0, 3, 1, 2).float() / 255).contiguous()
    x = x.to(swap.device)
    with torch.inference_mode():
        out = swap.model(x, DIRECTIONS[direction]).clamp(0, 1).float().cpu()
    rgb = out[:, :3].permute(0, 2, 3, 1).numpy()
    mask = out[:, 3].numpy() if out.shape[1] > 3 else None
    return np.ascontiguousarray(rgb), mask
