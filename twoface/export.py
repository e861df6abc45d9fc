"""Export a trained model to ONNX: a DeepFaceLive / FaceFusion ``.dfm`` or a plain ``.onnx``.

``.dfm`` follows the contract DeepFaceLive's ``DFMModel`` checks when it loads a file:

- input 0 named ``in_face:0``: ``(N, H, W, 3)`` float32 in [0, 1], **BGR**, ``H = W`` the
  model's input size (static; N dynamic);
- optional input 1 named ``morph_value:0`` (``(1,)`` float32), only with ``morph=True``: the
  drawn face is ``m * B + (1 - m) * A`` (both decoders on the same code);
- outputs, in this order: the input face's mask ``(N, O, O, 1)``, the swapped face
  ``(N, O, O, 3)`` BGR in [0, 1], the swapped face's mask ``(N, O, O, 1)``; ``O`` the model's
  output size (DeepFaceLive resizes all three to its crop).

A model that learned a mask gives decoder A's mask (of the input face) and decoder B's (of the
swap); without one, both masks are the model's face-type mask (``extended`` for ``face``,
``whole`` for ``whole``) drawn on the mean face in the crop: the landmark-mask convention
convert uses, fixed because the crop is aligned. B's refiner, when the model has one, is part
of the swapped face.

``.onnx`` (plain, both directions): input ``face`` ``(N, 3, S, S)`` float32 RGB in [0, 1]; outputs
``as_b`` and ``as_a`` ``(N, C, O, O)`` (C = 3, or 4 with the learned mask as channel 3).

The crop is twoface's (see ``README.md``, "Export", for the matching DeepFaceLive aligner
settings). Model files never run code when loaded; ONNX graphs do not either.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from twoface import __version__
from twoface.convert.swap import SwapModel, load_model
from twoface.errors import TwofaceError
from twoface.extract.align import mean_face
from twoface.facetypes import FACE_TYPES
from twoface.geometry import transform_points, unit_to_crop
from twoface.masks import MASKS
from twoface.models.refiner import finish

OPSET = 17
EXPORT_SUFFIXES = (".dfm", ".onnx")


def mean_face_mask(swap: SwapModel) -> np.ndarray:
    """The face type's landmark mask drawn on the mean face in the model's output crop,
    float32 ``(O, O)`` in [0, 1]."""
    out = swap.out_spec
    points = transform_points(unit_to_crop(out.size, out.margin), mean_face())
    return MASKS[FACE_TYPES[swap.face_type].mask](points, (out.size, out.size)).astype(np.float32)


class DfmGraph(nn.Module):
    """The ``.dfm`` computation: NHWC BGR in, (face mask, swapped face, swapped-face mask) out."""

    def __init__(self, swap: SwapModel, morph: bool) -> None:
        super().__init__()
        self.model, self.refiner, self.morph = swap.model, swap.refiner, morph
        self.register_buffer("mask", torch.from_numpy(mean_face_mask(swap))[None, None])

    def forward(self, face: torch.Tensor, *morph_value: torch.Tensor):
        x = face[..., [2, 1, 0]].permute(0, 3, 1, 2).contiguous()  # NHWC BGR -> NCHW RGB
        code = self.model.encoder(x)
        drawn_b = finish(self.model.decoder("b")(code), self.refiner, True)
        rgb_b = drawn_b[:, :3]
        needs_a = self.morph or self.model.arch.mask  # decoder A runs once, for both
        drawn_a = finish(self.model.decoder("a")(code), self.refiner, False) if needs_a else None
        if self.morph:
            m = morph_value[0].reshape(1, 1, 1, 1)
            rgb_b = m * rgb_b + (1 - m) * drawn_a[:, :3]
        if self.model.arch.mask:
            mask_a = drawn_a[:, 3:4]
            mask_b = drawn_b[:, 3:4]
        else:
            mask_a = mask_b = self.mask.expand(x.shape[0], 1, -1, -1)
        bgr = rgb_b.clamp(0, 1)[:, [2, 1, 0]]
        nhwc = [t.permute(0, 2, 3, 1) for t in (mask_a.clamp(0, 1), bgr, mask_b.clamp(0, 1))]
        return tuple(nhwc)


class PlainGraph(nn.Module):
    """Both directions from one NCHW RGB input: (as_b, as_a)."""

    def __init__(self, swap: SwapModel) -> None:
        super().__init__()
        self.model, self.refiner = swap.model, swap.refiner

    def forward(self, face: torch.Tensor):
        code = self.model.encoder(face)
        as_b = finish(self.model.decoder("b")(code), self.refiner, True)
        as_a = finish(self.model.decoder("a")(code), self.refiner, False)
        return as_b.clamp(0, 1), as_a.clamp(0, 1)


def export(model_dir: str | Path, output: str | Path, morph: bool = False, report=print) -> Path:
    """Write ``output`` (``.dfm`` or ``.onnx``, by suffix) from the model folder ``model_dir``.
    The file is written next to its final name and renamed when complete."""
    output = Path(output)
    if output.suffix.lower() not in EXPORT_SUFFIXES:
        raise TwofaceError(output, f"cannot export to {output.suffix or 'no suffix'}; use .dfm or .onnx")
    return write_export(load_model(model_dir, "cpu", report), output, morph)


def write_export(swap: SwapModel, output: Path, morph: bool = False) -> Path:
    """Write the graph of a loaded CPU model ``swap`` to ``output`` (``.dfm`` or ``.onnx``)."""
    size = swap.spec.size
    if output.suffix.lower() == ".dfm":
        graph, names = DfmGraph(swap, morph), (["in_face:0", *(["morph_value:0"] if morph else [])])
        args = (torch.rand(1, size, size, 3), *((torch.full((1,), 0.5),) if morph else ()))
        outputs = ["out_face_mask:0", "out_celeb_face:0", "out_celeb_face_mask:0"]
    else:
        graph, names, args, outputs = (
            PlainGraph(swap),
            ["face"],
            (torch.rand(1, 3, size, size),),
            ["as_b", "as_a"],
        )
    partial = output.with_name(output.name + ".partial")
    try:
        _write_onnx(graph.eval(), args, partial, names, outputs)
        _add_metadata(partial, swap, output.suffix.lower())
        partial.replace(output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise TwofaceError(output, f"cannot write ({exc.strerror or exc})") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return output


def onnx_session(swap: SwapModel):
    """An onnxruntime CPU session of ``swap``'s plain graph (built in memory), for convert's
    and live's onnxruntime backend; TwofaceError when onnxruntime is not installed."""
    import io

    try:
        import onnxruntime as ort
    except ImportError:
        raise TwofaceError("onnxruntime", "not installed: pip install onnxruntime") from None
    buffer = io.BytesIO()
    size = swap.spec.size
    _write_onnx(PlainGraph(swap).eval(), (torch.rand(1, 3, size, size),), buffer, ["face"], ["as_b", "as_a"])
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    return ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])


