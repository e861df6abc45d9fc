"""Export: the .dfm file meets the contract DeepFaceLive's DFMModel checks (input names, NHWC
shape, output order and shapes), and onnxruntime's outputs match PyTorch's within 1e-3, for a
model of every registered architecture and for a trained model on real faces."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")

from twoface.convert.swap import SwapModel, cut_face, load_model, run_model  # noqa: E402
from twoface.export import export, write_export  # noqa: E402
from twoface.extract.faceset import FaceSet  # noqa: E402
from twoface.facetypes import FACE_TYPES  # noqa: E402
from twoface.models.refiner import Refiner, RefinerConfig  # noqa: E402
from twoface.models.registry import MODELS, build  # noqa: E402
from twoface.types import CropSpec  # noqa: E402


def check_dfm_contract(path) -> tuple[ort.InferenceSession, int]:
    """What DeepFaceLive's DFMModel asks of a file on load and on convert(); returns the
    session and the input size."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = sess.get_inputs()
    assert 1 <= len(inputs) <= 2 and "in_face" in inputs[0].name and inputs[0].name == "in_face:0"
    if len(inputs) == 2:
        assert "morph_value" in inputs[1].name and inputs[1].name == "morph_value:0"
    h, w = inputs[0].shape[1:3]
    assert isinstance(h, int) and h == w and inputs[0].shape[3] == 3 and inputs[0].type == "tensor(float)"
    outputs = sess.get_outputs()
    assert len(outputs) == 3
    assert [o.shape[3] for o in outputs] == [1, 3, 1]
    return sess, h


def _swap_of(name: str) -> SwapModel:
    model = build(name).eval()
    arch = MODELS[name].arch
    return SwapModel(model, name, CropSpec(arch.size, FACE_TYPES["face"].margin), "cpu", "", 0, arch.out_size)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_architecture_exports_to_the_dfm_contract(name, tmp_path):
    swap = _swap_of(name)
    sess, size = check_dfm_contract(write_export(swap, tmp_path / f"{name}.dfm"))
    assert size == swap.spec.size
    faces = np.random.default_rng(0).integers(0, 256, (2, size, size, 3), dtype=np.uint8)
    bgr = np.ascontiguousarray(faces[..., ::-1].astype(np.float32) / 255)
    mask_a, got, mask_b = sess.run(None, {"in_face:0": bgr})
    out = swap.out_spec.size
    assert got.shape == (2, out, out, 3) and mask_a.shape == mask_b.shape == (2, out, out, 1)
    expected, _ = run_model(swap, faces)
    assert np.abs(got[..., ::-1] - expected).max() < 1e-3
    assert 0.0 < mask_a.mean() < 1.0  # the mean-face mask: the face, not the whole crop


@pytest.mark.parametrize("scale", [1, 2])
def test_a_model_with_a_refiner_exports_at_the_size_it_pastes(scale, tmp_path):
    """B's refiner is in the graph, and a 2x one's faces and masks come at twice the decoder's
    size (decoder A's enlarged to match), as convert draws them."""
    import torch

    refiner = Refiner(RefinerConfig(scale=scale)).eval()
    torch.nn.init.normal_(refiner.body[-2].weight, std=0.02)  # not the identity it starts as
    out = 128 * scale
    swap = SwapModel(build("lite128", mask=True).eval(), "lite128", CropSpec(64, 0.1), "cpu", "", 0, out)
    swap = replace(swap, refiner=refiner)
    sess, _ = check_dfm_contract(write_export(swap, tmp_path / "r.dfm", morph=True))
    faces = np.random.default_rng(1).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    bgr = np.ascontiguousarray(faces[..., ::-1].astype(np.float32) / 255)
    one = np.array([1.0], np.float32)
    mask_a, got, mask_b = sess.run(None, {"in_face:0": bgr, "morph_value:0": one})
    assert got.shape == (2, out, out, 3) and mask_a.shape == mask_b.shape == (2, out, out, 1)
    expected, expected_mask = run_model(swap, faces)
    assert np.abs(got[..., ::-1] - expected).max() < 1e-3
    assert np.abs(mask_b[..., 0] - expected_mask).max() < 1e-3


def test_trained_model_matches_pytorch_on_real_faces(tiny_model, grid_s1_faceset, tmp_path):
    faceset, _ = grid_s1_faceset
    swap = load_model(tiny_model, "cpu", report=lambda _l: None)
    from twoface.media.read import read_image

    faces = []
    for record in faceset.records()[:4]:
        frame = read_image(faceset.faces_dir / record.file)
        landmarks = _crop_landmarks(faceset, record)
        faces.append(cut_face(frame, landmarks, swap).input)
    faces = np.stack(faces)
    expected, _ = run_model(swap, faces)
    dfm = export(tiny_model, tmp_path / "m.dfm", report=lambda _l: None)
    sess, _ = check_dfm_contract(dfm)
    bgr = np.ascontiguousarray(faces[..., ::-1].astype(np.float32) / 255)
    _mask, got, _mask_b = sess.run(None, {"in_face:0": bgr})
    assert np.abs(got[..., ::-1] - expected).max() < 1e-3
    plain = ort.InferenceSession(str(export(tiny_model, tmp_path / "m.onnx", report=lambda _l: None)))
    as_b, as_a = plain.run(
        None, {"face": np.ascontiguousarray(faces.transpose(0, 3, 1, 2)).astype(np.float32) / 255}
    )
    assert np.abs(as_b[:, :3].transpose(0, 2, 3, 1) - expected).max() < 1e-3
    assert as_a.shape == as_b.shape


def _crop_landmarks(faceset: FaceSet, record) -> np.ndarray:
    from twoface.geometry import transform_points

    return transform_points(np.array(record.crop_from_frame), record.landmarks_array())


def test_morph_input_blends_the_decoders(tiny_model, tmp_path):
    """With ``--morph`` the file has DeepFaceLive's second input; 1.0 gives B's face."""
    sess, size = check_dfm_contract(
        export(tiny_model, tmp_path / "m.dfm", morph=True, report=lambda _l: None)
    )
    assert [i.name for i in sess.get_inputs()] == ["in_face:0", "morph_value:0"]
    plain = ort.InferenceSession(str(export(tiny_model, tmp_path / "m.onnx", report=lambda _l: None)))
    x = np.random.default_rng(1).random((1, size, size, 3), dtype=np.float32)
    as_b, as_a = plain.run(None, {"face": np.ascontiguousarray(x.transpose(0, 3, 1, 2))})
    for m, expected in ((1.0, as_b), (0.0, as_a)):
        face = sess.run(
            None, {"in_face:0": np.ascontiguousarray(x[..., ::-1]), "morph_value:0": np.float32([m])}
        )[1]
        assert np.abs(face[..., ::-1] - expected[:, :3].transpose(0, 2, 3, 1)).max() < 1e-3


def test_export_cli_refuses_bad_suffix_and_missing_model(tiny_model, tmp_path, capsys):
    from twoface.cli import main

    assert main(["export", "-m", str(tiny_model), "-o", str(tmp_path / "m.pt")]) == 1
    assert "m.pt: cannot export to .pt; use .dfm or .onnx" in capsys.readouterr().err
    assert main(["export", "-m", str(tmp_path / "none"), "-o", str(tmp_path / "m.dfm")]) == 1
    assert not (tmp_path / "m.dfm").exists()
    assert main(["export", "-m", str(tiny_model), "-o", str(tmp_path / "ok.dfm")]) == 0
    assert (tmp_path / "ok.dfm").exists() and not list(tmp_path.glob("*.partial"))
