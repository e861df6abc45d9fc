"""End-to-end extraction on the bundled clips and photos."""

from __future__ import annotations

import json

import cv2
import numpy as np
from conftest import quiet

from twoface.extract.align import STORE_SPEC
from twoface.extract.faceset import FaceSet
from twoface.extract.identity import cluster, embed
from twoface.extract.landmarks import landmarks68
from twoface.extract.pipeline import extract
from twoface.extract.sort import sort_identity
from twoface.geometry import transform_points
from twoface.media.read import iter_frames, read_image

RECORD_KEYS = {
    "file",
    "source",
    "frame_index",
    "pts",
    "box",
    "score",
    "landmarks",
    "crop_from_frame",
    "embedding",
    "blur",
}


def test_grid_s1_has_a_face_in_98_percent_of_frames(grid_s1_faceset):
    faceset, summary = grid_s1_faceset
    records = faceset.records()
    frames = {r.frame_index for r in records}
    assert summary.frames_read == 600
    assert len(frames) >= 0.98 * 600
    assert len(records) == len(frames)  # one speaker, one face per frame


def test_grid_s1_is_one_identity(grid_s1_faceset):
    faceset, _ = grid_s1_faceset
    labels = cluster(np.stack([r.embedding_array() for r in faceset.records()]))
    assert set(labels) == {0}


def test_faceset_matches_the_design(grid_s1_faceset):
    faceset, _ = grid_s1_faceset
    meta = json.loads((faceset.root / "faceset.json").read_text())
    assert meta["format_version"] == 1 and meta["crop"] == {"size": 512, "margin": 0.25}
    first = json.loads((faceset.root / "faces.jsonl").read_text().splitlines()[0])
    assert set(first) >= RECORD_KEYS | {"crop_size"}
    assert np.array(first["landmarks"]).shape == (68, 2)
    assert np.array(first["crop_from_frame"]).shape == (2, 3)
    assert len(first["embedding"]) == 128
    crop = cv2.imread(str(faceset.faces_dir / first["file"]))
    size = first["crop_size"]
    assert crop.shape == (size, size, 3) and 128 <= size < 512  # GRID faces: their own size


