"""Contract tests over every registered detector, on real photos."""

import numpy as np
import pytest

from twoface.extract.detect import DETECTORS, make_detector
from twoface.extract.landmarks import landmarks68
from twoface.media.read import read_image
from twoface.types import Detection


@pytest.fixture(scope="module")
def pair_photo(samples):
    import cv2

    image = read_image(samples / "identity/obama_biden.jpg")
    return cv2.resize(
        image, (600, round(600 * image.shape[0] / image.shape[1])), interpolation=cv2.INTER_AREA
    )


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_finds_both_faces_well_formed(name, pair_photo):
    found = make_detector(name)(pair_photo)
    assert len(found) == 2
    h, w = pair_photo.shape[:2]
    for d in found:
        assert isinstance(d, Detection)
        x0, y0, x1, y1 = d.box
        assert -0.1 * w < x0 < x1 < 1.1 * w and -0.1 * h < y0 < y1 < 1.1 * h
        assert 60 < x1 - x0 < 300
        assert np.isfinite(d.score)
    # the two faces sit side by side, one per half
    assert sorted(d.box[0] < w / 2 for d in found) == [False, True]


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_boxes_suit_the_landmark_model(name, pair_photo):
    """Boxes in the HOG convention: landmarks found in them span most of the box."""
    for d in make_detector(name)(pair_photo):
        pts = landmarks68(pair_photo, d.box)
        width = pts[:, 0].max() - pts[:, 0].min()
        assert 0.8 < width / (d.box[2] - d.box[0]) < 1.3


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_finds_nothing_in_a_car_photo(name, samples):
    import cv2

    image = read_image(samples / "edge/no_face.jpg")
    assert make_detector(name)(cv2.resize(image, (400, 300))) == []


def test_unknown_detector_is_refused():
    with pytest.raises(ValueError, match="unknown detector"):
        make_detector("nope")