def _write_onnx(graph: nn.Module, args: tuple, path, inputs: list[str], outputs: list[str]) -> None:
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            graph,
            args,
            path if not isinstance(path, Path) else str(path),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes={inputs[0]: {0: "N"}},
            opset_version=OPSET,
            dynamo=False,
        )


def _add_metadata(path: Path, swap: SwapModel, kind: str) -> None:
    """Record what the graph is (twoface, model, step, crop, channel order) in its metadata."""
    import onnx

    proto = onnx.load(str(path))
    meta = {
        "generator": f"twoface {__version__}",
        "synthetic": "outputs of this model are synthetic faces; label them as such",
        "model": swap.name,
        "step": str(swap.step),
        "face_type": swap.face_type,
        "crop_margin": f"{swap.spec.margin:g}",
        "input_size": str(swap.spec.size),
        "output_size": str(swap.out_spec.size),
        "channels": "BGR NHWC" if kind == ".dfm" else "RGB NCHW",
    }
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = f"twoface.{key}", value
    out, channels = swap.out_spec.size, 4 if swap.has_mask else 3
    shapes = (
        [("N", out, out, 1), ("N", out, out, 3), ("N", out, out, 1)]
        if kind == ".dfm"
        else [("N", channels, out, out)] * 2
    )
    for value_info, shape in zip(proto.graph.output, shapes, strict=True):
        _set_shape(value_info, shape)
    onnx.save(proto, str(path))


def _set_shape(value_info, shape: tuple) -> None:
    """State an output's shape (the exporter leaves inferred dims symbolic): N dynamic."""
    dims = value_info.type.tensor_type.shape.dim
    for dim, size in zip(dims, shape, strict=True):
        if isinstance(size, str):
            dim.dim_param = size
        else:
            dim.dim_value = size
