"""Debian's chromium, headless, driven by Selenium through Debian's chromedriver.

The one place the page tests and bench_page.py start a browser: never a downloaded
one (`.ci/run` installs the `chromium` and `chromium-driver` packages). Without the
background-networking flags chromium phones home at start and, where that is
refused, stalls; a fresh profile per run keeps runs independent.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio")


def chromium_path() -> str | None:
    return os.environ.get("I4QEW_CHROMIUM") or shutil.which("chromium")


def driver_path() -> str | None:
    return os.environ.get("I4QEW_CHROMEDRIVER") or shutil.which("chromedriver")


def missing() -> str | None:
    """Why no browser can be started here, or None."""
    if not chromium_path() or not driver_path():
        return "Debian's chromium and chromium-driver are needed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is needed (pip install -e '.[test]')"
    return None


@contextmanager
def chromium(profile: Path, width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A Selenium WebDriver on a fresh profile in `profile`, with the performance log
    (every network event of the page) switched on."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_path() or "chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    profile.mkdir(parents=True, exist_ok=True)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path() or "chromedriver"))
    try:
        driver.set_page_load_timeout(120)
        yield driver
    finally:
        driver.quit()


def open_page(driver: Any, path: Path) -> list[str]:
    """Load `path` from file:// (waits for the load event); the URLs of every request
    the page made, the page itself included, from the browser's network events."""
    driver.get("about:blank")
    driver.get_log("performance")  # drop the events so far (the start page)
    url = path.resolve().as_uri()
    driver.get(url)
    return requests(driver, url)


def requests(driver: Any, page: str) -> list[str]:
    """URLs the document at `page` requested since the last call (Network.requestWillBeSent),
    less those the browser refused to send (Network.loadingFailed with a blockedReason,
    e.g. "csp": Chrome announces a request before its policy blocks it)."""
    sent: dict[str, str] = {}
    blocked: set[str] = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent" and (
                params.get("documentURL") == page or params["request"]["url"] == page):
            sent[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed" and params.get("blockedReason"):
            blocked.add(params["requestId"])
    return [url for rid, url in sent.items() if rid not in blocked]


def load_timing(driver: Any) -> dict[str, float]:
    """Milliseconds from navigation start: DOMContentLoaded, load, first contentful paint."""
    got: dict[str, float] = driver.execute_script(
        "var n=performance.getEntriesByType('navigation')[0];"
        "var p=performance.getEntriesByName('first-contentful-paint')[0];"
        "return {dom:n.domContentLoadedEventEnd,load:n.loadEventEnd,paint:p?p.startTime:-1}")
    return got
