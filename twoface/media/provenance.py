"""Provenance: every file twoface writes says that it is synthetic and how it was made.

The record is a small JSON object stored under the key ``twoface_provenance`` (PNG text chunk,
video container tag) or in the EXIF ImageDescription (JPEG, WebP), next to a plain-language
``comment`` (PNG text, JPEG/GIF comment, container comment) that any metadata viewer shows.
:func:`read_provenance` finds it again; ``twoface inspect`` prints it. Where the format carries
them, the writers also add the same facts as signed C2PA Content Credentials
(:mod:`twoface.media.credentials`); the record stays as it is in every format.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

from twoface import __version__
from twoface.media.read import IMAGE_EXTS

KEY = "twoface_provenance"
EXIF_DESCRIPTION = 0x010E
EXIF_SOFTWARE = 0x0131


def provenance(method: str, model: str | None = None, source: str | None = None) -> dict:
    """The record for one output: ``method`` says what was done (e.g. ``"autoencoder a2b"``)."""
    record = {
        "synthetic": True,
        "generator": f"twoface {__version__}",
        "method": method,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if model:
        record["model"] = model
    if source:
        record["source"] = Path(source).name
    return record


def comment(record: dict) -> str:
    """One plain sentence for viewers that show only a comment field."""
    made = f"{record['generator']}, {record['method']}" + (
        f", model {record['model']}" if "model" in record else ""
    )
    return f"SYNTHETIC MEDIA: faces in this file were altered ({made})."


def container_tags(record: dict) -> dict[str, str]:
    """Container metadata for a video: the JSON record under its own key, and the comment with
    the record appended (AVI keeps only standard keys such as the comment)."""
    text = json.dumps(record, sort_keys=True)
    return {KEY: text, "comment": f"{comment(record)} {KEY}={text}"}


def pillow_save_args(suffix: str, record: dict) -> dict:
    """Keyword arguments for ``PIL.Image.save`` that embed the record in this file format."""
    text = json.dumps(record, sort_keys=True)
    suffix = suffix.lower()
    if suffix == ".png":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text(KEY, text)
        info.add_text("Comment", comment(record))
        info.add_text("Software", record["generator"])
        return {"pnginfo": info}
    exif = Image.Exif()
    exif[EXIF_DESCRIPTION] = text
    exif[EXIF_SOFTWARE] = record["generator"]
    if suffix in (".jpg", ".jpeg"):
        return {"exif": exif, "comment": comment(record), "quality": 95}
    if suffix == ".gif":
        return {"comment": text}
    return {"exif": exif}


def read_provenance(path: str | Path) -> dict | None:
    """The twoface record of an image or video, or None when it carries none."""
    path = Path(path)
    if path.suffix.lower() in IMAGE_EXTS | {".gif"}:
        return _from_image(path)
    with av.open(str(path)) as container:
        tags = {k.lower(): v for k, v in container.metadata.items()}  # Matroska upper-cases keys
    text = tags.get(KEY) or tags.get("comment", "").partition(f"{KEY}=")[2]
    return json.loads(text) if text else None


def _from_image(path: Path) -> dict | None:
    with Image.open(path) as im:
        candidates = [im.info.get(KEY), im.info.get("comment"), im.getexif().get(EXIF_DESCRIPTION)]
    for text in candidates:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if text and text.lstrip().startswith("{"):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                continue
    return None


LABEL_PLACES = ("banner", "bottom-left", "bottom-right", "top-left", "top-right")


def label(image: np.ndarray, text: str = "SYNTHETIC", where: str = "bottom-left") -> np.ndarray:
    """A copy of RGB ``image`` with a visible ``text`` label (white on a dark box), scaled to
    the image height: small in a corner, or ``banner``: twice the size, centred at the bottom."""
    out = image.copy()
    h, w = out.shape[:2]
    scale = max(0.35, h / 900) * (2 if where == "banner" else 1)
    thick = max(1, round(scale * 1.5))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    pad = max(3, th // 3)
    box_w, box_h = tw + 3 * pad, th + base + 2 * pad
    x0 = {"banner": (w - box_w) // 2}.get(where, pad if where.endswith("left") else w - box_w - pad)
    y1 = pad + box_h if where.startswith("top") else h - pad
    cv2.rectangle(out, (x0, y1 - box_h), (x0 + box_w, y1), (0, 0, 0), cv2.FILLED)
    cv2.putText(
        out,
        text,
        (x0 + pad, y1 - base - pad),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        (255, 255, 255),
        thick,
        cv2.LINE_AA,
    )
    return out
