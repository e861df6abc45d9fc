"""Convert: real clips through a real (tiny) model; outputs decoded and compared pixel by pixel."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import interruptible

from twoface.cli import main
from twoface.config import ConvertConfig
from twoface.convert.pipeline import convert
from twoface.extract.detect import make_detector
from twoface.extract.landmarks import landmarks68
from twoface.media.provenance import read_provenance
from twoface.media.read import read_image
from twoface.media.watermark import embed


def decode(path: Path) -> tuple[list[np.ndarray], float, float, float | None]:
    """Frames (RGB), fps, video duration and audio duration (None without audio). Containers
    without per-stream durations (Matroska) give the container's for both."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        fps = float(v.average_rate)
        whole = float(c.duration or 0) / 1e6
        duration = float(v.duration * v.time_base) if v.duration else whole
        audio = c.streams.audio[0] if c.streams.audio else None
        audio_s = (
            None if audio is None else float(audio.duration * audio.time_base) if audio.duration else whole
        )
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(v)]
    return frames, fps, duration, audio_s


def face_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """The largest face's landmark box (x0, y0, x1, y1) found by the HOG detector."""
    det = max(make_detector("hog", 0)(image), key=lambda d: d.box[2] - d.box[0])
    points = landmarks68(image, det.box)
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return int(x0), int(y0), int(x1), int(y1)


def far_and_inner(shape, box) -> tuple[np.ndarray, np.ndarray]:
    """Masks: pixels more than half a face away from the box, and the box's central half."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    far = np.ones(shape[:2], bool)
    far[max(0, y0 - h // 2) : y1 + h // 2, max(0, x0 - w // 2) : x1 + w // 2] = False
    inner = np.zeros(shape[:2], bool)
    inner[y0 + h // 4 : y1 - h // 4, x0 + w // 4 : x1 - w // 4] = True
    return far, inner


def cfg(model: Path, **kw) -> ConvertConfig:
    return ConvertConfig(model_dir=str(model), progress=False, **kw)


def test_video_keeps_frames_timing_audio_and_changes_only_the_face(s1_clip, tiny_model, tmp_path):
    out = tmp_path / "out.mp4"
    summary = convert([s1_clip], out, cfg(tiny_model), report=lambda _m: None)
    assert summary.outputs == [str(out)] and summary.faces_swapped == 50
    src, fps_in, dur_in, audio_in = decode(s1_clip)
    dst, fps_out, dur_out, audio_out = decode(out)
    assert len(dst) == len(src) == 50
    assert fps_out == pytest.approx(fps_in)
    assert abs(dur_out - dur_in) <= 1 / fps_in
    assert audio_out is not None and audio_out == pytest.approx(audio_in, abs=0.03)
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video", "audio"]  # editors expect video first
    for i in (0, 25, 49):
        far, inner = far_and_inner(src[i].shape, face_box(src[i]))
        diff = np.abs(embed(src[i]).astype(int) - dst[i]).mean(axis=2)
        assert diff[far].mean() < 2.0  # away from the face: the invisible mark, then codec noise
        assert diff[inner].mean() > 8.0  # the face is new
    assert not list(tmp_path.glob(".*partial*"))


def test_image_output_carries_provenance_and_inspect_reads_it(samples, tiny_model, tmp_path, capsys):
    frame = tmp_path / "frame.png"
    with av.open(str(samples / "grid/s1.mp4")) as c:
        image = next(c.decode(video=0)).to_ndarray(format="rgb24")
    from PIL import Image

    Image.fromarray(image).save(frame)
    for name in ("out.png", "out.jpg"):
        assert (
            main(["convert", str(frame), "-m", str(tiny_model), "-o", str(tmp_path / name), "--quiet"]) == 0
        )
        record = read_provenance(tmp_path / name)
        assert record["synthetic"] is True and record["model"].startswith("lite")
    out = read_image(tmp_path / "out.png")
    far, inner = far_and_inner(image.shape, face_box(image))
    assert np.array_equal(out[far], embed(image)[far])  # lossless: elsewhere only the invisible mark
    assert np.abs(out[inner].astype(int) - image[inner]).mean() > 8
    capsys.readouterr()
    assert main(["inspect", str(tmp_path / "out.png"), str(tmp_path / "out.jpg")]) == 0
    printed = capsys.readouterr().out
    assert printed.count(": SYNTHETIC (") == 2 and "twoface" in printed  # the two records
    assert main(["inspect", str(frame)]) == 3  # no record: said, and a distinct exit code


def test_only_swaps_the_matching_person(samples, tiny_model, tmp_path):
    """On the two-person photo, --only with one person's other photo leaves the other face as it was."""
    group = samples / "identity/obama_biden.jpg"
    out = tmp_path / "only.png"
    summary = convert(
        [group], out, cfg(tiny_model, only=(str(samples / "identity/obama_1.jpg"),)), report=lambda _m: None
    )
    assert summary.faces_swapped == 1 and summary.faces_skipped == 1
    image, result = embed(read_image(group)), read_image(out)  # the whole picture carries the mark
    dets = sorted(make_detector("hog", 0)(image), key=lambda d: d.box[0])
    changed = []
    for det in dets:
        x0, y0, x1, y1 = (int(v) for v in det.box)
        changed.append(np.abs(result[y0:y1, x0:x1].astype(int) - image[y0:y1, x0:x1]).mean())
    assert sorted(changed)[0] == 0.0 and sorted(changed)[1] > 5.0


