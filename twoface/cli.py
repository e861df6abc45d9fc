"""Command line: ``twoface SUBCOMMAND ...``. Each subcommand turns its flags into a config
dataclass and makes one library call. Problems print one line ``twoface: <file>: <problem>``
and exit non-zero; Ctrl-C exits 130 with everything already saved kept."""

from __future__ import annotations

import argparse
import sys
from dataclasses import MISSING, fields
from pathlib import Path

from tqdm import tqdm

from twoface import __version__
from twoface.config import (
    BACKENDS,
    DIRECTIONS,
    PRECISIONS,
    ConvertConfig,
    DetectConfig,
    ExtractConfig,
    LiveConfig,
    MediaConfig,
    OneShotConfig,
    TrainConfig,
)
from twoface.convert.blend import BlendConfig
from twoface.convert.colour import COLOURS
from twoface.errors import ConfigError, TwofaceError
from twoface.media.provenance import LABEL_PLACES
from twoface.models.registry import DEFAULT_MODEL, MODELS

LOSS_NAMES = ("ssim_l1", "l1", "mse")  # twoface.train.losses.LOSSES (no torch import here)


def _report(line: str) -> None:
    tqdm.write(f"twoface: {line}", file=sys.stderr)


def _smoothing(text: str) -> tuple[float, float] | None:
    """``"1.0,4.0"`` -> ``(1.0, 4.0)``; ``"off"`` -> None."""
    if text == "off":
        return None
    try:
        cutoff, beta = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'min_cutoff,beta' or off, not {text!r}") from None
    return (cutoff, beta)


def _default(cls, name: str):
    """The default of field ``name`` of the config dataclass ``cls`` (the CLI's default too)."""
    f = {f.name: f for f in fields(cls)}[name]
    return f.default_factory() if f.default is MISSING else f.default


def _build(cls, args, **given):
    """``cls`` from the parsed flags whose names match its fields, plus ``given``."""
    names = {f.name for f in fields(cls)} - set(given)
    return cls(**{k: v for k, v in vars(args).items() if k in names}, **given)


def _detect_args(p, defaults: DetectConfig | None = None) -> None:
    """Detection and tracking flags; defaults from ``defaults`` (a DetectConfig)."""
    from twoface.extract.detect import DETECTORS

    d = defaults or DetectConfig()
    p.add_argument("--detector", default=d.detector, choices=list(DETECTORS), help=f"(default {d.detector})")
    p.add_argument(
        "--upsample", type=int, default=d.upsample, help="upsample before detecting, small faces (0-2)"
    )
    p.add_argument(
        "--min-size", type=float, default=d.min_size, help="ignore faces smaller than this many px"
    )
    p.add_argument(
        "--detect-size",
        type=int,
        default=d.detect_size,
        help=f"longest side of video frames for detection ({d.detect_size})",
    )
    p.add_argument(
        "--detect-every",
        type=int,
        default=d.detect_every,
        help=f"re-detect every N frames, track between ({d.detect_every})",
    )
    p.add_argument(
        "--smoothing",
        type=_smoothing,
        default=d.smoothing,
        help="One Euro 'min_cutoff,beta' for video landmarks, or off (default 1.0,4.0)",
    )
    p.add_argument(
        "--embed-every", type=int, default=d.embed_every, help="frames between identity refreshes of a track"
    )


def _detect(args) -> DetectConfig:
    return _build(DetectConfig, args)


def _blend_args(p, full: bool = True) -> None:
    """Colour (and with ``full`` mask, erode, feather, sharpen) and seamless flags."""
    p.add_argument("--colour", default=_default(BlendConfig, "colour"), choices=list(COLOURS))
    p.add_argument("--seamless", action="store_true", help="Poisson blending (OpenCV seamlessClone)")
    if not full:
        return
    p.add_argument(
        "--mask",
        default=_default(BlendConfig, "mask"),
        help="auto (the model's face type: extended, or whole), components, extended, whole, hull, "
        "learned, or an intersection a+b",
    )
    p.add_argument(
        "--erode", type=int, help="shrink the mask by this many px (negative grows; default 2%% of face)"
    )
    p.add_argument("--feather", type=int, help="soft edge width in px (default 8%% of the face size)")
    p.add_argument("--sharpen", type=float, default=0.0, help="unsharp-mask amount for the new face (0 off)")


