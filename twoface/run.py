"""``twoface run``: two videos (or folders) in, a swapped video out, in one call.

Extract A and B into face sets, train (or continue training) a model on them for a budget, then
convert A. Everything in between stays in the work folder (``faces_a/``, ``faces_b/``,
``model/``), so running the same command again skips finished extraction, trains on from the
saved step and converts again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from twoface.config import ConvertConfig, ExtractConfig, TrainConfig
from twoface.convert.pipeline import ConvertSummary, convert
from twoface.errors import TwofaceError
from twoface.extract.faceset import FaceSet
from twoface.extract.pipeline import extract
from twoface.train.loop import TrainResult, train

Report = Callable[[str], None]


@dataclass(frozen=True)
class RunResult:
    work: Path
    faces_a: int
    faces_b: int
    train: TrainResult
    convert: ConvertSummary


def work_folder(output: Path, work: str | Path | None) -> Path:
    """``work`` if given, else ``<output stem>_work`` next to the output."""
    return Path(work) if work else output.parent / f"{output.stem}_work"


def run(
    inputs_a: list[str],
    inputs_b: list[str],
    output: str | Path,
    work: str | Path | None,
    extract_cfg: ExtractConfig,
    train_cfg: TrainConfig,
    convert_cfg: ConvertConfig,
    report: Report = print,
) -> RunResult:
    """Extract, train and convert. ``train_cfg.model_dir`` and ``convert_cfg.model_dir`` are
    ignored (the work folder's ``model/`` is used); the face set paths are filled in here.
    ``work`` None: ``<output stem>_work/`` next to the output.
    Stops with TwofaceError when a person has no faces."""
    output = Path(output)
    work = work_folder(output, work)
    counts = []
    for side, inputs in (("a", inputs_a), ("b", inputs_b)):
        folder = work / f"faces_{side}"
        report(f"extract {side.upper()}: {', '.join(map(str, inputs))} -> {folder}")
        summary = extract(inputs, folder, extract_cfg, report)
        if summary.interrupted:
            raise KeyboardInterrupt
        count = len(FaceSet.open(folder).records())
        if count == 0:
            raise TwofaceError(inputs[0], f"no faces of person {side.upper()} found; nothing to train on")
        counts.append(count)
    model_dir = work / "model"
    cfg = replace(
        train_cfg, model_dir=str(model_dir), faceset_a=str(work / "faces_a"), faceset_b=str(work / "faces_b")
    )
    report(f"train: {counts[0]} faces of A, {counts[1]} of B -> {model_dir}")
    trained = train(cfg, report)
    if trained.interrupted:
        report(f"training stopped at step {trained.step}; converting with the model saved there")
    report(f"convert: {', '.join(map(str, inputs_a))} -> {output}")
    sources = [str(p) for p in inputs_a]
    converted = convert(sources, output, replace(convert_cfg, model_dir=str(model_dir)), report)
    return RunResult(work, counts[0], counts[1], trained, converted)
