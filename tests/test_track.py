import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from twoface.extract.detect import make_hog
from twoface.extract.track import OneEuroFilter, Tracker, match
from twoface.media.read import iter_frames


def test_one_euro_reduces_jitter_on_a_still_point():
    rng = np.random.default_rng(0)
    f = OneEuroFilter(min_cutoff=1.0, beta=4.0)
    noisy = 100 + rng.normal(0, 0.5, size=(250, 68, 2))
    out = np.stack([f(x, t / 25, scale=150) for t, x in enumerate(noisy)])
    assert np.abs(np.diff(out[50:], axis=0)).mean() < 0.3 * np.abs(np.diff(noisy[50:], axis=0)).mean()


def test_one_euro_follows_a_fast_move():
    f = OneEuroFilter(min_cutoff=1.0, beta=4.0)
    for t in range(10):
        f(np.zeros((68, 2)), t / 25, scale=150)
    moved = [f(np.full((68, 2), 60.0), (10 + t) / 25, scale=150) for t in range(5)]
    assert moved[-1].mean() > 55  # within 5 px after 5 frames of a 60 px jump


@given(st.lists(st.tuples(st.floats(0, 500), st.floats(0, 500), st.floats(20, 200)), min_size=1, max_size=6))
def test_match_is_one_to_one_and_finds_identical_boxes(boxes):
    boxes = [(x, y, x + s, y + s) for x, y, s in boxes]
    pairs = match(boxes, boxes)
    assert len({i for i, _ in pairs}) == len(pairs) == len({j for _, j in pairs})
    assert len(pairs) >= 1


def test_tracker_follows_the_grid_speaker_detecting_every_fifth_frame(samples):
    calls = []
    hog = make_hog()

    def counting(image):
        calls.append(1)
        return hog(image)

    tracker = Tracker(counting, detect_every=5)
    ids = set()
    frames = list(iter_frames(samples / "grid/s1.mp4"))[:100]
    for frame in frames:
        faces = tracker.update(frame)
        assert len(faces) == 1
        ids.add(faces[0].track_id)
    assert ids == {0}
    assert len(calls) == 20
