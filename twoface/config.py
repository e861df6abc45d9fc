"""Frozen settings for each stage; the CLI builds one and makes one library call with it."""

from __future__ import annotations

from dataclasses import dataclass, field

from twoface.convert.blend import BlendConfig


@dataclass(frozen=True)
class ExtractConfig:
    """Settings of ``twoface extract``.

    ``detect_side_video``/``detect_side_image``: frames are shrunk to at most this many px on
    the longer side for detection only (landmarks and crops use full resolution).
    ``smoothing``: One Euro ``(min_cutoff Hz, beta)`` for video landmarks, None for raw.
    ``embed_every``: frames between identity refreshes of a tracked face.
    """

    detector: str = "hog"
    upsample: int = 0
    min_size: float = 0.0
    every: int = 1
    detect_every: int = 5
    detect_side_video: int = 640
    detect_side_image: int = 1600
    smoothing: tuple[float, float] | None = (1.0, 4.0)
    embed_every: int = 50
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    threshold: float = 0.6
    crop_size: int = 256
    progress: bool = True


@dataclass(frozen=True)
class TrainConfig:
    """Settings of ``twoface train``. ``iterations`` is the total step count to reach (a resumed
    run stops there); ``minutes`` is this run's budget; ``batch`` is per side (A and B)."""

    model_dir: str
    faceset_a: str | None = None
    faceset_b: str | None = None
    model: str | None = None  # None: "lite" for a new model, the stored one on resume
    mask: bool = False
    iterations: int | None = None
    minutes: float | None = None
    batch: int = 16
    lr: float | None = None  # None: the model's DEFAULT_LR (models/registry.py)
    loss: str = "ssim_l1"
    device: str = "auto"
    save_every: int = 100
    timelapse: bool = False  # keep every save's preview in <model>/timelapse/
    init_from: str | None = None
    freeze_encoder: bool = False
    compile: bool = False
    seed: int = 0
    progress: bool = True


@dataclass(frozen=True)
class ConvertConfig:
    """Settings of ``twoface convert``.

    ``direction``: ``a2b`` puts B's face on A (decoder B), ``b2a`` the reverse. ``only``: reference
    photos; when given, only faces within ``threshold`` of one of them are swapped. Detection
    and tracking settings are those of :class:`ExtractConfig`. ``codec`` None: H.264 (VP9 for
    .webm); ``crf``/``preset`` are the encoder's. ``blend``: colour, mask and paste settings.
    """

    model_dir: str
    direction: str = "a2b"
    blend: BlendConfig = field(default_factory=BlendConfig)
    only: tuple[str, ...] = ()
    threshold: float = 0.6
    detector: str = "hog"
    upsample: int = 0
    detect_every: int = 5
    detect_side: int = 640
    smoothing: tuple[float, float] | None = (1.0, 4.0)
    embed_every: int = 50
    codec: str | None = None
    crf: int = 18
    preset: str = "medium"
    watermark: bool = False
    device: str = "auto"
    progress: bool = True


@dataclass(frozen=True)
class LiveConfig:
    """Settings of ``twoface live``. Exactly one of ``face`` (one-shot photo) and ``model_dir``.
    Source: ``source`` (a video file played at its own rate) or camera number ``camera``.
    ``window``: "auto" (a window when a display can show one), "on" or "off"; ``stream_port``:
    serve an MJPEG stream on 127.0.0.1 (None: only when no window). ``seconds``: stop after."""

    face: str | None = None
    model_dir: str | None = None
    camera: int = 0
    source: str | None = None
    record: str | None = None
    window: str = "auto"
    stream_port: int | None = None
    seconds: float | None = None
    detect_side: int = 320
    detect_every: int = 3
    smoothing: tuple[float, float] | None = (1.0, 4.0)
    colour: str = "reinhard"
    mask: str = "extended"
    device: str = "auto"
