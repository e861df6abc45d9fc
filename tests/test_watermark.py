"""The invisible watermark: found after JPEG 75, a 50% resize and an x264 crf 28 re-encode on
the bundled media, never found on unmarked samples, invisible to the eye (PSNR), carried by
every converted output, and reported by ``twoface inspect`` once the metadata is gone."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twoface.media.read import iter_frames, read_image
from twoface.media.watermark import THRESHOLD, check_file, embed, score


def _photos(samples: Path) -> list[np.ndarray]:
    return [read_image(p) for p in sorted((samples / "identity").glob("*.jpg"))]


def _clip_frames(path: Path, n: int = 3) -> list[np.ndarray]:
    return [f.image for _, f in zip(range(n), iter_frames(path, every=20), strict=False)]


def _jpeg(image: np.ndarray, quality: int = 75) -> np.ndarray:
    _ok, data = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1]


def _half(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)


def _x264(frames: list[np.ndarray], dst: Path, crf: int) -> Path:
    with av.open(str(dst), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(25))
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt, stream.options = "yuv420p", {"crf": str(crf)}
        for image in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode())
    return dst


@pytest.fixture(scope="module")
def pictures(samples) -> list[np.ndarray]:
    clips = [samples / "grid/s1.mp4", samples / "grid/s2.mp4", samples / "multi/event.mp4"]
    return _photos(samples) + [f for c in clips for f in _clip_frames(c)]


def test_no_mark_found_on_unmarked_samples(pictures, samples):
    assert max(score(p) for p in pictures) < THRESHOLD / 2
    for clip in ("grid/s1.mp4", "multi/event.mp4"):
        assert not check_file(samples / clip).found


def test_mark_survives_jpeg_and_half_size_and_is_invisible(pictures):
    for picture in pictures:
        marked = embed(picture)
        mse = np.mean((marked.astype(np.float64) - picture) ** 2)
        assert 10 * np.log10(255**2 / mse) > 40  # about 42 dB: invisible
        for attacked in (marked, _jpeg(marked), _half(marked), _jpeg(_half(marked))):
            assert score(attacked) > THRESHOLD


def test_mark_survives_x264_crf28(samples, tmp_path):
    frames = [f.image for _, f in zip(range(60), iter_frames(samples / "multi/event.mp4"), strict=False)]
    marked = _x264([embed(f) for f in frames], tmp_path / "marked.mp4", 18)
    again = [f.image for f in iter_frames(marked)]
    verdict = check_file(_x264(again, tmp_path / "crf28.mp4", 28))
    assert verdict.found and verdict.frames > 10
    assert not check_file(_x264(frames, tmp_path / "plain.mp4", 28)).found


@settings(max_examples=20, deadline=None)
@given(st.integers(32, 400), st.integers(32, 400), st.integers(0, 255))
def test_embed_keeps_shape_and_stays_within_a_few_levels(height, width, level):
    image = np.full((height, width, 3), level, dtype=np.uint8)
    marked = embed(image)
    assert marked.shape == image.shape and marked.dtype == np.uint8
    assert np.abs(marked.astype(int) - image).max() <= 3


def test_converted_output_carries_the_mark_after_the_metadata_is_gone(tiny_model, s1_clip, tmp_path, capsys):
    from twoface.cli import main

    out = tmp_path / "out.mp4"
    assert main(["convert", "-m", str(tiny_model), str(s1_clip), "-o", str(out), "--quiet"]) == 0
    assert check_file(out).found
    frames = [f.image for f in iter_frames(out)]
    stripped = _x264(frames, tmp_path / "stripped.mp4", 28)  # no twoface record, no C2PA
    capsys.readouterr()
    assert main(["inspect", str(stripped)]) == 0
    said = capsys.readouterr().out
    assert "no twoface provenance record" in said and "watermark: SYNTHETIC mark found" in said
    assert main(["inspect", str(s1_clip)]) == 3  # an unmarked source: nothing says synthetic
    assert "watermark: none found" in capsys.readouterr().out