def test_input_without_faces_comes_out_unchanged_and_says_so(samples, tiny_model, tmp_path):
    lines = []
    out = tmp_path / "new/folder/car.png"  # missing folders are created
    summary = convert([samples / "edge/no_face.jpg"], out, cfg(tiny_model), report=lines.append)
    assert summary.faces_swapped == 0 and summary.outputs == [str(out)]
    assert np.array_equal(read_image(out), embed(read_image(samples / "edge/no_face.jpg")))  # + the mark
    assert any("no face swapped" in line for line in lines)


def test_the_demo_strip_carries_the_provenance_record(s1_clip, tiny_model, tmp_path):
    from twoface.demo import write_strip

    convert([s1_clip], tmp_path / "out.mp4", cfg(tiny_model), report=lambda _m: None)
    write_strip(s1_clip, tmp_path / "out.mp4", tmp_path / "strip.png")
    strip = read_image(tmp_path / "strip.png")
    assert strip.shape[0] == 2 * 160 and read_provenance(tmp_path / "strip.png")["synthetic"] is True
    assert np.abs(strip[:160].astype(int) - strip[160:]).mean() > 1  # the rows differ: a swap


def test_bad_inputs_give_one_line_and_a_non_zero_exit(samples, tiny_model, grid_pair, tmp_path, capsys):
    clip = samples / "grid/s2.mp4"
    cases = [
        (
            ["convert", str(clip), "-m", str(tmp_path / "none"), "-o", str(tmp_path / "x.mp4")],
            "no such model",
        ),
        (
            ["convert", str(clip), "-m", str(grid_pair[0]), "-o", str(tmp_path / "x.mp4")],
            "not a twoface model",
        ),
        (["convert", str(clip), "-m", str(tiny_model), "-o", str(clip)], "output is the input"),
        (
            ["convert", str(tmp_path / "gone.mp4"), "-m", str(tiny_model), "-o", str(tmp_path / "x.mp4")],
            "no such",
        ),
        (
            ["convert", str(clip), "-m", str(tiny_model), "-o", str(tmp_path / "x.mp4"), "--mask", "learned"],
            "no mask",
        ),
    ]
    for argv, words in cases:
        capsys.readouterr()
        assert main([*argv, "--quiet"]) == 1, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert any(words in line for line in err), (argv, err)
    assert not (tmp_path / "x.mp4").exists()


def test_corrupt_packets_mid_video_are_skipped_and_timing_kept(s1_clip, tiny_model, tmp_path):
    broken = tmp_path / "broken.mp4"
    data = bytearray(s1_clip.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 3000] = bytes(3000)
    broken.write_bytes(bytes(data))
    lines = []
    out = tmp_path / "out.mp4"
    convert([broken], out, cfg(tiny_model), report=lines.append)
    frames, fps, duration, _ = decode(out)
    assert 25 <= len(frames) <= 50
    assert abs(duration - 2.0) <= 2 / fps


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_full_disk_leaves_no_half_file(s1_clip, tiny_model, tmp_path):
    """A file-size limit makes writes fail like a full disk: one line, exit 1, nothing left behind."""
    out = tmp_path / "out.mp4"

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "twoface",
            "convert",
            str(s1_clip),
            "-m",
            str(tiny_model),
            "-o",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert run.returncode == 1
    assert "out.mp4" in run.stderr and "disk full" in run.stderr
    assert not out.exists() and not list(tmp_path.glob(".*partial*"))
    assert "Traceback" not in run.stderr


