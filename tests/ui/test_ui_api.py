"""The UI driven through its API (gradio_client), as a script or another program would: the
same library calls as the CLI, checked on real media (frames, audio, identities, records)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import av
import numpy as np
import pytest

pytest.importorskip("gradio", reason="the web UI needs gradio (pip install -e '.[ui]')")
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from twoface.errors import TwofaceError
from twoface.extract.detect import make_detector
from twoface.extract.identity import largest_face_embedding
from twoface.media.provenance import read_provenance


def _frames_and_audio(path: Path) -> tuple[int, bool]:
    with av.open(str(path)) as c:
        frames = sum(1 for _ in c.decode(video=0))
        return frames, len(c.streams.audio) > 0


def test_one_shot_through_the_api_moves_identity_and_labels_the_download(client, samples):
    face, target = samples / "identity/obama_1.jpg", samples / "identity/biden_1.jpg"
    image, video, download = client.predict(
        handle_file(face), handle_file(target), "reinhard", api_name="/swap"
    )
    assert video is None and Path(image).exists()
    assert read_provenance(download)["synthetic"] is True
    detect = make_detector("hog", 1)
    ref, before = largest_face_embedding(face, detect), largest_face_embedding(target, detect)
    after = largest_face_embedding(Path(download), detect)
    assert np.linalg.norm(after - ref) < np.linalg.norm(before - ref) - 0.05


def test_bad_uploads_get_one_line_and_the_server_keeps_running(client, samples, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    with pytest.raises(AppError, match=r"notes\.txt: not an image or video"):
        client.predict([handle_file(text)], [], "A", api_name="/extract")
    with pytest.raises(AppError, match="no face found"):
        client.predict(
            handle_file(samples / "edge/no_face.jpg"),
            handle_file(samples / "identity/biden_1.jpg"),
            "reinhard",
            api_name="/swap",
        )
    with pytest.raises(AppError, match="no faces found"):
        client.predict([handle_file(samples / "edge/no_face.jpg")], [], "empty", api_name="/extract")
    with pytest.raises(AppError, match="not a usable face set name"):
        client.predict([handle_file(samples / "identity/biden_1.jpg")], [], "../x", api_name="/extract")
    # the server still answers
    listing, _files = client.predict(api_name="/workspace")
    assert "Face sets" in listing


def test_hand_made_folders_and_odd_failures_stay_one_line(client, ui_server):
    """A face-set folder made by hand under a name the page refuses is left out of the lists,
    and failures that are not twoface's own come back as one line that names no folder."""
    from twoface.ui.app import error_line

    _url, ws = ui_server
    odd = ws.root / "faces" / "my set"
    odd.mkdir()
    (odd / "faces.jsonl").write_text("")
    try:
        listing, _files = client.predict(api_name="/workspace")
        assert "Face sets" in listing and "my set" not in listing
    finally:
        odd.joinpath("faces.jsonl").unlink()
        odd.rmdir()
    missing = FileNotFoundError(2, "No such file or directory", "/srv/private/clip.mp4")
    assert error_line(missing) == "clip.mp4: No such file or directory"
    assert error_line(ValueError("bad frame\nstack detail")) == "ValueError: bad frame"
    assert error_line(OSError(28, "No space left on device", 3)) == "file: No space left on device"


