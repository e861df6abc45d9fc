"""``twoface ui``: serve the page of :mod:`twoface.ui.app` for one workspace.

Security: binds to 127.0.0.1 unless told otherwise; another address needs ``auth`` (the server
refuses to start without it, and warns with it). Gradio serves only the workspace (which also
holds Gradio's upload cache, ``WORKSPACE/.gradio``) and refuses every other path, symlinks
resolved. Uploads past ``max_upload_mb`` are refused with Gradio's message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from twoface.errors import ConfigError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_WORKSPACE = "~/twoface-workspace"
CACHE = ".gradio"  # Gradio's upload and result cache, inside the workspace


@dataclass(frozen=True)
class UiConfig:
    """Settings of ``twoface ui``. ``auth``: ``"user:password"``; ``max_upload_mb``: the largest
    file the page accepts."""

    workspace: str = DEFAULT_WORKSPACE
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = None
    max_upload_mb: int = 2048
    open_browser: bool = False

    def __post_init__(self) -> None:
        if self.host not in LOCAL_HOSTS and not self.auth:
            raise ConfigError(
                f"--host {self.host} opens the UI to other machines: give --auth USER:PASSWORD too"
            )
        if self.auth is not None and (":" not in self.auth or not all(self.auth.split(":", 1))):
            raise ConfigError("--auth takes USER:PASSWORD, both non-empty")
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"port is in 1..65535, not {self.port}")
        if self.max_upload_mb < 1:
            raise ConfigError(f"max upload is at least 1 MB, not {self.max_upload_mb}")

    def credentials(self) -> tuple[str, str] | None:
        if self.auth is None:
            return None
        user, password = self.auth.split(":", 1)
        return user, password


def prepare(cfg: UiConfig):
    """The workspace and the page (Gradio imported only now, with its cache in the workspace)."""
    import importlib.util

    from twoface.errors import TwofaceError
    from twoface.ui.workspace import Workspace

    if importlib.util.find_spec("gradio") is None:
        raise TwofaceError("ui", "the web UI needs Gradio: pip install 'twoface[ui]'")
    root = Workspace.open(cfg.workspace).root
    os.environ.setdefault("GRADIO_TEMP_DIR", str(root / CACHE))
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from gradio.utils import get_upload_folder

    from twoface.ui.app import build

    ws = Workspace.open(root, extra_roots=(Path(get_upload_folder()),))
    return ws, build(ws)


SERVED = ("inputs", "faces", "models", "outputs")  # what the page shows; never .gradio/ or jobs/


def served_paths(ws) -> list[str]:
    """The folders Gradio may serve inline. Gradio serves ``allowed_paths`` inline whatever their
    type, so the upload cache stays out: there it serves only image, audio, video and plain
    text inline (an uploaded .html or .svg comes as a download), and ``inputs/`` holds only
    files that passed :func:`twoface.ui.actions.check_media`."""
    return [str(ws.folder(name)) for name in SERVED]


def launch(cfg: UiConfig, block: bool = True, report=print):
    """Start the server; with ``block`` it runs until Ctrl-C, else returns the Blocks (call
    ``.close()``)."""
    ws, demo = prepare(cfg)
    if moved := ws.set_aside_non_media():
        report(f"ui: {len(moved)} files in inputs/ are not photos or videos: moved to jobs/not_media/")
    if cfg.host not in LOCAL_HOSTS:
        report(
            f"ui: WARNING: serving on {cfg.host}: anyone who can reach it and knows the password can use it"
        )
    demo.queue(default_concurrency_limit=2)
    demo.launch(
        server_name=cfg.host,
        server_port=cfg.port,
        auth=cfg.credentials(),
        allowed_paths=served_paths(ws),
        max_file_size=f"{cfg.max_upload_mb}mb",
        inbrowser=cfg.open_browser,
        prevent_thread_lock=not block,
        quiet=not block,
        footer_links=["api"],
        show_error=True,
        ssr_mode=False,
    )
    return demo