def test_stored_crop_is_the_frame_warped_by_its_matrix(grid_s1_faceset, samples):
    """The record's matrix maps its landmarks onto the mean face's place in the crop, and the
    crop shows the face those landmarks were found on."""
    faceset, _ = grid_s1_faceset
    record = faceset.records()[100]
    frame = next(f for f in iter_frames(samples / "grid/s1.mp4") if f.index == record.frame_index)
    m = np.array(record.crop_from_frame)
    size = record.crop_size
    expected = cv2.warpAffine(
        frame.image, m, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    stored = faceset.load_crop(record)
    assert np.abs(stored.astype(int) - expected.astype(int)).mean() < 1.0
    in_crop = transform_points(m, record.landmarks_array())[17:48]
    assert (in_crop > STORE_SPEC.margin * size - 20).all() and (
        in_crop < (1 - STORE_SPEC.margin) * size + 20
    ).all()


def test_landmarks_are_smoothed_in_video(grid_s1_faceset, samples):
    faceset, _ = grid_s1_faceset
    smooth = np.stack([r.landmarks_array() for r in faceset.records()[:200]])
    jitter_smooth = np.linalg.norm(np.diff(smooth[:, 17:48], axis=0), axis=2).mean()
    frames = list(iter_frames(samples / "grid/s1.mp4"))[:200]
    raw = np.stack(
        [landmarks68(f.image, r.box) for f, r in zip(frames, faceset.records()[:200], strict=True)]
    )
    jitter_raw = np.linalg.norm(np.diff(raw[:, 17:48], axis=0), axis=2).mean()
    assert jitter_smooth < 0.75 * jitter_raw


def test_multi_person_clip_gives_several_identities(event_faceset):
    labels = cluster(np.stack([r.embedding_array() for r in event_faceset.records()]))
    sizes = np.bincount(labels)
    assert (sizes >= 20).sum() >= 2


def test_people_taking_turns_each_get_their_own_group(samples, tmp_path):
    """The selfie clip: three people take turns (a woman with glasses, a man in a helmet, a
    woman without either). Face to face they are 0.60-0.80 apart in dlib, but the means of
    their groups only 0.53-0.70, so merging groups by their means made two people one."""
    out = tmp_path / "faces"
    extract([samples / "multi/selfie_10s.mp4"], out, quiet(), report=lambda _m: None)
    records = FaceSet.open(out).records()
    labels = cluster(np.stack([r.embedding_array() for r in records]))
    by_frame = {r.frame_index: lab for r, lab in zip(records, labels, strict=True)}
    turns = [by_frame[f] for f in (20, 60, 85)]  # the first turn of each person
    assert len(set(turns)) == 3, turns
    assert (np.bincount(labels) >= 40).sum() == 3


def test_keep_reference_keeps_only_that_person(event_faceset, samples, tmp_path):
    """A photo of one person cut from the clip, used with --keep, keeps only that person."""
    records = event_faceset.records()
    embeddings = np.stack([r.embedding_array() for r in records])
    labels = cluster(embeddings)
    target = next(r for r, lab in zip(records, labels, strict=True) if lab == 1)
    frame = next(f for f in iter_frames(samples / "multi/event.mp4") if f.index == target.frame_index)
    x0, y0, x1, y1 = (int(v) for v in target.box)
    pad = (x1 - x0) // 2
    ref = frame.image[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad]
    ref = cv2.resize(ref, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(tmp_path / "ref.png"), cv2.cvtColor(ref, cv2.COLOR_RGB2BGR))
    out = tmp_path / "kept"
    summary = extract(
        [samples / "multi/event.mp4"],
        out,
        quiet(upsample=1, keep=(str(tmp_path / "ref.png"),)),
        report=lambda _m: None,
    )
    kept = FaceSet.open(out).records()
    assert summary.faces_filtered > 0 and len(kept) > 20
    centre_target = embeddings[labels == 1].mean(axis=0)
    centre_other = embeddings[labels == 0].mean(axis=0)
    for r in kept:
        e = r.embedding_array()
        assert np.linalg.norm(e - centre_target) < np.linalg.norm(e - centre_other)


def test_identity_photos_split_into_two_people(samples, tmp_path):
    photos = sorted((samples / "identity").glob("*_[0-9].jpg"))
    extract(photos, tmp_path / "all", quiet(), report=lambda _m: None)
    made = sort_identity(tmp_path / "all", tmp_path / "people")
    assert len(made) == 2
    names = [
        sorted(r.source.rsplit("/", 1)[1].split("_")[0] for r in FaceSet.open(folder).records())
        for folder, _ in made
    ]
    assert names == [["obama"] * 3, ["biden"] * 2]


def test_embedding_of_record_matches_a_fresh_one(samples, tmp_path):
    extract([samples / "identity/obama_1.jpg"], tmp_path / "o", quiet(), report=lambda _m: None)
    record = FaceSet.open(tmp_path / "o").records()[0]
    image = read_image(samples / "identity/obama_1.jpg")
    assert np.linalg.norm(embed(image, record.landmarks_array()) - record.embedding_array()) < 1e-4


def test_running_again_appends_and_skips(samples, tmp_path):
    out = tmp_path / "set"
    inputs = [samples / "identity/obama_1.jpg", samples / "identity/biden_1.jpg"]
    extract(inputs[:1], out, quiet(), report=lambda _m: None)
    second = extract(inputs, out, quiet(), report=lambda _m: None)
    records = FaceSet.open(out).records()
    assert second.sources_skipped == 1 and second.faces_kept == 1
    assert len(records) == 2 and len({r.file for r in records}) == 2
    assert all((out / "faces" / r.file).is_file() for r in records)


def test_face_writer_reports_any_error_and_never_blocks(grid_s1_faceset, tmp_path):
    """Defect: the writer thread caught only OSError; any other error killed it, and ``put``
    and ``close`` then blocked forever on its full queue."""
    import threading

    from twoface.errors import TwofaceError
    from twoface.extract.faceset import FaceWriter
    from twoface.types import CropSpec

    source, _ = grid_s1_faceset
    record = source.records()[0]
    writer = FaceWriter(FaceSet.create(tmp_path / "set", CropSpec(64, STORE_SPEC.margin)), max_queue=2)
    errors: list[str] = []

    def feed() -> None:
        try:
            for _ in range(20):  # ten times the queue: a dead writer would block here
                writer.put(record, np.zeros((8, 8, 2), np.uint8))  # two channels: cv2.error, not OSError
        except TwofaceError as exc:
            errors.append(str(exc))
        try:
            writer.close()
        except TwofaceError as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the writer blocked"
    assert errors and all("cannot save faces" in e for e in errors) and writer.written == 0
