"""Shared fixtures: the bundled samples and face sets extracted once per test session."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from twoface.config import DetectConfig, ExtractConfig
from twoface.extract.faceset import FaceSet
from twoface.extract.pipeline import extract

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def quiet(upsample: int = 0, **kw) -> ExtractConfig:
    return ExtractConfig(detect=DetectConfig(upsample=upsample), progress=False, **kw)


@pytest.fixture(scope="session", autouse=True)
def _private_config_dir(tmp_path_factory):
    """Outputs are signed (C2PA) with a local signer made on first use in the config folder:
    the tests make theirs in a temporary one, never in the user's."""
    import os

    old = os.environ.get("TWOFACE_CONFIG_DIR")
    os.environ["TWOFACE_CONFIG_DIR"] = str(tmp_path_factory.mktemp("config"))
    yield
    if old is None:
        os.environ.pop("TWOFACE_CONFIG_DIR", None)
    else:
        os.environ["TWOFACE_CONFIG_DIR"] = old


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


def cut_clip(src: Path, dst: Path, seconds: float) -> Path:
    """The first ``seconds`` of ``src`` re-encoded with PyAV (H.264, audio packets copied)."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream("libx264", rate=vin.average_rate)
        vout.width, vout.height, vout.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
        ain = inp.streams.audio[0]
        aout = out.add_stream_from_template(ain)
        for frame in inp.decode(vin):
            if frame.time >= seconds:
                break
            out.mux(vout.encode(frame.reformat(format="yuv420p")))
        out.mux(vout.encode())
        inp.seek(0)
        for packet in inp.demux(ain):
            if packet.dts is None or packet.pts * packet.time_base >= seconds:
                continue
            packet.stream = aout
            out.mux(packet)
    return dst


@pytest.fixture(scope="session")
def s1_clip(tmp_path_factory) -> Path:
    """Two seconds (50 frames) of GRID s1 with its audio."""
    return cut_clip(SAMPLES / "grid/s1.mp4", tmp_path_factory.mktemp("clip") / "s1_2s.mp4", 2.0)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, grid_pair) -> Path:
    """A lite model trained for 30 steps on the GRID pair (seconds): enough to change faces."""
    from twoface.config import TrainConfig
    from twoface.train.loop import train

    folder = tmp_path_factory.mktemp("model") / "m"
    a, b = grid_pair
    cfg = TrainConfig(
        model_dir=str(folder),
        faceset_a=str(a),
        faceset_b=str(b),
        iterations=30,
        batch=8,
        lr=5e-4,
        save_every=1000,
        progress=False,
        # float32 everywhere: what a 30-step model draws is still mostly noise, and under bf16 on
        # a bf16-native CPU its sharpness read 0.89 of 0.95 in one CI run (0.41-0.47 on other
        # faces); bf16 training is tested in test_train.py
        precision="fp32",
    )
    train(cfg, report=lambda _m: None)
    return folder


# --- the web UI (tests/ui) ---------------------------------------------------------------


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory):
    """(url, workspace root) of a page serving a fresh workspace for the whole session."""
    pytest.importorskip("gradio", reason="the web UI needs gradio (pip install -e '.[ui]')")
    from ui.ui_helpers import serve  # tests/ui (a folder of tests/, which is on the path)

    from twoface.ui.workspace import Workspace

    root = tmp_path_factory.mktemp("ui") / "workspace"
    url, demo = serve(root)
    yield url, Workspace.open(root)
    demo.close()


@pytest.fixture(scope="session")
def client(ui_server, tmp_path_factory):
    from gradio_client import Client

    url, _ws = ui_server
    return Client(url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


def interruptible(cmd: list[str]) -> subprocess.Popen:
    """Start ``cmd`` with stdout and stderr piped as text and SIGINT at its default, so Python
    in it turns a Ctrl-C into KeyboardInterrupt even where the test run itself was started with
    SIGINT ignored (a background job of a non-interactive shell, as some CI runners start it)."""
    return subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
