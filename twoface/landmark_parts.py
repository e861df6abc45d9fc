"""The 68 iBUG landmarks (dlib's shape predictor, Sagonas et al. 2013), named once.

Indices are 0-based. "Left" and "right" are the **person's own**: in a frontal photo the
person's right eye (36-41) is on the image's left, as in faceswap's ``LANDMARK_PARTS``. Each
part is a ``slice`` into a ``(68, 2)`` array; :data:`POINTS` names single points.
"""

from __future__ import annotations

LANDMARKS_68: dict[str, slice] = {
    "jaw": slice(0, 17),  # from the person's right ear (0) round the chin (8) to the left (16)
    "right_brow": slice(17, 22),
    "left_brow": slice(22, 27),
    "brows": slice(17, 27),
    "nose_bridge": slice(27, 31),
    "nostrils": slice(31, 36),
    "nose": slice(27, 36),
    "right_eye": slice(36, 42),
    "left_eye": slice(42, 48),
    "outer_mouth": slice(48, 60),
    "inner_mouth": slice(60, 68),
    "mouth": slice(48, 68),
}

POINTS: dict[str, int] = {
    "chin": 8,
    "bridge_top": 27,  # between the eyes
    "nose_tip": 30,
    "nose_base": 33,
    "right_eye_outer": 36,
    "left_eye_outer": 45,
    "mouth_right": 48,
    "mouth_left": 54,
}

# the inner lips, top (61, 62, 63) above bottom (67, 66, 65), pair by pair
INNER_LIP_PAIRS = ((61, 67), (62, 66), (63, 65))


def indices(*names: str) -> list[int]:
    """The point indices of parts (:data:`LANDMARKS_68`) and points (:data:`POINTS`), in order."""
    out: list[int] = []
    for name in names:
        if name in POINTS:
            out.append(POINTS[name])
        else:
            part = LANDMARKS_68[name]
            out.extend(range(part.start, part.stop))
    return out
