"""Frozen settings for each stage; the CLI builds one and makes one library call with it."""

from __future__ import annotations

from dataclasses import dataclass, field

from twoface.convert.blend import BlendConfig
from twoface.errors import ConfigError


@dataclass(frozen=True)
class DetectConfig:
    """How faces are found and followed in frames; extract, convert, swap and live embed one.

    ``detector``: a name in :data:`twoface.extract.detect.DETECTORS`. ``upsample``: how often
    the detection copy is doubled, for small faces (0-2). ``detect_size`` / ``image_detect_size``:
    video frames / photos are shrunk to at most this many px on the longer side for detection
    only (landmarks and crops use full resolution). ``min_size``: faces narrower than this (px)
    are ignored. ``detect_every``: video frames between detections, tracked in between.
    ``smoothing``: One Euro ``(min_cutoff Hz, beta)`` for video landmarks, None for raw.
    ``embed_every``: frames between identity refreshes of a tracked face.
    """

    detector: str = "hog"
    upsample: int = 0
    detect_size: int = 640
    image_detect_size: int = 1600
    min_size: float = 0.0
    detect_every: int = 5
    smoothing: tuple[float, float] | None = (1.0, 4.0)
    embed_every: int = 50

    def __post_init__(self) -> None:
        from twoface.extract.detect import DETECTORS

        if self.detector not in DETECTORS:
            raise ConfigError(f"unknown detector {self.detector!r}; choose from {', '.join(DETECTORS)}")
        if not 0 <= self.upsample <= 2:
            raise ConfigError(f"upsample must be 0, 1 or 2, not {self.upsample}")
        if min(self.detect_size, self.image_detect_size) < 64:
            raise ConfigError("detection sizes must be at least 64 px")
        if self.detect_every < 1 or self.embed_every < 1 or self.min_size < 0:
            raise ConfigError("detect_every and embed_every must be at least 1, min_size at least 0")
        if self.smoothing is not None and (len(self.smoothing) != 2 or min(self.smoothing) <= 0):
            raise ConfigError(f"smoothing is two positive numbers 'min_cutoff,beta', not {self.smoothing}")


def _check_threshold(threshold: float) -> None:
    if not 0 < threshold <= 2:
        raise ConfigError(f"an identity distance threshold is in (0, 2], not {threshold}")


@dataclass(frozen=True)
class ExtractConfig:
    """Settings of ``twoface extract``. ``every``: use every Nth video frame. ``keep`` /
    ``drop``: reference photos of people to keep / leave out (within ``threshold``).
    ``crop_size``: the largest stored crop; each face is kept at its own resolution up to it."""

    detect: DetectConfig = field(default_factory=DetectConfig)
    every: int = 1
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    threshold: float = 0.6
    crop_size: int = 512
    progress: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "keep", tuple(self.keep))
        object.__setattr__(self, "drop", tuple(self.drop))
        if self.every < 1:
            raise ConfigError(f"every must be at least 1, not {self.every}")
        if not 64 <= self.crop_size <= 1024 or self.crop_size % 8:
            raise ConfigError(f"crop_size is a multiple of 8 in 64..1024, not {self.crop_size}")
        _check_threshold(self.threshold)


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
        from twoface.models.registry import MODELS
        from twoface.train.losses import LOSSES
        from twoface.train.schedule import SCHEDULES

        if self.face_type is not None and self.face_type not in FACE_TYPES:
            raise ConfigError(f"unknown face type {self.face_type!r}; choose from {', '.join(FACE_TYPES)}")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"unknown schedule {self.schedule!r}; choose from {', '.join(SCHEDULES)}")
        if not (0 <= self.warmup < 1 and 0 <= self.sharpen < 1):
            raise ConfigError("warmup and sharpen are fractions of the budget in [0, 1)")
        if not 0 <= self.lr_dropout < 1:
            raise ConfigError(f"lr_dropout is a fraction of the updates in [0, 1), not {self.lr_dropout}")
        if not 0 <= self.warp <= 0.2:
            raise ConfigError(f"warp is a fraction of the crop in [0, 0.2], not {self.warp}")
        if self.batch is not None and self.batch < 1:
            raise ConfigError(f"batch must be at least 1, not {self.batch}")
        if self.model is not None and self.model not in MODELS:
            raise ConfigError(f"unknown model {self.model!r}; choose from {', '.join(sorted(MODELS))}")
        if self.loss is not None and self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; choose from {', '.join(LOSSES)}")
        if (self.iterations is not None and self.iterations < 0) or (
            self.minutes is not None and self.minutes <= 0
        ):
            raise ConfigError("iterations must be at least 0 and minutes positive")
        if self.precision not in PRECISIONS:  # module-level tuple below
            raise ConfigError(f"unknown precision {self.precision!r}; choose from {', '.join(PRECISIONS)}")
        if self.refiner not in (0, 1, 2):
            raise ConfigError(f"refiner is 0 (none), 1 or 2 (its scale), not {self.refiner!r}")
        if (self.gan or 0) < 0 or not 0 <= self.gan_start <= 1 or self.gan_min_steps < 0:
            raise ConfigError("gan is a weight >= 0 and gan_start a fraction of the budget in [0, 1]")
        if not 0 <= self.gan_ssim < 1:
            raise ConfigError(f"gan_ssim is an SSIM in [0, 1), not {self.gan_ssim}")

    model_dir: str
    faceset_a: str | None = None
    faceset_b: str | None = None
    model: str | None = None  # None: DEFAULT_MODEL (registry) when new, the stored one on resume
    mask: bool = False  # a 4th output channel: fixed when the model is made
    face_type: str | None = None  # twoface.facetypes.FACE_TYPES; None: "face"; fixed when made
    iterations: int | None = None
    minutes: float | None = None
    # batch, lr and loss: None keeps a resumed model's own, else the model's default; given,
    # they apply to a resumed run too (and are recorded in model.json)
    batch: int | None = None  # per side; None: 8 (on a CPU more, smaller steps learn faster)
    lr: float | None = None  # None: the model's own (ModelSpec.lr, models/registry.py)
    loss: str | None = None  # None: ssim_l1
    schedule: str = "cosine"  # twoface.train.schedule.SCHEDULES, over this run's budget
    warmup: float = 0.03  # fraction of the budget with the learning rate rising from 0
    sharpen: float = 0.2  # last fraction of the budget without the random warp (0: never)
    warp: float = 0.025  # random warp: std of its control-point offsets, a fraction of the crop
    lr_dropout: float = 0.0  # in the sharpening phase, the fraction of weight updates dropped per step
    snapshots: tuple[float, ...] = ()  # minutes of this run at which to copy the model
    ema: bool = False  # keep a moving average of the weights (previews and convert use it)
    refiner: int = 0  # B's refiner's scale (twoface.models.refiner): 0 none, 1 same size, 2
    # twice the decoder's size; fixed when it is made, kept on resume (True reads as 1)
    gan: float | None = None  # B's patch discriminator's weight (twoface.train.gan); 0 off; None: the
    # resumed model's own, else the default (DEFAULT_GAN, twoface.train.loop)
    gan_start: float = 0.5  # fraction of the budget after which the discriminator joins
    gan_min_steps: int = 300  # and never before this step: earlier its texture is only noise
    gan_ssim: float = 0.9  # and only once decoder B rebuilds B's preview faces to this SSIM (0: no wait)
    device: str = "auto"
    precision: str = "auto"  # PRECISIONS; auto: bf16 on CUDA and on CPUs with native bf16
    save_every: int = 100
    timelapse: bool = False  # keep every save's preview in <model>/timelapse/
    init_from: str | None = None  # weights for a new model; a resumed one has its own (warned)
    freeze_encoder: bool = False
    compile: bool = False
    seed: int = 0
    progress: bool = True


