"""Voice-of-the-customer pages in the agent console, against a real server pair: supervisors only, audited, charts
that a real Chromium shows non-empty in Chinese and in English, the PDF and CSV, and no customer digits anywhere."""
from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
from PIL import Image

from tests.bot.console.console_client import PASSWORD, Console, create_agents
from tests.browser.chromium import chromium, wait_for
from tests.servers import ROOT, Servers

PAGES = ["/voc", "/voc?lang=en"]
FILES = ["/voc/chart/volume.png", "/voc/chart/matrix.png", "/voc/report.pdf", "/voc/export.csv"]
CHARTS = ("volume", "trends", "satisfaction", "matrix", "before_after")
# What the synthetic voices carry (tests/voc_data.py) and must never be shown: phone and card digits.
LEAKS = re.compile(r"13800000001|85291234567|6222|7894|0001")

_POPULATE = """
from tests.voc_data import contacts, service_events, voices, write
from actions.service.voice_of_customer import pain_points, surveys
from actions.service.voice_of_customer.analysis import theme_voices
write({"service_events": service_events(3000), "voc_contacts": contacts(800), "voc_voices": voices(400)})
theme_voices()
point = pain_points.create_pain_point("续期提醒太少 Too few renewal reminders", "客户服务部", intent="set_reminder")
surveys.mark_fixed(point.id)
"""


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    running = Servers(tmp_path_factory.mktemp("voc"))
    # The data is there before the console starts, as in production: the console computes its numbers at start.
    for script in ("from actions.service.seed import seed_demo_data; seed_demo_data()", _POPULATE):
        subprocess.run([sys.executable, "-c", script], env=running.env, cwd=ROOT, check=True, capture_output=True)
    create_agents(running, [("agent1", "小林 Lin", "agent", ["zh-Hans", "en"]),
                            ("boss", "王主管 Wang", "supervisor", ["zh-Hans", "en"])])
    running.start(timeout=1200)  # a 2-core machine shared with other test runs
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def supervisor(servers):
    console = Console(servers)
    assert console.login("boss").status_code == 200
    return console


def test_anonymous_users_and_agents_are_refused(servers):
    anonymous = Console(servers)
    for page in PAGES:
        answer = anonymous.get(page)
        assert answer.status_code == 302 and answer.headers["Location"] == "/webhooks/console/login"
    for path in FILES:
        assert anonymous.get(path).status_code == 401, path
    agent = Console(servers)
    assert agent.login("agent1").status_code == 200
    for path in PAGES + FILES:
        answer = agent.get(path)
        assert answer.status_code == 403, path
        assert "supervisor" in answer.text.lower() or "主管" in answer.text


def test_supervisor_sees_the_dashboard_downloads_and_every_view_is_audited(supervisor, servers):
    page = supervisor.get("/voc")
    assert page.status_code == 200 and "客户之声" in page.text
    assert "script-src" in page.headers["Content-Security-Policy"] and "<script" not in page.text
    assert page.text.count('data-test="voc-chart"') == len(CHARTS)
    assert "voc-pain-points" in page.text and "续期提醒太少" in page.text
    english = supervisor.get("/voc?lang=en")
    assert "Voice of the customer" in english.text and "Experience-improvement matrix" in english.text

    chart = supervisor.get("/voc/chart/volume.png")
    assert chart.headers["Content-Type"] == "image/png" and chart.content[:4] == b"\x89PNG"
    assert supervisor.get("/voc/chart/nothing.png").status_code == 404
    pdf = supervisor.get("/voc/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    csv = supervisor.get("/voc/export.csv")
    assert csv.status_code == 200 and csv.text.startswith("day,channel,language,intent,contacts")

    from pypdf import PdfReader
    pdf_text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages)
    for shown in (page.text, english.text, csv.text, pdf_text):
        assert not LEAKS.search(shown)
    audit = [entry["action"] for entry in supervisor.get("/api/audit?limit=50").json()["audit"]]
    assert {"view_voc", "export_voc_pdf", "export_voc_csv"} <= set(audit)


def _non_empty_plot(png: bytes) -> bool:
    """A drawn chart: many colours and a real share of non-white pixels (a blank or broken image has neither)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = list(image.getdata())
    coloured = sum(1 for r, g, b in pixels if min(r, g, b) < 200)
    return len(set(pixels)) > 20 and coloured / len(pixels) > 0.03


def test_charts_render_in_chromium_in_chinese_and_english(servers):
    driver = chromium()
    try:
        driver.set_window_size(1280, 2400)
        driver.get(f"{servers.url}/webhooks/console/login")
        driver.find_element("id", "login-username").send_keys("boss")
        driver.find_element("id", "login-password").send_keys(PASSWORD)
        driver.find_element("id", "login-submit").click()
        wait_for(lambda: "/queue" in driver.current_url, timeout=30)
        shots = {}
        for language, path, heading in (("zh", "/voc", "客户之声"), ("en", "/voc?lang=en", "Voice of the customer")):
            driver.get(f"{servers.url}/webhooks/console{path}")
            assert heading in driver.find_element("tag name", "h1").text
            images = wait_for(lambda: [i for i in driver.find_elements("css selector", "img[data-test=voc-chart]")
                                       if driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", i)],
                              timeout=60)
            assert len(images) == len(CHARTS)
            for image in images:
                driver.execute_script("arguments[0].scrollIntoView()", image)
                shot = image.screenshot_as_png
                assert _non_empty_plot(shot), (language, image.get_attribute("data-chart"))
                shots[(language, image.get_attribute("data-chart"))] = shot
            (ROOT / "var").mkdir(exist_ok=True)
            driver.save_screenshot(str(ROOT / "var" / f"voc-dashboard-{language}.png"))  # for people, not compared
        for chart in CHARTS:  # titles and labels follow the language
            assert shots[("zh", chart)] != shots[("en", chart)], chart
    finally:
        driver.quit()
