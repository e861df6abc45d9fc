"""Output resolution: face sets at the faces' own size, one antialiased cut, 128 px models,
face types, the schedule, and face sets and models from before all this."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from conftest import quiet
from hypothesis import given, settings
from hypothesis import strategies as st

from twoface.config import TrainConfig
from twoface.convert.blend import BlendConfig
from twoface.convert.pipeline import FaceSwapper
from twoface.convert.swap import cut_face, load_model
from twoface.extract.align import STORE_SPEC, align, antialias_sigma, native_size, warp_crop
from twoface.extract.faceset import FaceSet
from twoface.extract.pipeline import extract
from twoface.geometry import scale_of
from twoface.media.read import iter_frames
from twoface.train.data import AugmentConfig, FaceData
from twoface.train.loop import train
from twoface.train.schedule import FLOOR, cosine
from twoface.types import CropSpec


def _tiny(folder, pair, **kw) -> TrainConfig:
    base = {"iterations": 12, "batch": 4, "lr": 5e-4, "save_every": 1000, "progress": False}
    return TrainConfig(
        model_dir=str(folder), faceset_a=str(pair[0]), faceset_b=str(pair[1]), **{**base, **kw}
    )


def _first_frame(faceset: FaceSet):
    record = sorted(faceset.records(), key=lambda r: r.frame_index)[0]
    frame = next(iter_frames(record.source)).image
    return record, frame


def test_crops_are_stored_at_the_faces_own_resolution(grid_s1_faceset):
    faceset, _ = grid_s1_faceset
    assert faceset.crop_spec == STORE_SPEC
    for r in faceset.records()[::50]:
        crop = faceset.load_crop(r)
        assert crop.shape[0] == r.crop_size and r.crop_size % 8 == 0
        # one crop px per frame px (rounded up to a multiple of 8 px: never fewer)
        assert 0.999 < scale_of(np.array(r.crop_from_frame)) < 1.06


def test_large_faces_are_capped_at_512_px_and_small_ones_kept_small():
    from twoface.extract.align import mean_face

    huge = mean_face() * 900 + 50  # a face 900 px across
    assert native_size(huge, STORE_SPEC.margin) == 512
    small = mean_face() * 63 + 10  # unit square 63 px: 126 px at margin 0.25, up to 128
    assert native_size(small, STORE_SPEC.margin) == 128


def test_the_antialiased_cut_removes_aliasing_and_is_a_plain_warp_when_enlarging():
    # a fine grating (2 px period) shrunk to 0.3: a plain warp aliases it into a strong moire,
    # the antialiased cut leaves a flat grey.
    stripes = np.zeros((400, 400, 3), np.uint8)
    stripes[:, ::2] = 255
    m = np.array([[0.3, 0.0, 0.0], [0.0, 0.3, 0.0]])
    plain = cv2.warpAffine(stripes, m, (100, 100), flags=cv2.INTER_CUBIC)
    cut = warp_crop(stripes, m, 100)
    assert plain[10:90, 10:90].std() > 20 and cut[10:90, 10:90].std() < 8
    up = np.array([[2.0, 0.0, -10.0], [0.0, 2.0, -10.0]])
    same = cv2.warpAffine(stripes, up, (100, 100), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    assert np.array_equal(warp_crop(stripes, up, 100), same)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.05, 4.0))
def test_antialias_sigma_is_zero_when_enlarging_and_grows_as_the_cut_shrinks(scale):
    sigma = antialias_sigma(scale)
    assert sigma >= 0
    assert (sigma == 0) == (scale >= 1)
    assert antialias_sigma(scale / 2) > sigma or scale >= 2


def test_training_cuts_the_same_crop_convert_cuts(grid_s1_faceset):
    """The target of an unmoved training sample and convert's output-size cut of the frame
    agree: training and convert see the same face at the same resolution."""
    faceset, _ = grid_s1_faceset
    record, frame = _first_frame(faceset)
    spec = CropSpec(64, 0.1)
    data = FaceData(faceset, spec, out_size=128)
    i = [r.file for r in faceset.records()].index(record.file)
    trained = data.cut(i).astype(np.float32)
    converted = warp_crop(frame, align(record.landmarks_array(), CropSpec(128, 0.1)).crop_from_frame, 128)
    assert np.abs(trained - converted).mean() < 4.0  # grey levels (one store resample apart)


def test_samples_have_the_model_input_and_output_sizes(grid_pair):
    data = FaceData(FaceSet.open(grid_pair[0]), CropSpec(64, 0.1), out_size=128)
    x, y, w = data.sample(3, AugmentConfig(), np.random.default_rng(0))
    assert x.shape == (3, 64, 64, 3) and y.shape == (3, 128, 128, 3) and w.shape == (3, 128, 128)
    assert x.dtype == y.dtype == np.uint8 and w.max() == 3.0 and w.min() == pytest.approx(0.1)
    # the input is the (warped) target shrunk: same face, same colours
    assert abs(float(x.mean()) - float(y.mean())) < 3.0


def test_a_refiners_larger_targets_are_the_same_faces_at_twice_the_size(grid_pair):
    """With ``hi``, each sample also carries its target and weights at that size: the same
    transform, flip and colour, so shrunk to the output size they match the output target."""
    data = FaceData(FaceSet.open(grid_pair[0]), CropSpec(64, 0.1), out_size=128, hi=256)
    _, y, w, y_hi, w_hi = data.sample(6, AugmentConfig(flip=0.5), np.random.default_rng(4))
    assert y_hi.shape == (6, 256, 256, 3) and w_hi.shape == (6, 256, 256)
    for small, big, weights, big_weights in zip(y, y_hi, w, w_hi, strict=True):
        shrunk = cv2.resize(big, (128, 128), interpolation=cv2.INTER_AREA).astype(np.float32)
        assert np.abs(shrunk - small).mean() < 4.0  # grey levels: one resample apart
        assert np.abs(np.roll(shrunk, 2, axis=1) - small).mean() > 4.0  # a 2 px slip would show
        shrunk_w = cv2.resize(big_weights, (128, 128), interpolation=cv2.INTER_AREA)
        assert np.abs(shrunk_w - weights).mean() < 0.05


@pytest.fixture(scope="module")
def model128(grid_pair, tmp_path_factory):
    folder = tmp_path_factory.mktemp("m128") / "m"
    train(_tiny(folder, grid_pair), report=lambda _m: None)
    return folder


def test_the_default_model_records_its_sizes_and_convert_pastes_at_the_output_size(model128, grid_s1_faceset):
    meta = json.loads((model128 / "model.json").read_text())
    assert meta["model"] == "lite128"
    assert (meta["input_size"], meta["output_size"], meta["face_type"]) == (64, 128, "face")
    swap = load_model(model128, "cpu", lambda _m: None)
    faceset, _ = grid_s1_faceset
    record, frame = _first_frame(faceset)
    cut = cut_face(frame, record.landmarks_array(), swap)
    assert cut.input.shape == (64, 64, 3) and cut.original.shape == (128, 128, 3)
    out = FaceSwapper(swap, "a2b", BlendConfig())(frame, [record.landmarks_array()])
    changed = np.abs(out.astype(int) - frame.astype(int)).max(axis=2) > 8
    x0, y0, x1, y1 = (int(v) for v in record.box)
    assert changed[y0:y1, x0:x1].mean() > 0.3 and changed[:, : max(x0 - 40, 1)].mean() == 0


def test_preview_shows_the_output_size(model128):
    preview = cv2.imread(str(model128 / "preview.png"))
    assert preview.shape == (6 * 128, 6 * 128, 3)


def _changed_rows(out: np.ndarray, frame: np.ndarray) -> np.ndarray:
    return np.flatnonzero((np.abs(out.astype(int) - frame.astype(int)).max(axis=2) > 8).any(axis=1))


def test_whole_face_type_swaps_the_forehead_too(model128, grid_pair, grid_s1_faceset, tmp_path):
    folder = tmp_path / "whole"
    train(_tiny(folder, grid_pair, face_type="whole"), report=lambda _m: None)
    meta = json.loads((folder / "model.json").read_text())
    assert meta["face_type"] == "whole" and meta["crop"]["margin"] == 0.2
    faceset, _ = grid_s1_faceset
    record, frame = _first_frame(faceset)
    landmarks = record.landmarks_array()
    tops = []
    for m in (model128, folder):
        swap = load_model(m, "cpu", lambda _m: None)
        out = FaceSwapper(swap, "a2b", BlendConfig())(frame, [landmarks])
        tops.append(_changed_rows(out, frame).min())
    brows = landmarks[17:27, 1].min()
    face_height = landmarks[:, 1].max() - landmarks[:, 1].min()
    assert tops[0] > brows - 0.3 * face_height  # face: the lower forehead only
    assert tops[1] < tops[0] - 0.15 * face_height  # whole: well above that


def _make_legacy(faceset: FaceSet, out, records, image_of) -> FaceSet:
    """A face set as twoface wrote them before per-face sizes: 256 px crops cut by one plain
    bicubic warp, records without ``crop_size``. ``image_of(record)`` gives its RGB frame."""
    from twoface.extract.faceset import FaceRecord

    old = FaceSet.create(out, CropSpec(256, 0.25))
    rewritten = []
    for r in records:
        a = align(r.landmarks_array(), CropSpec(256, 0.25))
        crop = cv2.warpAffine(image_of(r), a.crop_from_frame, (256, 256), flags=cv2.INTER_CUBIC)
        cv2.imwrite(str(old.faces_dir / r.file), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
        data = json.loads(r.to_json())
        data.pop("crop_size")
        data["crop_from_frame"] = a.crop_from_frame.tolist()
        rewritten.append(FaceRecord.from_json(json.dumps(data)))
    old.rewrite_records(rewritten)
    return old


def test_face_sets_from_before_load_train_and_take_new_faces(tmp_path, samples):
    new = tmp_path / "new"
    extract([samples / "grid/s1.mp4"], new, quiet(every=10), report=lambda _m: None)
    faceset = FaceSet.open(new)
    frames = {f.index: f.image for f in iter_frames(samples / "grid/s1.mp4")}
    legacy = _make_legacy(faceset, tmp_path / "old", faceset.records()[:30], lambda r: frames[r.frame_index])
    assert all(r.crop_size == 0 for r in legacy.records())
    assert FaceSet.open(legacy.root).spec_of(legacy.records()[0]).size == 256
    lines = []
    result = train(_tiny(tmp_path / "m", (legacy.root, legacy.root), iterations=2), report=lines.append)
    assert result.step == 2
    # GRID faces are smaller than what a 256 px crop keeps: nothing is capped, no note
    assert not any("extract again" in line for line in lines)
    # today's extract appends to the old set, each new face at its own size up to the set's 256
    extract([samples / "grid/s2.mp4"], legacy.root, quiet(every=25), report=lambda _m: None)
    added = [r for r in FaceSet.open(legacy.root).records() if r.crop_size]
    assert added and all(r.crop_size <= 256 for r in added)


def test_an_old_face_set_of_large_faces_says_once_that_it_caps_the_model(tmp_path, samples):
    photos = [samples / "identity/obama_1.jpg", samples / "identity/obama_2.jpg"]
    extract(photos, tmp_path / "new", quiet(), report=lambda _m: None)
    faceset = FaceSet.open(tmp_path / "new")

    def image_of(r):
        return cv2.cvtColor(cv2.imread(r.source), cv2.COLOR_BGR2RGB)

    legacy = _make_legacy(faceset, tmp_path / "old", faceset.records(), image_of)
    lines = []
    train(_tiny(tmp_path / "m", (legacy.root, legacy.root), iterations=1), report=lines.append)
    notes = [line for line in lines if "extract again" in line]
    assert len(notes) == 2 and all(str(legacy.root) in n for n in notes)  # once per side (A, B)


def test_models_from_before_output_sizes_still_convert(grid_pair, grid_s1_faceset, tmp_path):
    folder = tmp_path / "old"
    train(_tiny(folder, grid_pair, model="lite", iterations=3), report=lambda _m: None)
    meta = json.loads((folder / "model.json").read_text())
    for key in ("output_size", "face_type"):
        del meta[key]
    for key in ("up_filters", "out_kernel"):
        del meta["config"]["arch"][key]
    (folder / "model.json").write_text(json.dumps(meta))
    swap = load_model(folder, "cpu", lambda _m: None)
    assert swap.out_spec.size == 64 and swap.face_type == "face"
    faceset, _ = grid_s1_faceset
    record, frame = _first_frame(faceset)
    out = FaceSwapper(swap, "a2b", BlendConfig())(frame, [record.landmarks_array()])
    assert out.shape == frame.shape and not np.array_equal(out, frame)
    # and it trains on from there
    assert train(_tiny(folder, grid_pair, iterations=5), report=lambda _m: None).step == 5


def test_a_model_json_whose_output_size_disagrees_is_refused(model128, tmp_path):
    import shutil

    from twoface.errors import TwofaceError

    bad = tmp_path / "bad"
    shutil.copytree(model128, bad)
    meta = json.loads((bad / "model.json").read_text())
    meta["output_size"] = 256
    (bad / "model.json").write_text(json.dumps(meta))
    with pytest.raises(TwofaceError, match="output size"):
        load_model(bad, "cpu", lambda _m: None)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(0.0, 0.5))
def test_cosine_warms_up_then_falls_to_the_floor(progress, warmup):
    f = cosine(progress, warmup)
    assert 0 < f <= 1
    if progress >= warmup:
        assert f >= FLOOR - 1e-9
        assert cosine(min(progress + 0.05, 1.0), warmup) <= f + 1e-9
    assert cosine(1.0, warmup) == pytest.approx(FLOOR)
    assert cosine(None, warmup) == 1.0


def test_snapshots_copy_the_model_during_one_run(grid_pair, tmp_path):
    folder = tmp_path / "m"
    train(_tiny(folder, grid_pair, iterations=None, minutes=0.25, snapshots=(0.05,)), report=lambda _m: None)
    snap = folder / "snapshots" / "0.05min"
    meta = json.loads((snap / "model.json").read_text())
    assert 0 < meta["step"] < json.loads((folder / "model.json").read_text())["step"]
    assert load_model(snap, "cpu", lambda _m: None).step == meta["step"]


def test_bad_train_settings_are_refused_by_the_config():
    for bad in ({"face_type": "head"}, {"schedule": "step"}, {"sharpen": 1.5}, {"batch": 0}, {"warp": -0.1}):
        with pytest.raises(ValueError):
            TrainConfig(model_dir="m", **bad)
