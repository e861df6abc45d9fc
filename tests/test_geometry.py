import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twoface.extract.align import STORE_SPEC, align, mean_face
from twoface.geometry import compose_affine, invert_affine, subcrop_matrix, transform_points, umeyama

angles = st.floats(-np.pi, np.pi)
scales = st.floats(0.05, 20.0)
shifts = st.floats(-500, 500)


def similarity(angle: float, scale: float, tx: float, ty: float) -> np.ndarray:
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    return np.array([[c, -s, tx], [s, c, ty]])


@given(angles, scales, shifts, shifts)
def test_umeyama_recovers_a_similarity(angle, scale, tx, ty):
    m = similarity(angle, scale, tx, ty)
    src = mean_face() * 100
    np.testing.assert_allclose(umeyama(src, transform_points(m, src)), m, atol=1e-6 * max(1, scale) * 500)


@given(angles, scales, shifts, shifts)
def test_invert_then_compose_is_identity(angle, scale, tx, ty):
    m = similarity(angle, scale, tx, ty)
    np.testing.assert_allclose(compose_affine(invert_affine(m), m), [[1, 0, 0], [0, 1, 0]], atol=1e-9)


@settings(max_examples=50)
@given(angles, st.floats(0.5, 5.0), shifts, shifts)
def test_alignment_round_trip_within_half_a_pixel(angle, scale, tx, ty):
    """Landmarks mapped into the crop and back land where they started (< 0.5 px)."""
    landmarks = transform_points(similarity(angle, scale, tx + 1000, ty + 1000), mean_face() * 150)
    a = align(landmarks, STORE_SPEC)
    in_crop = transform_points(a.crop_from_frame, landmarks)
    back = transform_points(invert_affine(a.crop_from_frame), in_crop)
    assert np.abs(back - landmarks).max() < 0.5
    assert (in_crop >= 0).all() and (in_crop < STORE_SPEC.size).all()


def test_mean_face_maps_to_the_crop_square():
    a = align(mean_face() * 200 + 30, STORE_SPEC)
    inner = transform_points(a.crop_from_frame, mean_face() * 200 + 30)[17:]
    lo, hi = STORE_SPEC.size * STORE_SPEC.margin, STORE_SPEC.size * (1 - STORE_SPEC.margin)
    assert abs(inner.min() - lo) < 1.5 and abs(inner.max() - hi) < 1.5


def test_subcrop_is_a_centred_scale():
    m = subcrop_matrix(256, 0.25, 64, 0.125)
    centre = transform_points(m, np.array([[128.0, 128.0]]))
    np.testing.assert_allclose(centre, [[32.0, 32.0]])
    assert abs(m[0, 0] - 64 * 0.75 / (256 * 0.5)) < 1e-12


def test_landmark_parts_split_the_68_points_and_left_is_the_persons_own(samples):
    """The named parts cover every point once, and the person's right eye is on the image's
    left in a frontal photo (faceswap's convention)."""
    from twoface.extract.detect import make_detector
    from twoface.extract.landmarks import landmarks68
    from twoface.landmark_parts import LANDMARKS_68, indices
    from twoface.media.read import read_image

    partition = indices("jaw", "right_brow", "left_brow", "nose", "right_eye", "left_eye", "mouth")
    assert partition == list(range(68))
    assert indices("brows") == indices("right_brow", "left_brow")
    assert indices("mouth") == indices("outer_mouth", "inner_mouth")
    image = read_image(samples / "identity/biden_1.jpg")
    face = max(make_detector("hog")(image), key=lambda d: d.box[2] - d.box[0])
    points = landmarks68(image, face.box)
    right, left = (points[LANDMARKS_68[p]].mean(0)[0] for p in ("right_eye", "left_eye"))
    assert right < left
