"""One-shot swap and live, on the bundled photos and clips."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import interruptible
from test_convert import decode, face_box, far_and_inner

from twoface.cli import main
from twoface.config import LiveConfig, OneShotConfig
from twoface.errors import TwofaceError
from twoface.extract.detect import make_detector
from twoface.extract.identity import embed, largest_face_embedding
from twoface.extract.landmarks import landmarks68
from twoface.live import live
from twoface.media.provenance import read_provenance
from twoface.media.read import read_image
from twoface.media.watermark import embed as mark
from twoface.oneshot import swap_one_shot, triangulate


def quiet() -> OneShotConfig:
    return OneShotConfig(progress=False)


def test_triangulation_covers_the_landmarks(samples):
    image = read_image(samples / "identity/biden_1.jpg")
    det = make_detector("hog", 0)(image)[0]
    points = landmarks68(image, det.box)
    triangles = triangulate(points)
    assert len(triangles) > 90 and triangles.min() >= 0 and triangles.max() < 68
    assert set(np.unique(triangles)) == set(range(68))


def test_one_shot_moves_identity_towards_the_face_and_leaves_the_rest(samples, tmp_path):
    photo, face = samples / "identity/biden_1.jpg", samples / "identity/obama_1.jpg"
    out = tmp_path / "swapped.png"
    summary = swap_one_shot(face, [photo], out, quiet(), report=lambda _m: None)
    assert summary.faces_swapped == 1
    detect = make_detector("hog", 0)
    ref = largest_face_embedding(face, detect)
    before, after = read_image(photo), read_image(out)
    det = max(detect(before), key=lambda d: d.box[2] - d.box[0])
    points = landmarks68(before, det.box)
    d_before = np.linalg.norm(embed(before, points) - ref)
    d_after = np.linalg.norm(embed(after, landmarks68(after, det.box)) - ref)
    assert d_after < d_before - 0.05
    hull = np.zeros(before.shape[:2], np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(points.astype(np.int32)), 1)
    outside = cv2.dilate(hull, np.ones((9, 9), np.uint8)) == 0
    assert np.array_equal(after[outside], mark(before)[outside])  # outside: only the invisible mark
    assert read_provenance(out)["method"] == "one-shot landmark warp"


def test_every_still_swap_lands_nearer_the_face_photos_person(samples, tmp_path):
    """All cross-person pairs of the identity photos, through ``twoface swap``: the result is
    nearer the face photo's person than the target's (means over each person's other photos)."""
    import itertools

    photos = sorted((samples / "identity").glob("*_[0-9].jpg"))
    detect = make_detector("hog", 0)
    emb = {p: largest_face_embedding(p, detect) for p in photos}

    def person(p):
        return p.stem.rsplit("_", 1)[0]

    def mean_of(name, skip):
        return np.mean([emb[q] for q in photos if person(q) == name and q not in skip], axis=0)

    pairs = [(f, t) for f, t in itertools.permutations(photos, 2) if person(f) != person(t)]
    assert len(pairs) == 12
    for face, target in pairs:
        out = tmp_path / f"{face.stem}_on_{target.stem}.png"
        assert swap_one_shot(face, [target], out, quiet(), report=lambda _m: None).faces_swapped == 1
        e = largest_face_embedding(out, detect)
        to_face = np.linalg.norm(e - mean_of(person(face), {face, target}))
        to_target = np.linalg.norm(e - mean_of(person(target), {face, target}))
        assert to_face < to_target, (face.name, target.name, to_face, to_target)


def test_one_shot_video_keeps_frames_fps_and_audio(s1_clip, samples, tmp_path):
    out = tmp_path / "clip.mp4"
    argv = ["swap", "--face", str(samples / "identity/biden_1.jpg"), str(s1_clip), "-o", str(out), "--quiet"]
    assert main(argv) == 0
    src, fps_in, dur_in, audio_in = decode(s1_clip)
    dst, fps_out, dur_out, audio_out = decode(out)
    assert len(dst) == len(src) and fps_out == fps_in and abs(dur_out - dur_in) <= 1 / fps_in
    assert audio_out is not None and abs(audio_out - audio_in) < 0.03
    far, inner = far_and_inner(src[20].shape, face_box(src[20]))
    diff = np.abs(mark(src[20]).astype(int) - dst[20]).mean(axis=2)
    assert diff[far].mean() < 2.0 and diff[inner].mean() > 5.0


def test_one_shot_bad_photos(samples, tmp_path, capsys):
    clip = samples / "grid/s2.mp4"
    assert (
        main(["swap", "--face", str(samples / "edge/no_face.jpg"), str(clip), "-o", str(tmp_path / "x.mp4")])
        == 1
    )
    assert "no_face.jpg: no face found" in capsys.readouterr().err
    group = samples / "identity/obama_biden.jpg"
    photo = samples / "identity/biden_2.jpg"
    assert main(["swap", "--face", str(group), str(photo), "-o", str(tmp_path / "y.jpg"), "--quiet"]) == 0
    assert "2 faces found; using the largest" in capsys.readouterr().err


def test_unknown_output_suffix_is_one_line_naming_the_supported_ones(samples, tmp_path, capsys):
    face, clip, photo = (
        samples / "identity/biden_1.jpg",
        samples / "grid/s2.mp4",
        samples / "identity/biden_2.jpg",
    )
    for src, out, words in (
        (clip, tmp_path / "out.xyz", "suffix '.xyz' for a video output; use one of .mp4"),
        (photo, tmp_path / "out.xyz", "suffix '.xyz' for an image output; use one of .png .jpg"),
        (photo, tmp_path / "out.mp4", "suffix '.mp4' for an image output"),
        (clip, tmp_path / "frames" / "%04d.bmp", "BMP cannot carry the provenance record"),
    ):
        capsys.readouterr()
        assert main(["swap", "--face", str(face), str(src), "-o", str(out), "--quiet"]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"twoface: {out}: ") and words in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, not even a .png


def test_ctrl_c_leaves_no_frames_of_a_frame_pattern_behind(samples, tmp_path):
    import signal
    import sys
    import time

    pattern = tmp_path / "out" / "frames" / "%04d.png"
    face, clip = samples / "identity/biden_1.jpg", samples / "grid/s1.mp4"
    cmd = [
        sys.executable,
        "-m",
        "twoface",
        "swap",
        "--face",
        str(face),
        str(clip),
        "-o",
        str(pattern),
        "--quiet",
    ]
    proc = interruptible(cmd)
    deadline = time.time() + 120
    while time.time() < deadline and not (pattern.parent / "0005.png").exists():
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert not (tmp_path / "out").exists()  # frames and the folders this run made are gone


def test_live_from_a_file_records_the_swap(s1_clip, samples, tmp_path):
    record = tmp_path / "live.mp4"
    cfg = LiveConfig(
        face=str(samples / "identity/biden_1.jpg"), source=str(s1_clip), record=str(record), window="off"
    )
    stats = live(cfg, report=lambda _m: None)
    assert stats.frames_in == 50 and stats.frames_shown >= 10
    assert stats.frames_shown + stats.dropped <= stats.frames_in
    recorded, _, duration, _ = decode(record)
    assert len(recorded) == stats.frames_shown and 1.0 < duration <= 2.5
    assert read_provenance(record)["synthetic"] is True
    source, *_ = decode(s1_clip)
    far, inner = far_and_inner(source[0].shape, face_box(source[0]))
    far[-40:, :160] = False  # the visible SYNTHETIC label
    for frame in recorded[:: max(1, len(recorded) // 4)]:
        diffs = [np.abs(frame.astype(int) - s).mean(axis=2) for s in source]
        assert min(d[inner].mean() for d in diffs) > 4.0  # no source frame has this face
        assert min(d[far].mean() for d in diffs) < 3.0  # but the scene is the source's


def test_live_that_cannot_make_its_window_leaves_no_thread_or_source_open(s1_clip, samples, monkeypatch):
    import threading

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    before = threading.active_count()
    cfg = LiveConfig(face=str(samples / "identity/biden_1.jpg"), source=str(s1_clip), window="on")
    with pytest.raises(TwofaceError, match="no display for a window"):
        live(cfg, report=lambda _m: None)
    assert threading.active_count() == before  # no grabber left playing the source


def test_live_bad_sources(samples, tmp_path, capsys):
    face = str(samples / "identity/biden_1.jpg")
    assert main(["live", "--face", face, "--camera", "7", "--window", "off"]) == 1
    assert "camera 7: cannot open it (cameras found:" in capsys.readouterr().err
    assert main(["live", "--face", face, "--source", str(tmp_path / "none.mp4"), "--window", "off"]) == 1
    assert "none.mp4: no such file" in capsys.readouterr().err
    assert (
        main(["live", "-m", str(tmp_path), "--source", str(samples / "grid/s2.mp4"), "--window", "off"]) == 1
    )
    assert "not a twoface model" in capsys.readouterr().err


def test_virtual_camera_without_a_backend_says_what_to_install(samples, s1_clip, capsys):
    """CI has no v4l2loopback device (and may lack pyvirtualcam): one line naming what to install,
    and the browser stream asked for beside it is not left listening."""
    import socket

    from twoface.cli import main

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = ["live", "--face", str(samples / "identity/biden_1.jpg"), "--source", str(s1_clip)]
    code = main([*argv, "--virtual-camera", "--stream", str(port), "--seconds", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len([ln for ln in err if ln.startswith("twoface: virtual camera:")]) == 1
    assert "pip install 'twoface[virtualcam]'" in err[-1] and "v4l2loopback" in err[-1]
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))  # fails with EADDRINUSE if the stream was left open


def test_label_moves_but_stays(samples):
    from twoface.media.provenance import LABEL_PLACES, label
    from twoface.media.read import read_image

    image = read_image(samples / "identity/biden_1.jpg")
    changed = {}
    for place in LABEL_PLACES:
        diff = np.abs(label(image, where=place).astype(int) - image).sum(axis=2) > 0
        ys, xs = np.nonzero(diff)
        assert len(ys) > 100  # something is drawn wherever it goes
        changed[place] = (ys.mean() < image.shape[0] / 2, xs.mean() < image.shape[1] / 2)
    assert changed["top-left"] == (True, True) and changed["bottom-right"] == (False, False)
    assert not changed["banner"][0]  # the banner sits at the bottom
