"""Headless Chromium (Debian's /usr/bin/chromium + chromedriver) for the page tests, and page helpers.

    driver = chromium(extra_flags)        # the caller quits it
    screen(driver, 320, 640)              # emulate a phone (headless Chromium opens no window under 500 px)
    wait_for(lambda: ..., timeout=90)     # the first truthy value, or AssertionError
"""
from __future__ import annotations

import shutil
import time
from typing import Any, Callable, Iterable

import pytest

CHROMIUM = "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
         "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required")


def chromium(extra_flags: Iterable[str] = ()):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, *extra_flags):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(DRIVER), options=options)


def screen(driver, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})


def wait_for(condition: Callable[[], Any], timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")
