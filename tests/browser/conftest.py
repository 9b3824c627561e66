import pytest

from tests.browser.chromium import chromium


@pytest.fixture
def browser():
    """A headless Chromium of its own for each test."""
    driver = chromium()
    yield driver
    driver.quit()