def _blend(args):
    """The blending settings of convert, run and swap (flags a subcommand lacks keep defaults)."""
    return _build(BlendConfig, args)


def _media_args(p) -> None:
    """Flags of MediaConfig that convert and swap share: --only, encoding, watermark."""
    p.add_argument(
        "--only", nargs="+", default=(), metavar="REF", help="swap only faces matching these photos"
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=_default(MediaConfig, "threshold"),
        help="identity distance for --only",
    )
    p.add_argument("--codec", help="video encoder (default libx264; libx265, libvpx-vp9, ffv1, mpeg4 ...)")
    p.add_argument(
        "--crf", type=int, default=_default(MediaConfig, "crf"), help="x264/x265 quality, lower is better"
    )
    p.add_argument("--preset", default=_default(MediaConfig, "preset"), help="x264/x265 preset")
    p.add_argument("--watermark", action="store_true", help="also draw a visible SYNTHETIC label")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _media(cls, args, **given):
    """A MediaConfig subclass from the flags: blend and detection embedded, --quiet inverted;
    ``given`` wins over both."""
    parts = {"blend": _blend(args), "detect": _detect(args), "progress": not args.quiet}
    return _build(cls, args, **{**parts, **given})


def add_extract(sub) -> None:
    p = sub.add_parser("extract", help="detect, align and save faces from photos and videos")
    p.add_argument("inputs", nargs="+", help="image files, videos, or folders of them (searched recursively)")
    p.add_argument(
        "-o", "--output", required=True, type=Path, help="face set folder (created or appended to)"
    )
    _detect_args(p)
    p.add_argument(
        "--every", type=int, default=_default(ExtractConfig, "every"), help="use every Nth video frame"
    )
    p.add_argument(
        "--keep", nargs="+", default=(), metavar="REF", help="keep only faces matching these photos"
    )
    p.add_argument("--drop", nargs="+", default=(), metavar="REF", help="drop faces matching these photos")
    p.add_argument(
        "--threshold",
        type=float,
        default=_default(ExtractConfig, "threshold"),
        help="identity distance for a match",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_extract)


def extract_config(args) -> ExtractConfig:
    return _build(ExtractConfig, args, detect=_detect(args), progress=not args.quiet)


def run_extract(args) -> int:
    from twoface.extract.pipeline import extract

    summary = extract(args.inputs, args.output, extract_config(args), report=_report)
    print(f"{args.output}: {summary.line()}")
    if summary.interrupted:
        _report(
            f"{args.output}: interrupted; {summary.faces_kept} faces saved. Run the same command to continue."
        )
        return 130
    if summary.sources_read == 0 and summary.sources_skipped == 0:
        _report("nothing could be read from the inputs")
        return 1
    if summary.faces_kept == 0 and summary.sources_skipped == 0:
        _report(f"{args.output}: no faces extracted")
        return 1
    return 0


def add_sort(sub) -> None:
    p = sub.add_parser("sort", help="sort a face set by identity, blur, pose or similarity")
    p.add_argument("faceset", type=Path)
    from twoface.extract.sort import RANKERS

    p.add_argument("--by", required=True, choices=["identity", *RANKERS])
    p.add_argument("-o", "--output", type=Path, help="write here instead of sorting in place")
    p.add_argument("--drop-worst", help="drop the N worst faces ('10'), or a percentage ('10%%')")
    p.add_argument("--threshold", type=float, default=0.6, help="identity distance (by identity)")
    p.set_defaults(func=run_sort)


def run_sort(args) -> int:
    from twoface.extract.sort import sort_by, sort_identity

    if args.by == "identity":
        if args.output is None:
            raise TwofaceError(args.faceset, "--by identity needs -o FOLDER for the per-person face sets")
        for folder, count in sort_identity(args.faceset, args.output, args.threshold, _report):
            print(f"{folder}: {count} faces")
        return 0
    kept, dropped = sort_by(args.faceset, args.by, args.drop_worst, args.output, _report)
    where = args.output or args.faceset
    print(
        f"{where}: {kept} faces sorted by {args.by}"
        + (
            f", {dropped} moved to dropped/"
            if dropped and not args.output
            else f", {dropped} left out"
            if dropped
            else ""
        )
    )
    return 0


