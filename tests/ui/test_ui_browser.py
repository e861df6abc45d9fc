"""The page in a real headless browser (Debian's chromium + chromium-driver via Selenium):
every tab shows, the page is not blank, and a one-shot swap driven by clicks returns an image
whose face moved towards the face photo and whose download carries the provenance record."""

from __future__ import annotations

import urllib.request

import cv2
import numpy as np
import pytest
from ui_helpers import find_chromium, open_browser, wait_for

from twoface.extract.detect import make_detector
from twoface.extract.identity import largest_face_embedding
from twoface.media.provenance import read_provenance

_browser, _driver, WHY = find_chromium()
pytestmark = pytest.mark.skipif(_browser is None, reason=WHY)
TABS = ("Faces", "Train", "Convert", "One-shot", "Live", "Workspace")


@pytest.fixture(scope="module")
def page(ui_server):
    url, _ws = ui_server
    driver = open_browser()
    driver.get(url)
    wait_for(driver, "button[role='tab']")
    yield driver
    driver.quit()


def _tab(driver, name: str):
    from selenium.webdriver.common.by import By

    for button in driver.find_elements(By.CSS_SELECTOR, "button[role='tab']"):
        if button.text.strip() == name:
            return button
    return None


def test_page_shows_every_tab_and_is_not_blank(page, tmp_path):
    assert all(_tab(page, name) is not None for name in TABS), [
        b.text for b in page.find_elements("css selector", "button[role='tab']")
    ]
    png = tmp_path / "page.png"
    page.save_screenshot(str(png))
    shot = cv2.imread(str(png))
    assert shot is not None and shot.shape[0] > 500
    assert shot.std() > 10 and len(np.unique(shot.reshape(-1, 3), axis=0)) > 50


def test_one_shot_through_the_page(page, samples, tmp_path):
    from selenium.webdriver.common.by import By

    face, target = samples / "identity/obama_1.jpg", samples / "identity/biden_1.jpg"
    _tab(page, "One-shot").click()
    wait_for(page, "#oneshot-face input[type='file']").send_keys(str(face))
    page.find_element(By.CSS_SELECTOR, "#oneshot-target input[type='file']").send_keys(str(target))
    wait_for(page, "#oneshot-face img", 30)
    page.find_element(By.CSS_SELECTOR, "#oneshot-swap").click()
    link = wait_for(page, "#oneshot-download a[href*='gradio_api/file']", 120)
    saved = tmp_path / "download.jpg"
    with urllib.request.urlopen(link.get_attribute("href"), timeout=30) as r:
        saved.write_bytes(r.read())
    assert read_provenance(saved)["synthetic"] is True
    detect = make_detector("hog", 1)
    ref, before = largest_face_embedding(face, detect), largest_face_embedding(target, detect)
    after = largest_face_embedding(saved, detect)
    assert np.linalg.norm(after - ref) < np.linalg.norm(before - ref) - 0.05
