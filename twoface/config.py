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
    crop_size: int = 512  # largest stored crop; each face is kept at its own resolution up to this
    progress: bool = True


@dataclass(frozen=True)
class TrainConfig:
    """Settings of ``twoface train``. ``iterations`` is the total step count to reach (a resumed
    run stops there); ``minutes`` is this run's budget; ``batch`` is per side (A and B).

    With a budget (``minutes`` or ``iterations``) the learning rate follows ``schedule`` over
    it (linear warm-up, then cosine down to a tenth), and the last ``sharpen`` of it trains
    without the random warp (DeepFaceLab's sharpening phase). Without a budget (Ctrl-C stops)
    the rate stays constant and the warp on. ``snapshots``: minutes of this run at which the
    model folder is copied to ``<model_dir>/snapshots/<M>min`` (curves from one run)."""

    def __post_init__(self) -> None:
        from twoface.facetypes import FACE_TYPES
        from twoface.train.schedule import SCHEDULES

        if self.face_type not in FACE_TYPES:
            raise ValueError(f"unknown face type {self.face_type!r}; choose from {', '.join(FACE_TYPES)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose from {', '.join(SCHEDULES)}")
        if not (0 <= self.warmup < 1 and 0 <= self.sharpen < 1):
            raise ValueError("warmup and sharpen are fractions of the budget in [0, 1)")
        if self.batch < 1:
            raise ValueError(f"batch must be at least 1, not {self.batch}")

    model_dir: str
    faceset_a: str | None = None
    faceset_b: str | None = None
    model: str | None = None  # None: DEFAULT_MODEL (registry) when new, the stored one on resume
    mask: bool = False
    face_type: str = "face"  # twoface.facetypes.FACE_TYPES; a resumed model keeps its own
    iterations: int | None = None
    minutes: float | None = None
    batch: int = 8  # per side; on a CPU more, smaller steps learn faster (bench/README.md)
    lr: float | None = None  # None: the model's DEFAULT_LR (models/registry.py)
    loss: str = "ssim_l1"
    schedule: str = "cosine"  # twoface.train.schedule.SCHEDULES, over this run's budget
    warmup: float = 0.03  # fraction of the budget with the learning rate rising from 0
    sharpen: float = 0.2  # last fraction of the budget without the random warp (0: never)
    snapshots: tuple[float, ...] = ()  # minutes of this run at which to copy the model
    ema: bool = False  # keep a moving average of the weights (previews and convert use it)
    refiner: bool = False  # also train B's refiner (twoface.models.refiner); kept on resume
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
    mask: str = "auto"
    device: str = "auto"