def _face_type_arg(p) -> None:
    from twoface.facetypes import DEFAULT_FACE_TYPE, FACE_TYPES

    p.add_argument(
        "--face-type",
        choices=list(FACE_TYPES),
        help=f"what is swapped: face (brows to chin) or whole (up to the hairline); default "
        f"{DEFAULT_FACE_TYPE}, a resume keeps its own",
    )


def _train_args(p) -> None:
    """Model and recipe flags of train and run; defaults from TrainConfig's fields."""
    from twoface.train.defaults import DEFAULT_GAN
    from twoface.train.schedule import SCHEDULES

    p.add_argument(
        "--model",
        choices=sorted(MODELS),
        help=f"architecture (default {DEFAULT_MODEL}; the stored one on resume): "
        + "; ".join(f"{k}: {v.summary}" for k, v in sorted(MODELS.items())),
    )
    _face_type_arg(p)
    p.add_argument("--iterations", type=int, help="total step count to reach")
    p.add_argument("--minutes", type=float, help="time budget of this run")
    p.add_argument("--batch", type=int, help="faces per side per step (default 8; a resume keeps its own)")
    p.add_argument(
        "--lr", type=float, help="Adam learning rate (default: the model's; a resume keeps its own)"
    )
    p.add_argument(
        "--loss",
        choices=list(LOSS_NAMES),
        help="reconstruction loss (default ssim_l1; a resume keeps its own)",
    )
    p.add_argument(
        "--schedule",
        default=_default(TrainConfig, "schedule"),
        choices=list(SCHEDULES),
        help="learning rate over the budget",
    )
    for name, text in (
        ("sharpen", "last fraction of the budget trained without the random warp (0 off)"),
        ("lr_dropout", "in the sharpening phase, the fraction of weight updates dropped each step (0 off)"),
        ("warp", "random warp strength: std of its control-point offsets, a fraction of the crop"),
        ("gan_start", "fraction of the budget after which the discriminator joins"),
        ("gan_ssim", "and only once B's faces are rebuilt to this SSIM (0: no wait)"),
    ):
        flag = f"--{name.replace('_', '-')}"
        p.add_argument(flag, type=float, default=_default(TrainConfig, name), help=text)
    p.add_argument(
        "--gan",
        type=float,
        help=f"weight of B's patch discriminator, for texture (default {DEFAULT_GAN:g}, 0 off; "
        "a resume keeps its own)",
    )
    p.add_argument("--init-from", help="start from this model folder's weights (transfer learning)")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    p.add_argument(
        "--precision",
        default=_default(TrainConfig, "precision"),
        choices=PRECISIONS,
        help="auto: bfloat16 on CUDA and on CPUs that compute it natively, else fp32",
    )


def add_train(sub) -> None:
    p = sub.add_parser("train", help="train (or resume) a shared-encoder, two-decoder model")
    p.add_argument("-A", dest="faceset_a", help="face set of person A (whose faces get replaced)")
    p.add_argument("-B", dest="faceset_b", help="face set of person B (whose face is put on A)")
    p.add_argument("-m", "--model-dir", required=True, help="model folder (created, or resumed)")
    _train_args(p)
    p.add_argument("--mask", action="store_true", help="also learn a face mask (4th channel)")
    p.add_argument(
        "--save-every", type=int, default=_default(TrainConfig, "save_every"), help="steps between saves"
    )
    p.add_argument("--ema", action="store_true", help="keep a moving average of the weights; convert uses it")
    p.add_argument(
        "--refiner",
        type=int,
        nargs="?",
        const=2,
        default=0,
        choices=(1, 2),
        help="also train B's refiner from B's own crops; 2 (the default) draws faces at twice the size",
    )
    p.add_argument("--timelapse", action="store_true", help="keep each save's preview in MODEL/timelapse/")
    p.add_argument("--freeze-encoder", action="store_true", help="train the decoders only")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)


def train_config(args) -> TrainConfig:
    return _build(TrainConfig, args, progress=not args.quiet)


def run_train(args) -> int:
    from twoface.train.loop import train

    cfg = train_config(args)
    if cfg.iterations is None and cfg.minutes is None:
        _report("no --iterations or --minutes given: training until Ctrl-C")
    result = train(cfg, report=_report)
    print(f"{args.model_dir}: step {result.step}, loss A {result.loss_a:.4f}, loss B {result.loss_b:.4f}")
    return 130 if result.interrupted else 0


