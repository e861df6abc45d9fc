"""Colour methods and masks: registry contracts and properties on real face landmarks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twoface.convert.colour import COLOURS
from twoface.extract.faceset import FaceSet
from twoface.masks import MASKS, erode, feather


@pytest.fixture(scope="module")
def face(grid_s1_faceset) -> tuple[np.ndarray, np.ndarray]:
    """A real 256 px aligned crop (float RGB [0, 1]) and its landmarks in crop pixels."""
    faceset: FaceSet = grid_s1_faceset[0]
    record = faceset.records()[10]
    crop = faceset.load_crop(record).astype(np.float32) / 255
    matrix = np.array(record.crop_from_frame)
    points = record.landmarks_array() @ matrix[:, :2].T + matrix[:, 2]
    return crop, points


@pytest.mark.parametrize("name", list(COLOURS))
def test_every_colour_method_keeps_shape_type_and_range(name, face):
    crop, points = face
    tinted = np.clip(crop * [1.3, 0.8, 0.9] + 0.05, 0, 1).astype(np.float32)
    out = COLOURS[name](tinted, crop, MASKS["components"](points, crop.shape[:2]))
    assert out.shape == crop.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("name", ["avg", "reinhard", "hist"])
def test_matching_brings_the_masked_colour_to_the_target(name, face):
    crop, points = face
    mask = MASKS["components"](points, crop.shape[:2]) > 0.5
    tinted = np.clip(crop * [1.25, 0.85, 0.9], 0, 1).astype(np.float32)
    out = COLOURS[name](tinted, crop, mask.astype(np.float32))
    before = np.abs(tinted[mask].mean(0) - crop[mask].mean(0)).sum()
    after = np.abs(out[mask].mean(0) - crop[mask].mean(0)).sum()
    assert after < 0.25 * before


@given(shift=st.floats(-0.2, 0.2), channel=st.integers(0, 2))
@settings(max_examples=25, deadline=None)
def test_avg_undoes_any_uniform_channel_shift(shift, channel):
    rng = np.random.default_rng(1)
    target = rng.uniform(0.3, 0.7, (32, 32, 3)).astype(np.float32)
    moved = target.copy()
    moved[..., channel] += shift
    out = COLOURS["avg"](moved, target, np.ones((32, 32), np.float32))
    assert np.allclose(out, target, atol=1e-4)


@pytest.mark.parametrize("name", list(MASKS))
def test_every_mask_covers_the_face_and_not_the_corners(name, face):
    crop, points = face
    mask = MASKS[name](points, crop.shape[:2])
    assert mask.shape == crop.shape[:2] and mask.dtype == np.float32
    assert mask.min() >= 0 and mask.max() <= 1
    for i in (30, 33, 36, 45, 51, 57):  # nose, eyes, mouth are inside
        x, y = np.round(points[i]).astype(int)
        assert mask[y, x] == 1.0
    assert mask[:8, :8].max() == 0 and mask[-8:, -8:].max() == 0


def test_extended_reaches_above_the_brows_and_holds_components(face):
    crop, points = face
    comp, ext = (MASKS[n](points, crop.shape[:2]) > 0.5 for n in ("components", "extended"))
    assert ext[comp].all() and ext.sum() > 1.1 * comp.sum()
    assert np.nonzero(ext.any(1))[0].min() < np.nonzero(comp.any(1))[0].min()


@given(px=st.integers(1, 12))
@settings(max_examples=15, deadline=None)
def test_erode_shrinks_and_feather_softens_within_the_mask(px):
    mask = np.zeros((96, 96), np.float32)
    cv2.circle(mask, (48, 48), 30, 1.0, -1)
    eroded = erode(mask, px)
    assert eroded.sum() < mask.sum() and (eroded <= mask).all()
    assert erode(mask, -px).sum() > mask.sum()
    soft = feather(mask, px)
    assert soft.min() >= 0 and soft.max() <= 1 + 1e-6
    assert soft[mask == 0].max() < 0.5  # the soft edge stays (mostly) inside
    assert soft[48, 48] == pytest.approx(1.0, abs=1e-3)
