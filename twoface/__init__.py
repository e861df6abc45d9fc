"""twoface: consent-based face swapping. Extract, train, convert, live; outputs are labelled.

Public API (imported lazily so ``import twoface`` stays cheap)::

    from twoface import extract_faces
"""

from __future__ import annotations

__version__ = "0.1.0"


def extract_faces(inputs, out, config=None, report=print):
    """Extract faces of ``inputs`` into the FaceSet folder ``out``; see
    :func:`twoface.extract.pipeline.extract`."""
    from twoface.config import ExtractConfig
    from twoface.extract.pipeline import extract

    return extract(inputs, out, config or ExtractConfig(), report)