def add_convert(sub) -> None:
    p = sub.add_parser("convert", help="swap faces in photos and videos with a trained model")
    p.add_argument("inputs", nargs="+", help="image files, videos, or folders of them")
    p.add_argument("-m", "--model-dir", required=True, help="model folder written by twoface train")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="output file (one input), folder (several), or frames pattern such as out/%%06d.png",
    )
    p.add_argument(
        "--direction", default=DIRECTIONS[0], choices=list(DIRECTIONS), help="a2b: B's face onto A (default)"
    )
    _blend_args(p)
    _detect_args(p)
    _media_args(p)
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    p.add_argument(
        "--backend",
        default="auto",
        choices=list(BACKENDS),
        help="run the model with torch or onnxruntime (auto: onnxruntime for single faces on a CPU)",
    )
    p.set_defaults(func=run_convert)


def convert_config(args) -> ConvertConfig:
    return _media(ConvertConfig, args)


def run_convert(args) -> int:
    from twoface.convert.pipeline import convert

    summary = convert(args.inputs, args.output, convert_config(args), report=_report)
    print(summary.line())
    if summary.interrupted:
        return 130
    return 1 if summary.problems and not summary.outputs else 0


def add_run(sub) -> None:
    p = sub.add_parser("run", help="extract, train and convert in one go: A's video with B's face")
    p.add_argument("a", help="video, photo or folder of person A (whose face is replaced)")
    p.add_argument("b", help="video, photo or folder of person B (the face put on A)")
    p.add_argument("-o", "--output", required=True, type=Path, help="the swapped video (or folder)")
    p.add_argument("--work", help="folder for face sets and model (default: <output stem>_work)")
    _train_args(p)
    _detect_args(p)  # the same detection for extract and convert
    _blend_args(p, full=False)
    p.add_argument(
        "--mask", default=_default(BlendConfig, "mask"), help="convert's mask (see convert --help)"
    )
    p.add_argument("--crf", type=int, default=_default(MediaConfig, "crf"), help="x264 quality")
    p.add_argument("--watermark", action="store_true", help="also draw a visible SYNTHETIC label")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run_run)


def run_configs(args) -> tuple[ExtractConfig, TrainConfig, ConvertConfig]:
    """The three stages' settings of ``twoface run``: one DetectConfig for extract and convert
    (faces found at training time are found again at convert time)."""
    quiet = {"progress": not args.quiet}
    detect = _detect(args)
    return (
        _build(ExtractConfig, args, detect=detect, **quiet),
        _build(TrainConfig, args, model_dir="", mask=False, **quiet),  # --mask is convert's here
        _media(
            ConvertConfig, args, model_dir="", detect=detect, blend=_build(BlendConfig, args, sharpen=0.0)
        ),
    )


def run_run(args) -> int:
    from twoface.run import run

    if args.minutes is None and args.iterations is None:
        raise TwofaceError(args.output, "give a training budget: --minutes M or --iterations N")
    result = run([args.a], [args.b], args.output, args.work, *run_configs(args), report=_report)
    model = result.work / "model"
    print(f"{args.output}: {result.convert.line()}; model at step {result.train.step} in {model}")
    if result.train.interrupted or result.convert.interrupted:
        return 130
    return 0 if result.convert.outputs else 1


def add_swap(sub) -> None:
    p = sub.add_parser(
        "swap", help="one-shot swap: put the face of one photo on photos or videos, no training"
    )
    p.add_argument("inputs", nargs="+", help="image files, videos, or folders of them")
    p.add_argument("--face", required=True, help="photo of the face to put on (its largest face is used)")
    p.add_argument("-o", "--output", required=True, type=Path, help="output file, folder, or frames pattern")
    _blend_args(p, full=False)
    _detect_args(p)
    _media_args(p)
    p.set_defaults(func=run_swap)


def swap_config(args) -> OneShotConfig:
    return _media(OneShotConfig, args)


def run_swap(args) -> int:
    from twoface.oneshot import swap_one_shot

    summary = swap_one_shot(args.face, args.inputs, args.output, swap_config(args), report=_report)
    print(summary.line())
    if summary.interrupted:
        return 130
    return 1 if summary.problems and not summary.outputs else 0


