"""The web chat page in headless Chromium with a fake microphone that says a real sentence.

Hold the big button, speak (espeak-ng speech fed as the microphone), release: the page shows
the transcript and the bot's reply in large text and plays the spoken reply. The human button
reaches a person through the page's socket.io connection, even when pressed before it is up.
"""
import subprocess
import time

import pytest
import requests

from tests.browser.chromium import chromium, wait_for
from voice.tts import mandarin_pinyin


@pytest.fixture(scope="module")
def servers(standard_servers):
    """The standard pair (tests/conftest.py)."""
    return standard_servers


@pytest.fixture
def browser(tmp_path):
    microphone = tmp_path / "microphone.wav"
    speech = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "-s", "150", "-w", str(speech),
                    mandarin_pinyin("我想查一下下次交费是什么时候")], check=True)
    # 48 kHz like a real microphone, with silence after the sentence (Chromium loops the file).
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(speech), "-af", "apad=pad_dur=4",
                    "-ar", "48000", "-ac", "1", str(microphone)], check=True)
    driver = chromium(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                       f"--use-file-for-fake-audio-capture={microphone}"])
    yield driver
    driver.quit()


def test_the_page_is_served_and_elder_friendly_at_320px(servers, browser):
    from selenium.webdriver.common.by import By

    assert requests.get(f"{servers.url}/webhooks/webchat/", timeout=5).headers["Content-Type"].startswith("text/html")
    # headless Chromium will not open a window narrower than 500 px: emulate a 320 px phone screen
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 320, "height": 640, "deviceScaleFactor": 2, "mobile": True})
    browser.get(f"{servers.url}/webhooks/webchat/")
    assert browser.execute_script("return window.innerWidth") == 320
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 320
    for button_id in ("talk", "human"):
        button = browser.find_element(By.ID, button_id)
        assert button.size["width"] >= 60 and button.size["height"] >= 60
        assert button.is_displayed()
    assert float(browser.find_element(By.ID, "talk").value_of_css_property("font-size").rstrip("px")) >= 18


def test_hold_to_talk_gets_a_spoken_answer(servers, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.get(f"{servers.url}/webhooks/webchat/")
    talk = browser.find_element(By.ID, "talk")
    ActionChains(browser).click_and_hold(talk).perform()
    time.sleep(4.5)  # the sentence lasts about 4 s
    ActionChains(browser).release(talk).perform()
    replies = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#log li.bot"))
    you = browser.find_element(By.CSS_SELECTOR, "#log li.you").text
    # the transcript is shown (Whisper base's exact words vary on synthetic speech)
    assert "查" in you and ("费" in you or "費" in you), you
    assert "身份" in replies[0].text  # premiums need the identity check first
    assert float(replies[0].value_of_css_property("font-size").rstrip("px")) >= 18
    # the spoken reply was fetched and played
    played = wait_for(lambda: browser.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('/webhooks/voice/audio/'))"
        ".length"))
    assert played >= 1


def test_the_human_button_reaches_a_person(servers, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{servers.url}/webhooks/webchat/")
    browser.find_element(By.ID, "human").click()
    reply = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#log li.bot"))
    assert "服务单号" in reply[0].text
