"""Shared fixtures: the bundled samples and face sets extracted once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from twoface.config import ExtractConfig
from twoface.extract.faceset import FaceSet
from twoface.extract.pipeline import extract

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def quiet(**kw) -> ExtractConfig:
    return ExtractConfig(progress=False, **kw)


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def grid_s1_faceset(tmp_path_factory) -> tuple[FaceSet, object]:
    out = tmp_path_factory.mktemp("s1") / "faces"
    summary = extract([SAMPLES / "grid/s1.mp4"], out, quiet(), report=lambda _m: None)
    return FaceSet.open(out), summary


@pytest.fixture(scope="session")
def event_faceset(tmp_path_factory) -> FaceSet:
    out = tmp_path_factory.mktemp("event") / "faces"
    extract([SAMPLES / "multi/event.mp4"], out, quiet(upsample=1), report=lambda _m: None)
    return FaceSet.open(out)


@pytest.fixture(scope="session")
def grid_pair(tmp_path_factory, grid_s1_faceset) -> tuple[Path, Path]:
    """Small face sets of the two GRID speakers (first 60 and 40 frames)."""
    from twoface.extract.sort import write_subset

    root = tmp_path_factory.mktemp("pair")
    s1, _ = grid_s1_faceset
    extract([SAMPLES / "grid/s2.mp4"], root / "s2_all", quiet(), report=lambda _m: None)
    s2 = FaceSet.open(root / "s2_all")
    a = write_subset(s1, s1.records()[:60], root / "a").root
    b = write_subset(s2, s2.records()[:40], root / "b").root
    return a, b