def add_live(sub) -> None:
    p = sub.add_parser("live", help="real-time swap from a camera (or a video file standing in for one)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--face", help="one-shot: photo of the face to put on (no training)")
    who.add_argument("-m", "--model-dir", help="a trained model folder (A's faces become B)")
    p.add_argument("--camera", type=int, default=0, help="camera number (default 0)")
    p.add_argument("--source", help="play this video file as the camera, at its own frame rate")
    p.add_argument("--record", help="also write the swapped stream to this video file")
    p.add_argument("--window", default="auto", choices=["auto", "on", "off"], help="preview window")
    p.add_argument(
        "--stream",
        dest="stream_port",
        type=int,
        nargs="?",
        const=8765,
        metavar="PORT",
        help="serve an MJPEG stream on 127.0.0.1 (default port 8765; automatic when no window)",
    )
    p.add_argument("--seconds", type=float, help="stop after this many seconds")
    p.add_argument(
        "--virtual-camera",
        action="store_true",
        help="also send the stream to a virtual camera for video calls",
    )
    p.add_argument(
        "--label-at",
        choices=list(LABEL_PLACES),
        help="where the SYNTHETIC label goes (default: banner with --virtual-camera, else bottom-left); "
        "it cannot be removed",
    )
    _detect_args(p, _default(LiveConfig, "detect"))
    p.add_argument("--colour", default=_default(LiveConfig, "colour"), choices=list(COLOURS))
    p.add_argument("--mask", default=_default(LiveConfig, "mask"), help="with -m: as convert's --mask")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    p.add_argument(
        "--backend",
        default="auto",
        choices=list(BACKENDS),
        help="run the model with torch or onnxruntime (auto: onnxruntime for single faces on a CPU)",
    )
    p.set_defaults(func=run_live)


def live_config(args) -> LiveConfig:
    return _build(LiveConfig, args, detect=_detect(args))


def run_live(args) -> int:
    from twoface.live import live

    stats = live(live_config(args), report=_report)
    print(stats.line() + (f"; recorded {args.record}" if args.record else ""))
    return 0


def add_evaluate(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help="quality report of a model: identity transfer, sharpness against its ceiling, mouth "
        "correlation, flicker, SSIM (JSON), and a PNG sheet",
    )
    p.add_argument("-m", "--model-dir", required=True, help="model folder")
    p.add_argument(
        "-A", dest="faceset_a", help="faces of A to swap (default: the training set; held-out is fairer)"
    )
    p.add_argument("-B", dest="faceset_b", help="faces of B (default: the training set)")
    p.add_argument(
        "--limit", type=int, default=60, help="faces per person: the last N, in frame order (default 60)"
    )
    p.add_argument("--sheet", type=Path, help="PNG sheet: source, swap, rebuild (default MODEL/evaluate.png)")
    p.add_argument(
        "--both-ways", action="store_true", help="also swap B's faces to A: their transfer and mouth"
    )
    p.set_defaults(func=run_evaluate)


def run_evaluate(args) -> int:
    import json

    from twoface.evaluate import report

    sheet = args.sheet or Path(args.model_dir) / "evaluate.png"
    figures = report(args.model_dir, args.faceset_a, args.faceset_b, args.limit, sheet, args.both_ways)
    print(json.dumps(figures, indent=2))
    return 0


def add_inspect(sub) -> None:
    p = sub.add_parser("inspect", help="print the provenance record of an image or video")
    p.add_argument("files", nargs="+", type=Path)
    p.set_defaults(func=run_inspect)


def run_inspect(args) -> int:
    from twoface.media.provenance import read_provenance

    missing = 0
    for path in args.files:
        if not path.exists():
            raise TwofaceError(path, "no such file")
        try:
            record = read_provenance(path)
        except Exception as exc:  # any decoder error: one line, the file named
            raise TwofaceError(path, f"unreadable ({exc})") from None
        if record is None:
            print(f"{path}: no twoface provenance record")
        else:
            fields = ", ".join(f"{k}={v}" for k, v in sorted(record.items()) if k != "synthetic")
            print(f"{path}: SYNTHETIC ({fields})")
        lines, labelled = _extra_labels(path)
        for line in lines:
            print(f"  {line}")
        missing += record is None and not labelled
    return 0 if missing == 0 else 3


