"""Bad input: one clear line naming the file, a non-zero exit only when nothing was read,
and nothing already saved lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import interruptible

from twoface.cli import main
from twoface.extract.faceset import FaceSet


def run_cli(*args: str, capsys) -> tuple[int, str]:
    code = main([*args, "--quiet"])
    return code, capsys.readouterr().err


@pytest.fixture()
def existing_set(samples, tmp_path) -> tuple[Path, list]:
    out = tmp_path / "set"
    assert main(["extract", str(samples / "identity/obama_1.jpg"), "-o", str(out), "--quiet"]) == 0
    return out, FaceSet.open(out).records()


def assert_survives(out: Path, before: list) -> None:
    after = FaceSet.open(out).records()
    assert [r.file for r in after[: len(before)]] == [r.file for r in before]
    assert all((out / "faces" / r.file).is_file() for r in after)


def make_bad_inputs(root: Path, samples: Path) -> dict[str, Path]:
    (root / "empty").mkdir()
    data = (samples / "identity/obama_2.jpg").read_bytes()
    (root / "truncated.jpg").write_bytes(data[: len(data) // 3])
    (root / "notes.mp4").write_text("this is a text file, not a video\n")
    video = (samples / "grid/s2.mp4").read_bytes()
    (root / "corrupt.mp4").write_bytes(video[:4096] + bytes(len(video) - 4096))
    return {
        "missing.jpg": root / "missing.jpg",
        "truncated.jpg": root / "truncated.jpg",
        "notes.mp4": root / "notes.mp4",
        "corrupt.mp4": root / "corrupt.mp4",
        "empty": root / "empty",
        "no_face.jpg": samples / "edge/no_face.jpg",
    }


EXPECTED = {
    "missing.jpg": "no such file",
    "truncated.jpg": "truncated",
    "notes.mp4": "not a readable image or video",
    "corrupt.mp4": "not a readable image or video",  # the header survives, the data is zeros
    "empty": "holds no images or videos",
    "no_face.jpg": "no face found",
}


def test_each_bad_input_gets_one_clear_line(existing_set, samples, tmp_path, capsys):
    out, before = existing_set
    bad = make_bad_inputs(tmp_path, samples)
    code, err = run_cli("extract", *map(str, bad.values()), "-o", str(out), capsys=capsys)
    assert code == 1  # nothing usable in any input
    for name, words in EXPECTED.items():
        lines = [ln for ln in err.splitlines() if ln.startswith(f"twoface: {bad[name]}:")]
        assert lines, f"no message for {name}:\n{err}"
        assert words in lines[0]
    assert_survives(out, before)


def test_bad_inputs_do_not_stop_good_ones(existing_set, samples, tmp_path, capsys):
    out, before = existing_set
    bad = make_bad_inputs(tmp_path, samples)
    code, err = run_cli(
        "extract", str(bad["notes.mp4"]), str(samples / "identity/biden_1.jpg"), "-o", str(out), capsys=capsys
    )
    assert code == 0
    assert "notes.mp4: not a readable image or video" in err
    assert len(FaceSet.open(out).records()) == len(before) + 1
    assert_survives(out, before)


def test_huge_image_is_handled_with_a_note(samples, tmp_path, capsys):
    photo = cv2.imread(str(samples / "identity/obama_2.jpg"))
    canvas = np.full((8000, 8000, 3), 90, np.uint8)
    big = cv2.resize(photo, None, fx=3, fy=3, interpolation=cv2.INTER_LINEAR)
    canvas[1000 : 1000 + big.shape[0], 1000 : 1000 + big.shape[1]] = big
    path = tmp_path / "huge.jpg"
    cv2.imwrite(str(path), canvas, [cv2.IMWRITE_JPEG_QUALITY, 70])
    code, err = run_cli("extract", str(path), "-o", str(tmp_path / "out"), capsys=capsys)
    assert code == 0
    assert f"{path}: large image (8000x8000)" in err
    record = FaceSet.open(tmp_path / "out").records()[0]
    assert record.box[2] - record.box[0] > 600  # found at full-size coordinates


def test_output_folder_that_is_not_a_face_set_is_refused(samples, tmp_path, capsys):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff/keep.txt").write_text("mine")
    code, err = run_cli(
        "extract", str(samples / "identity/obama_1.jpg"), "-o", str(tmp_path / "stuff"), capsys=capsys
    )
    assert code == 1 and "is not a face set" in err
    assert (tmp_path / "stuff/keep.txt").read_text() == "mine"


def test_reference_without_a_face_is_refused(samples, tmp_path, capsys):
    code, err = run_cli(
        "extract",
        str(samples / "identity/obama_1.jpg"),
        "-o",
        str(tmp_path / "o"),
        "--keep",
        str(samples / "edge/no_face.jpg"),
        capsys=capsys,
    )
    assert code == 1 and "no_face.jpg: no face found in this reference photo" in err


def _extract_cmd(samples: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "twoface",
        "extract",
        str(samples / "grid/s1.mp4"),
        "-o",
        str(out),
        "--quiet",
    ]


def test_ctrl_c_keeps_every_saved_face_and_resumes(samples, tmp_path):
    out = tmp_path / "set"
    proc = interruptible(_extract_cmd(samples, out))
    jsonl = out / "faces.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and (not jsonl.exists() or jsonl.stat().st_size < 20000):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    saved = FaceSet.open(out).records()
    assert 0 < len(saved) < 600
    assert all((out / "faces" / r.file).is_file() for r in saved)
    done = subprocess.run(_extract_cmd(samples, out), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    records = FaceSet.open(out).records()
    assert len(records) == len({r.frame_index for r in records}) >= 588
    assert [r.file for r in records[: len(saved)]] == [r.file for r in saved]


def test_disk_full_stops_with_a_clear_line_and_keeps_saved_faces(samples, tmp_path):
    """A file-size limit stands in for a full disk: writes past it fail with an OS error."""
    out = tmp_path / "set"
    limit = "import resource, signal, runpy, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
    limit += "resource.setrlimit(resource.RLIMIT_FSIZE, (400000, 400000));"
    limit += "sys.argv = ['twoface'] + sys.argv[1:]; runpy.run_module('twoface', run_name='__main__')"
    cmd = [sys.executable, "-c", limit, *_extract_cmd(samples, out)[3:]]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ})
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if "cannot save faces" in ln]
    assert lines and str(out) in lines[0], proc.stderr
    saved = FaceSet.open(out).records()
    assert len(saved) > 0
    assert all((out / "faces" / r.file).is_file() for r in saved)