def test_run_goes_from_two_videos_to_a_swapped_video_and_trains_on_when_run_again(s1_clip, samples, tmp_path):
    from conftest import cut_clip

    b = cut_clip(samples / "grid/s2.mp4", tmp_path / "b.mp4", 2.0)
    out = tmp_path / "swapped.mp4"
    argv = ["run", str(s1_clip), str(b), "-o", str(out), "--batch", "4", "--quiet"]
    assert main([*argv, "--iterations", "3"]) == 0
    frames, _, _, audio = decode(out)
    assert len(frames) == 50 and audio is not None
    assert read_provenance(out)["synthetic"] is True
    work = tmp_path / "swapped_work"
    assert (work / "faces_a/faces.jsonl").is_file() and (work / "model/model.json").is_file()
    assert main([*argv, "--iterations", "5"]) == 0
    steps = np.loadtxt(work / "model/loss.csv", delimiter=",", skiprows=1)[:, 0]
    assert list(steps) == [1, 2, 3, 4, 5]


def test_evaluate_reports_every_figure_against_its_ceiling_and_writes_a_sheet(tiny_model, tmp_path, capsys):
    import json

    sheet = tmp_path / "sheet.png"
    argv = ["evaluate", "-m", str(tiny_model), "--limit", "6", "--sheet", str(sheet), "--both-ways"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["faces"] == {"a": 6, "b": 6} and report["output_size"] == 128
    assert 0 <= report["identity_transfer"] <= 1
    # 30 steps: blurred, and the ratio says so, well under what a perfect model would give
    assert 0 < report["sharpness_ratio"] < 0.8 * report["sharpness_ceiling"]
    assert 0.3 < report["sharpness_ceiling"] < 1.2
    assert report["sharpness"] == f"{report['sharpness_ratio']:.2f} of {report['sharpness_ceiling']:.2f}"
    assert -1 <= report["mouth_correlation"] <= 1
    low, high = report["mouth_interval"]
    assert -1 <= low < high <= 1  # 6 faces: a wide interval
    assert report["flicker"] > 0  # the last 6 faces are consecutive frames
    assert 0 < report["ssim_a"] < 1 and 0 < report["ssim_b"] < 1
    assert report["mean_distance_to_a"] > 0 and report["mean_distance_to_b"] > 0
    assert report["critic_joined"] is None  # 30 steps: the critic waits for step 300
    back = report["b2a"]  # B's 6 faces swapped to A, judged the same way
    assert 0 <= back["identity_transfer"] <= 1 and -1 <= back["mouth_correlation"] <= 1
    assert back["mouth_ceiling"] > 0.5  # B's mouth moves in those frames, and a perfect swap keeps it
    image = read_image(sheet)
    assert image.shape == (3 * 160, 6 * 160, 3) and read_provenance(sheet)["synthetic"] is True


def test_ctrl_c_keeps_finished_outputs_and_leaves_no_half_file(samples, tiny_model, tmp_path):
    import time

    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(samples / "identity/biden_2.jpg", inputs / "a.jpg")
    shutil.copy(samples / "grid/s1.mp4", inputs / "b.mp4")
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "twoface",
        "convert",
        str(inputs),
        "-m",
        str(tiny_model),
        "-o",
        str(out),
        "--quiet",
    ]
    proc = interruptible(cmd)
    partial = out / ".b.partial.mp4"
    deadline = time.time() + 120
    while time.time() < deadline and (not partial.exists() or partial.stat().st_size < 50_000):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert (out / "a.jpg").is_file() and read_provenance(out / "a.jpg")["synthetic"] is True
    assert not (out / "b.mp4").exists() and not partial.exists()


@pytest.mark.parametrize("suffix", [".mkv", ".webm", ".avi"])
def test_other_containers_keep_frames_rate_audio_and_provenance(s1_clip, tiny_model, tmp_path, suffix):
    """.webm and .avi transcode the AAC audio (Opus, MP3); Matroska upper-cases tag names and
    AVI keeps only its standard tags: the record must survive all of them."""
    out = tmp_path / f"out{suffix}"
    convert([s1_clip], out, cfg(tiny_model), report=lambda _m: None)
    frames, fps, _, _ = decode(s1_clip)
    got, got_fps, _, _ = decode(out)
    assert len(got) == len(frames) and got_fps == pytest.approx(fps)
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video", "audio"]
    assert read_provenance(out)["synthetic"] is True
