"""Helpers of the UI tests and ``bench/ui.py``: a served page on a free port, and a headless
Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium;
:func:`find_chromium` says why when there is none."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)


def find_chromium() -> tuple[str | None, str | None, str]:
    """(browser, driver, why-not): the executables, or Nones and the reason."""
    browser = next((p for p in map(shutil.which, BROWSERS) if p), None)
    driver = next((p for p in map(shutil.which, DRIVERS) if p), None)
    if browser is None or driver is None:
        return None, None, "no Chromium here: apt-get install chromium chromium-driver"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None, None, "selenium is not installed (pip install -e '.[dev]')"
    return browser, driver, ""


def open_browser(width: int = 1280, height: int = 1600):
    """A headless Chromium WebDriver (the caller quits it)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver, why = find_chromium()
    if browser is None:
        raise RuntimeError(why)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


def wait_for(driver, css: str, timeout: float = 60.0):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def screenshot(driver, path: Path) -> Path:
    driver.save_screenshot(str(path))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(workspace: Path, **kw):
    """Start ``twoface ui`` in this process; returns (url, Blocks)."""
    from twoface.ui.server import UiConfig, launch

    port = free_port()
    demo = launch(UiConfig(workspace=str(workspace), port=port, **kw), block=False, report=lambda _l: None)
    return f"http://127.0.0.1:{port}/", demo