def _wait_status(client, model: str, until, timeout: float = 180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.predict(model, api_name="/train_status")
        if until(status):
            return status
        time.sleep(1.0)
    raise AssertionError(f"training status never reached the condition: {status}")


def test_extract_train_stop_convert_through_the_api(client, ui_server, samples, s1_clip):
    from twoface.convert.swap import load_model

    _url, ws = ui_server
    for clip, name in ((samples / "grid/s1.mp4", "A"), (samples / "grid/s2.mp4", "B")):
        message = client.predict([handle_file(clip)], [], name, api_name="/extract")
        assert f"{name}: " in message and " 0 faces kept" not in message
    with pytest.raises(AppError, match="face set is empty"):  # the no-face extract above left one
        client.predict("m_empty", "empty", "B", "lite", 0, api_name="/train")

    line = client.predict("m", "A", "B", "lite", 0, api_name="/train")
    assert line.startswith("m: ") and ("running" in line or "starting" in line)
    with pytest.raises(AppError, match="already running"):
        client.predict("m2", "A", "B", "lite", 0, api_name="/train")
    status, preview, _losses, _log = _wait_status(
        client, "m", lambda s: s[1] is not None and "running" in s[0]
    )
    assert Path(preview).exists() and read_provenance(preview)["synthetic"] is True
    assert "faces/s" in status

    stopped = client.predict(api_name="/stop")
    assert "finished" in stopped, stopped
    step = int(stopped.split("step ")[1].split(",")[0].split(".")[0])
    swap = load_model(ws.model("m"), "cpu", report=lambda _l: None)
    assert swap.step == step >= 25
    _race_kill_and_resume(client, ws, step)

    _before, after, still, download, _msg = client.predict(
        "m", handle_file(s1_clip), None, "reinhard", "auto", "feather", "a2b", None, api_name="/convert"
    )
    assert still is None and Path(after).exists()
    assert _frames_and_audio(Path(download)) == _frames_and_audio(s1_clip)
    assert read_provenance(download)["synthetic"] is True
    frame = client.predict(
        "m", None, s1_clip.name, 10, "reinhard", "auto", "feather", "a2b", None, api_name="/preview"
    )
    assert read_provenance(frame)["synthetic"] is True


def _race_kill_and_resume(client, ws, step: int) -> None:
    """Two Starts at once: one job runs, the other is refused and the log is the winner's. A
    worker killed hard (SIGKILL, as the OOM killer does) shows as failed, and its model holds
    its last save. A resume keeps the model's architecture whatever the box says."""
    from twoface.convert.swap import load_model
    from twoface.ui import jobs

    both = [client.submit("m", "A", "B", "lite", 0, api_name="/train") for _ in range(2)]
    said = []
    for job in both:
        try:
            said.append(job.result())
        except AppError as exc:
            said.append(f"refused: {exc}")
    assert sorted(s.startswith("refused") for s in said) == [False, True], said
    assert "already running" in next(s for s in said if s.startswith("refused"))
    _wait_status(client, "m", lambda s: "running" in s[0])
    assert "another training job" not in jobs.log_tail(ws, 100)

    os.kill(jobs.read_record(ws)["pid"], signal.SIGKILL)
    status = _wait_status(client, "m", lambda s: "running" not in s[0], timeout=30)
    assert "failed" in status[0] and "killed" in status[0], status
    assert load_model(ws.model("m"), "cpu", report=lambda _l: None).step >= step

    with pytest.raises(TwofaceError, match="holds a lite model, not lite128"):
        jobs.check_request(ws, jobs.TrainRequest("m", arch="lite128"))
    resumed = client.predict("m", "A", "B", "lite128", 0, api_name="/train")
    assert "resumed as lite" in resumed, resumed
    assert "finished" in client.predict(api_name="/stop")
    assert load_model(ws.model("m"), "cpu", report=lambda _l: None).name == "lite"


def test_people_become_face_sets_and_bad_faces_drop(client, ui_server, samples):
    """The identity photos hold two people: "Show people" finds both, "Make this person A"
    writes that person's faces as A (keeping an earlier A), and dropping moves faces aside."""
    from twoface.extract.faceset import FaceSet
    from twoface.ui import actions

    _url, ws = ui_server
    photos = sorted((samples / "identity").glob("*_[0-9].jpg"))
    client.predict([handle_file(p) for p in photos], [], "photos", api_name="/extract")
    people, person, faces, *_ = client.predict("photos", 1, api_name="/clusters")
    assert person == 1 and len(faces) >= 2
    groups = actions.clusters(ws, "photos")
    assert len(groups) == 2 and len(people) == 2 * 4
    had_a = (ws.faceset("A") / "faces.jsonl").exists()
    message = client.predict("photos", 2, api_name="/assign_a")
    assert message.startswith(f"A: person 2 of photos, {len(groups[1].files)} faces")
    assert len(FaceSet.open(ws.faceset("A")).records()) == len(groups[1].files)
    assert had_a == (ws.faceset("A_previous") / "faces.jsonl").exists()
    first = groups[0].files[0]
    assert actions.drop_faces(ws, "photos", {first}) == "photos: 1 faces moved to dropped/"
    assert first not in {r.file for r in FaceSet.open(ws.faceset("photos")).records()}
    assert (ws.faceset("photos") / "dropped" / first).exists()
    assert client.predict("photos", "blur", api_name="/sort").startswith("photos: ")


def test_live_session_swaps_webcam_frames(ui_server, samples):
    """What the Live tab runs per webcam frame: the one-shot swap, labelled, with a frame rate."""
    from twoface.media.read import iter_frames
    from twoface.ui import actions

    _url, ws = ui_server
    session = actions.LiveSession(ws, samples / "identity/biden_1.jpg", None)
    changed, fps = [], 0.0
    for i, frame in enumerate(iter_frames(samples / "grid/s1.mp4")):
        if i == 8:
            break
        out, fps = session(frame.image, i / 25)
        assert out.shape == frame.image.shape
        changed.append(np.abs(out.astype(int) - frame.image).mean())
    assert min(changed) > 1.0 and fps == pytest.approx(25, rel=0.01)
