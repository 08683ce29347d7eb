"""GET /review in a real headless browser: Debian's chromium driven by selenium (chromedriver), against the app
served by uvicorn on 127.0.0.1. The page loads, a search shows the seed matches, a confirm click stores a judgment.

CI installs the browser (`.ci/browser`); a machine without chromium and chromedriver skips these tests, saying so.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.config import Settings, get_settings
from service.main import create_app
from tests.helpers import HashingEncoder, seed_files, serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no chromium + chromedriver here (Debian: apt-get install chromium chromium-driver; CI runs .ci/browser)",
)
SCREENSHOT = os.environ.get("CROSSCHECK_REVIEW_SCREENSHOT")  # a path: the README's screenshot is made this way


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path / "data", multilingual=False, sync_interval_seconds=0)
    app = create_app(encoder=HashingEncoder(), extra_encoders={})
    app.dependency_overrides[get_settings] = lambda: settings
    with serve(app) as base:
        for path in seed_files():
            assert httpx.post(f"{base}/sources", json={"text": path.read_text(encoding="utf-8")}).status_code == 201
        yield base


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1400"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER or ""), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_search_shows_the_seed_matches_and_a_confirm_click_stores_a_judgment(served: str, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{served}/review")
    assert "crosscheck review" in browser.title
    box = browser.find_element(By.NAME, "q")
    box.send_keys("North Korea sent more than 10,000 soldiers to Kursk")
    browser.find_element(By.ID, "search").click()
    # A click on submit may return before the next page is there: wait for the answer page's matches.
    WebDriverWait(browser, 30).until(lambda d: "q=" in d.current_url and d.find_elements(By.CSS_SELECTOR, ".match"))
    matches = browser.find_elements(By.CSS_SELECTOR, ".match")
    assert matches, browser.page_source[:2000]
    first = matches[0]
    claim_id = int(first.get_attribute("data-claim"))
    highlighted = first.find_element(By.TAG_NAME, "mark").text
    stored = httpx.get(f"{served}/claims/{claim_id}").json()
    assert highlighted == " ".join(stored["text"].split())  # the matched sentence, highlighted in its paragraph
    assert first.find_element(By.CSS_SELECTOR, ".badge").text in {"same", "conflict", "related"}
    if SCREENSHOT:
        browser.save_screenshot(SCREENSHOT)
    first.find_element(By.CSS_SELECTOR, "button.confirm").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "notice"))
    assert "Recorded: same" in browser.find_element(By.ID, "notice").text
    judged = httpx.get(f"{served}/judgments").json()["data"]
    assert [(j["matched_claim_id"], j["verdict"]) for j in judged] == [(claim_id, "same")]
    # The page shows it on the match now; the source's report opens from the outlet link.
    again = browser.find_element(By.ID, f"match-{claim_id}")
    assert "judged same" in again.text
    again.find_element(By.CSS_SELECTOR, ".meta a").click()
    WebDriverWait(browser, 30).until(lambda d: "/review/sources/" in d.current_url)
    assert "claims:" in browser.find_element(By.TAG_NAME, "body").text
