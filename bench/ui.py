"""Web UI benchmark (not in CI): prints one JSON object.

A one-shot swap of a 640x480 photo, measured side by side in one run, ``--runs`` times each,
interleaved:
- ``direct``: :func:`twoface.oneshot.swap_one_shot` called in this process (warm);
- ``api``: the same swap through the served page's HTTP API (``twoface ui`` in its own
  process): upload both photos, call ``/swap``, read its event stream, download the result.
  ``ttfb_s`` is the time from the call to the first byte of its event stream, ``result_s`` the
  time from the first upload to the downloaded file.
``ui_overhead_s`` is the median API time less the median direct time: what the UI adds.
Also the server's peak RSS (``VmHWM``) after the runs, and the page's load time in headless
Chromium (navigation start to the tabs shown; skipped without a Chromium).
``--screenshot PNG`` saves the page (the README's picture).
Run: ``.venv/bin/python bench/ui.py [--runs 5] [--screenshot docs/ui.png]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "ui"))
FACE, TARGET = ROOT / "samples/identity/obama_1.jpg", ROOT / "samples/identity/biden_1.jpg"


def photo_640x480(src: Path, dst: Path) -> Path:
    """``src`` scaled to cover 640x480 and centre-cropped."""
    image = cv2.imread(str(src))
    scale = max(640 / image.shape[1], 480 / image.shape[0])
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    y, x = (image.shape[0] - 480) // 2, (image.shape[1] - 640) // 2
    cv2.imwrite(str(dst), image[y : y + 480, x : x + 640])
    return dst


def direct(face: Path, target: Path, out: Path) -> float:
    from twoface.config import OneShotConfig
    from twoface.oneshot import swap_one_shot

    began = time.perf_counter()
    swap_one_shot(face, [target], out, OneShotConfig(progress=False), report=lambda _l: None)
    return time.perf_counter() - began


def _post(url: str, body: bytes, content_type: str) -> dict | list:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=120) as r:
        return json.loads(r.read())


def _upload(base: str, path: Path) -> dict:
    boundary = "twofacebench"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    uploaded = _post(f"{base}gradio_api/upload", body, f"multipart/form-data; boundary={boundary}")
    return {"path": uploaded[0], "meta": {"_type": "gradio.FileData"}}


def through_api(base: str, face: Path, target: Path) -> tuple[float, float]:
    """(time to first byte of the result stream, time to the downloaded result) in seconds."""
    began = time.perf_counter()
    data = [_upload(base, face), _upload(base, target), "reinhard"]
    event = _post(f"{base}gradio_api/call/swap", json.dumps({"data": data}).encode(), "application/json")
    called = time.perf_counter()
    with urllib.request.urlopen(f"{base}gradio_api/call/swap/{event['event_id']}", timeout=300) as r:
        first = r.read(1)
        ttfb = time.perf_counter() - called
        stream = (first + r.read()).decode()
    if "event: complete" not in stream:
        raise RuntimeError(f"swap failed through the API: {stream[-300:]}")
    result = json.loads(stream.split("event: complete", 1)[1].split("data:", 1)[1].strip().splitlines()[0])
    with urllib.request.urlopen(result[2]["url"], timeout=60) as r:
        r.read()
    return ttfb, time.perf_counter() - began


def serve(workspace: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "twoface", "ui", "--workspace", str(workspace), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=5):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the UI server did not start")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def page_load(base: str, loads: int, screenshot: Path | None) -> dict:
    from ui_helpers import find_chromium, open_browser, wait_for

    browser, _driver, why = find_chromium()
    if browser is None:
        return {"skipped": why}
    driver = open_browser()
    times = []
    try:
        for _ in range(loads):
            driver.get("about:blank")
            began = time.perf_counter()
            driver.get(base)
            wait_for(driver, "button[role='tab']")
            times.append(time.perf_counter() - began)
        if screenshot is not None:
            _show_people(driver)
            driver.save_screenshot(str(screenshot))
    finally:
        driver.quit()
    return {"median_s": round(statistics.median(times), 3), "runs_s": [round(t, 3) for t in times]}


def _show_people(driver) -> None:
    """The Faces tab with the people of the bundled event clip (extracted through the API)."""
    from selenium.webdriver.common.keys import Keys
    from ui_helpers import wait_for

    box = wait_for(driver, "#faces-source input")
    box.send_keys("event", Keys.ENTER)
    driver.find_element("css selector", "#faces-show").click()
    wait_for(driver, "#faces-people img", 120)
    time.sleep(2.0)


def extract_event(base: str) -> None:
    data = [[_upload(base, ROOT / "samples/multi/event.mp4")], [], "event"]
    event = _post(f"{base}gradio_api/call/extract", json.dumps({"data": data}).encode(), "application/json")
    with urllib.request.urlopen(f"{base}gradio_api/call/extract/{event['event_id']}", timeout=600) as r:
        r.read()


def main() -> None:
    from ui_helpers import free_port

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="twoface_ui_bench_"))
    face, target = FACE, photo_640x480(TARGET, tmp / "target_640x480.jpg")
    port = free_port()
    proc = serve(tmp / "workspace", port)
    base = f"http://127.0.0.1:{port}/"
    try:
        direct(face, target, tmp / "warm.jpg")  # dlib models loaded, both sides warm
        through_api(base, face, target)
        lib, api, ttfb = [], [], []
        for i in range(args.runs):
            lib.append(direct(face, target, tmp / f"direct_{i}.jpg"))
            first, total = through_api(base, face, target)
            ttfb.append(first)
            api.append(total)
        rss = peak_rss_mb(proc.pid)
        if args.screenshot is not None:
            extract_event(base)
        load = page_load(base, args.loads, args.screenshot)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    median = statistics.median
    print(
        json.dumps(
            {
                "photo": "640x480",
                "runs": args.runs,
                "direct_s": round(median(lib), 3),
                "api_result_s": round(median(api), 3),
                "api_ttfb_s": round(median(ttfb), 3),
                "ui_overhead_s": round(median(api) - median(lib), 3),
                "direct_runs_s": [round(t, 3) for t in lib],
                "api_runs_s": [round(t, 3) for t in api],
                "server_peak_rss_mb": round(rss, 1),
                "page_load": load,
                "threads": os.cpu_count(),
                "numpy": np.__version__,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
