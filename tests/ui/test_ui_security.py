"""What the UI serves and reads is confined to its workspace (and Gradio's upload cache); other
addresses need a password; uploads have a size limit."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("gradio", reason="the web UI needs gradio (pip install -e '.[ui]')")
from gradio.utils import get_upload_folder
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from ui_helpers import serve

from twoface.errors import ConfigError, TwofaceError
from twoface.ui.server import UiConfig
from twoface.ui.workspace import Workspace


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_workspace_confines_paths(tmp_path):
    ws = Workspace.open(tmp_path / "ws")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (ws.root / "outputs" / "link.txt").symlink_to(outside)
    for path in ("/etc/passwd", "../secret.txt", "outputs/../../secret.txt", "outputs/link.txt"):
        with pytest.raises(TwofaceError, match="outside the workspace"):
            ws.confine(path)
    assert ws.confine("outputs") == ws.root / "outputs"
    with pytest.raises(TwofaceError, match="not a usable model name"):
        ws.model("../../etc")


def test_server_serves_the_workspace_only(ui_server, client, tmp_path):
    url, ws = ui_server
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    link = ws.root / "outputs" / "escape.txt"
    link.symlink_to(outside)
    inside = ws.root / "outputs" / "mine.txt"
    inside.write_text("mine")
    try:
        assert _get(f"{url}gradio_api/file={inside}") == 200
        for path in ("/etc/passwd", str(outside), f"{ws.root}/../{outside.name}", str(link)):
            assert _get(f"{url}gradio_api/file={path}") in (403, 404), path
        with pytest.raises(AppError, match="outside the workspace"):  # a picked input naming a path
            client.predict(
                "m",
                None,
                "../../../../etc/passwd",
                0,
                "reinhard",
                "auto",
                "feather",
                "a2b",
                None,
                api_name="/preview",
            )
    finally:
        link.unlink()
        inside.unlink()


def _served(url: str) -> tuple[int, str, str]:
    """(status, Content-Type, Content-Disposition) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.headers.get("Content-Disposition", "")
    except urllib.error.HTTPError as exc:
        return exc.code, "", ""


def test_uploaded_pages_are_never_served_inline(ui_server, client, samples, tmp_path):
    """An uploaded .html or .svg must not run as a page of the app's origin (stored XSS once
    --host shares it): it is refused as media and never copied into inputs/; in Gradio's upload
    cache it comes back as a download; the workspace's own folders outside what the page shows
    are not served at all."""
    url, ws = ui_server
    for name in ("evil.html", "evil.svg"):
        page = tmp_path / name
        page.write_text("<script>alert(document.cookie)</script>")
        with pytest.raises(AppError, match=f"{name}: not an image or video"):
            client.predict(
                handle_file(samples / "identity/obama_1.jpg"), handle_file(page), "reinhard", api_name="/swap"
            )
        assert not list((ws.root / "inputs").glob("evil*"))
        cached = list(Path(get_upload_folder()).rglob(name))
        assert cached, "the upload reached Gradio's cache"
        status, kind, disposition = _served(f"{url}gradio_api/file={cached[0]}")
        assert status in (403, 404) or (kind == "application/octet-stream" and "attachment" in disposition)
    for folder in ("jobs", "."):
        planted = ws.root / folder / "planted.html"
        planted.write_text("<script>alert(1)</script>")
        try:
            assert _served(f"{url}gradio_api/file={planted}")[0] in (403, 404), folder
        finally:
            planted.unlink()


def test_an_older_workspace_is_made_safe_and_bad_names_get_a_line(tmp_path):
    """A workspace from before uploads were checked may hold a page in inputs/, which is served
    inline: starting the server moves it to jobs/not_media/, where nothing is served. In a
    workspace with no job yet, the status timer answers a bad model name with one line."""
    from gradio_client import Client

    root = tmp_path / "old_ws"
    (root / "inputs").mkdir(parents=True)
    old_page = root / "inputs" / "old.html"
    old_page.write_text("<script>alert(1)</script>")
    url, demo = serve(root)
    try:
        assert not old_page.exists() and (root / "jobs/not_media/old.html").exists()
        assert _served(f"{url}gradio_api/file={root / 'jobs/not_media/old.html'}")[0] in (403, 404)
        client = Client(url, verbose=False, download_files=str(tmp_path / "dl"))
        line, preview, losses, _log = client.predict("../bad", api_name="/train_status")
        assert line == "bad: not a usable model name (letters, digits, _ . - only)"  # named by file name
        assert preview is None and losses is None
    finally:
        demo.close()


def test_other_hosts_need_a_password(tmp_path):
    with pytest.raises(ConfigError, match="--auth"):
        UiConfig(workspace=str(tmp_path), host="0.0.0.0")
    with pytest.raises(ConfigError, match="USER:PASSWORD"):
        UiConfig(workspace=str(tmp_path), host="0.0.0.0", auth="nopassword")
    run = subprocess.run(
        [sys.executable, "-m", "twoface", "ui", "--workspace", str(tmp_path), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path.cwd())},
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "twoface: --host 0.0.0.0 opens the UI to other machines: give --auth USER:PASSWORD too"
    ]


def test_password_and_upload_limit_are_enforced(tmp_path, samples):
    from gradio_client import Client

    url, demo = serve(tmp_path / "ws", auth="ann:secret", max_upload_mb=1)
    try:
        assert _get(f"{url}config") == 401
        client = Client(url, auth=("ann", "secret"), verbose=False, download_files=str(tmp_path / "dl"))
        big = tmp_path / "big.jpg"
        big.write_bytes(b"\xff\xd8" + os.urandom(2 * 1024 * 1024))
        with pytest.raises(Exception, match=r"(?i)size"):
            client.predict(
                handle_file(samples / "identity/obama_1.jpg"), handle_file(big), "reinhard", api_name="/swap"
            )
    finally:
        demo.close()
