"""twoface: consent-based face swapping. Extract, train, convert, live; outputs are labelled.

Public API (imported lazily so ``import twoface`` stays cheap)::

    from twoface import extract_faces, train, convert, swap_one_shot, load_model
"""

from __future__ import annotations

__version__ = "0.1.0"


def extract_faces(inputs, out, config=None, report=print):
    """Extract faces of ``inputs`` into the FaceSet folder ``out``; see
    :func:`twoface.extract.pipeline.extract`."""
    from twoface.config import ExtractConfig
    from twoface.extract.pipeline import extract

    return extract(inputs, out, config or ExtractConfig(), report)


def train(config, report=print):
    """Train or resume the model a :class:`~twoface.config.TrainConfig` names; see
    :func:`twoface.train.loop.train`."""
    from twoface.train.loop import train as run

    return run(config, report)


def convert(inputs, output, config, report=print):
    """Swap faces in images and videos with a trained model (:class:`~twoface.config.ConvertConfig`);
    see :func:`twoface.convert.pipeline.convert`."""
    from twoface.convert.pipeline import convert as run

    return run(inputs, output, config, report)


def swap_one_shot(face, inputs, output, config=None, report=print):
    """Put the face of the photo ``face`` on ``inputs`` without training; see
    :func:`twoface.oneshot.swap_one_shot`."""
    from twoface.config import OneShotConfig
    from twoface.oneshot import swap_one_shot as run

    return run(face, inputs, output, config or OneShotConfig(), report)


def load_model(folder, device="auto", report=print):
    """A trained model ready to swap faces; see :func:`twoface.convert.swap.load_model`."""
    from twoface.convert.swap import load_model as run

    return run(folder, device, report)
