"""Fixtures of the UI tests: a served page on a free port, its workspace, a gradio_client."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory):
    """(url, workspace root) of a page serving a fresh workspace for the whole session."""
    pytest.importorskip("gradio", reason="the web UI needs gradio (pip install -e '.[ui]')")
    from ui_helpers import serve

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
