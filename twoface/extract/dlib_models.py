"""Where the face models shipped by the ``face_recognition_models`` package live.

That package's ``__init__`` imports ``pkg_resources``, which newer setuptools no longer ship,
so the folder is found with :func:`importlib.util.find_spec` and never imported. Nothing is
downloaded: the models are installed with the package (licences in the README).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from twoface.errors import TwofaceError

FILES = {
    "hog": None,  # built into dlib
    "cnn": "mmod_human_face_detector.dat",
    "landmarks68": "shape_predictor_68_face_landmarks.dat",
    "identity": "dlib_face_recognition_resnet_model_v1.dat",
}


def models_dir() -> Path:
    """The ``models/`` folder of the installed ``face_recognition_models`` package."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise TwofaceError(
            "face_recognition_models", "package not installed (pip install face_recognition_models)"
        )
    return Path(spec.origin).parent / "models"


def model_path(name: str) -> Path:
    """Path of one shipped model file by its short name (see ``FILES``)."""
    path = models_dir() / FILES[name]
    if not path.is_file():
        raise TwofaceError(path, "model file missing; reinstall face_recognition_models")
    return path


@cache
def shape_predictor():
    """dlib's 68-point shape predictor (loaded once per process; read-only, thread-safe)."""
    import dlib

    return dlib.shape_predictor(str(model_path("landmarks68")))


@cache
def face_recognizer():
    """dlib's ResNet identity model giving 128-d embeddings."""
    import dlib

    return dlib.face_recognition_model_v1(str(model_path("identity")))