def _extra_labels(path: Path) -> tuple[list[str], bool]:
    """What the C2PA manifest and the invisible watermark say about ``path``, and whether
    either labels it as made by twoface."""
    from twoface.media.credentials import describe_found, read_credentials
    from twoface.media.watermark import check_file

    try:
        found = read_credentials(path)  # read once
        lines, signed = describe_found(found), found is not None and found.record is not None  # ours only
    except Exception as exc:  # a manifest the reader cannot parse is itself worth saying
        lines, signed = [f"C2PA: unreadable manifest ({exc})"], False
    verdict = check_file(path)
    return [*lines, verdict.line()], signed or verdict.found


def add_export(sub) -> None:
    p = sub.add_parser("export", help="write a model as a DeepFaceLive/FaceFusion .dfm or a plain .onnx")
    p.add_argument("-m", "--model-dir", required=True, help="trained model folder")
    p.add_argument("-o", "--output", required=True, type=Path, help="NAME.dfm or NAME.onnx")
    p.add_argument("--morph", action="store_true", help=".dfm: add DeepFaceLive's morph_value input")
    p.set_defaults(func=run_export)


def run_export(args) -> int:
    from twoface.export import export

    out = export(args.model_dir, args.output, args.morph, _report)
    print(f"{out}: exported {Path(args.model_dir).name}")
    return 0


def add_ui(sub) -> None:
    from twoface.ui.server import DEFAULT_WORKSPACE, UiConfig

    p = sub.add_parser("ui", help="the web UI: every stage in a browser (Gradio)")
    p.add_argument("--workspace", default=DEFAULT_WORKSPACE, help="folder for face sets, models, results")
    p.add_argument("--host", default=_default(UiConfig, "host"), help="address to bind (default local only)")
    p.add_argument("--port", type=int, default=_default(UiConfig, "port"))
    p.add_argument("--auth", help="USER:PASSWORD; required with a --host other than this machine")
    p.add_argument(
        "--max-upload-mb", type=int, default=_default(UiConfig, "max_upload_mb"), help="largest upload"
    )
    p.add_argument("--open-browser", action="store_true", help="open the page in a browser")
    p.set_defaults(func=run_ui)


def ui_config(args):
    from twoface.ui.server import UiConfig

    return _build(UiConfig, args)


def run_ui(args) -> int:
    from twoface.ui.server import launch

    cfg = ui_config(args)
    _report(f"ui: workspace {Path(cfg.workspace).expanduser()}; http://{cfg.host}:{cfg.port}/")
    launch(cfg, block=True, report=_report)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twoface", description="Consent-based face swapping. Every output is labelled synthetic."
    )
    parser.add_argument("--version", action="version", version=f"twoface {__version__}")
    parser.add_argument("--c2pa-cert", help="C2PA signing certificate chain (PEM; default: a local signer)")
    parser.add_argument("--c2pa-key", help="its private key (PEM)")
    sub = parser.add_subparsers(dest="command", required=True)
    add_extract(sub)
    add_sort(sub)
    add_train(sub)
    add_convert(sub)
    add_run(sub)
    add_swap(sub)
    add_live(sub)
    add_evaluate(sub)
    add_inspect(sub)
    add_export(sub)
    add_ui(sub)
    return parser


def _signing(args) -> None:
    """``--c2pa-cert``/``--c2pa-key`` reach every writer through the documented environment
    variables (twoface.media.credentials.resolve_signer reads them)."""
    import os

    pair = (args.c2pa_cert, "TWOFACE_C2PA_CERT"), (args.c2pa_key, "TWOFACE_C2PA_KEY")
    given = [flag for flag, _env in pair if flag]
    if len(given) == 1:  # said now, not at the first file written after minutes of work
        raise ConfigError("--c2pa-cert and --c2pa-key: give both or neither")
    for flag in given:
        if not Path(flag).expanduser().is_file():
            raise TwofaceError(flag, "no such certificate or key file")
    for flag, env in pair:
        if flag:
            os.environ[env] = flag


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _signing(args)
        return args.func(args)
    except ConfigError as exc:
        _report(str(exc))
        return 2
    except TwofaceError as exc:
        _report(str(exc))
        return 1
    except KeyboardInterrupt:
        _report("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