DIRECTIONS = ("a2b", "b2a")
PRECISIONS = ("auto", "fp32", "bf16")  # of training (twoface.train.device.pick_precision)
BACKENDS = ("auto", "torch", "onnxruntime")  # how a trained model runs (twoface.convert.swap.use_backend)


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")


@dataclass(frozen=True, kw_only=True)
class MediaConfig:
    """What convert and one-shot share: how faces are found and pasted, and how the results
    are written. ``only``: reference photos; when given, only faces within ``threshold`` of one
    of them are swapped. ``codec`` None: H.264 (VP9 for .webm); ``crf``/``preset`` are the
    encoder's. ``watermark``: also draw a visible SYNTHETIC label."""

    blend: BlendConfig = field(default_factory=BlendConfig)
    detect: DetectConfig = field(default_factory=DetectConfig)
    only: tuple[str, ...] = ()
    threshold: float = 0.6
    codec: str | None = None
    crf: int = 18
    preset: str = "medium"
    watermark: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "only", tuple(self.only))
        _check_threshold(self.threshold)
        if not 0 <= self.crf <= 63:
            raise ConfigError(f"crf is in 0..63, not {self.crf}")


@dataclass(frozen=True, kw_only=True)
class ConvertConfig(MediaConfig):
    """Settings of ``twoface convert``: the trained model in ``model_dir``; ``direction``
    ``a2b`` puts B's face on A (decoder B), ``b2a`` the reverse."""

    model_dir: str
    direction: str = "a2b"
    device: str = "auto"
    backend: str = "auto"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_backend(self.backend)
        if self.direction not in DIRECTIONS:
            raise ConfigError(f"unknown direction {self.direction!r}; choose from {', '.join(DIRECTIONS)}")


@dataclass(frozen=True, kw_only=True)
class OneShotConfig(MediaConfig):
    """Settings of ``twoface swap``: the face of one photo, no model. Colour and seamless come
    from ``blend``; the mask is the photo's own face outline (:mod:`twoface.oneshot`)."""


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
    detect: DetectConfig = field(default_factory=lambda: DetectConfig(detect_size=320, detect_every=3))
    colour: str = "reinhard"
    mask: str = "auto"
    device: str = "auto"
    backend: str = "auto"
    virtual_camera: bool = False  # also send the stream to a virtual camera (pyvirtualcam)
    label_at: str | None = None  # where the SYNTHETIC label goes (LABEL_PLACES); None: banner with
    # a virtual camera, else bottom-left. It can move; it cannot be removed.

    def __post_init__(self) -> None:
        from twoface.media.provenance import LABEL_PLACES

        _check_backend(self.backend)
        if self.label_at is not None and self.label_at not in LABEL_PLACES:
            raise ConfigError(f"unknown label place {self.label_at!r}; choose from {', '.join(LABEL_PLACES)}")
        if (self.face is None) == (self.model_dir is None):
            raise ConfigError("give either --face PHOTO (one-shot) or -m MODEL")
        if self.window not in ("auto", "on", "off"):
            raise ConfigError(f"window is auto, on or off, not {self.window!r}")
        if self.seconds is not None and self.seconds <= 0:
            raise ConfigError(f"seconds must be positive, not {self.seconds}")
        BlendConfig(colour=self.colour, mask=self.mask)  # checks both names
