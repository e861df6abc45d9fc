"""Face types: how much of the head a model swaps (DeepFaceLab's face types, faceswap's
centering and coverage), one registry.

A face type fixes the model crop's framing (``margin``: the mean face's unit square, brows to
chin, fills ``1 - 2 * margin`` of the crop side) and how far the face outline is lifted above the
brows (``forehead``, a fraction of the landmarks' height along the chin-to-brow line), which
the training loss weights and the face type's convert mask share.

- ``face``: brows to chin with the lower forehead, as twoface always did.
- ``whole``: the forehead up to about the hairline; the crop shows more around the face.
"""

from __future__ import annotations

from dataclasses import dataclass

from twoface.masks import FOREHEAD, WHOLE_FOREHEAD


@dataclass(frozen=True)
class FaceType:
    margin: float
    forehead: float
    mask: str  # the convert mask that follows this face type (twoface.masks.MASKS)

    def __post_init__(self) -> None:
        if not 0.0 <= self.margin < 0.5:
            raise ValueError(f"margin must be in [0, 0.5), not {self.margin}")
        if not 0.0 <= self.forehead < 1.0:
            raise ValueError(f"forehead must be in [0, 1), not {self.forehead}")


FACE_TYPES: dict[str, FaceType] = {
    "face": FaceType(margin=0.1, forehead=FOREHEAD, mask="extended"),
    "whole": FaceType(margin=0.2, forehead=WHOLE_FOREHEAD, mask="whole"),
}
DEFAULT_FACE_TYPE = "face"
