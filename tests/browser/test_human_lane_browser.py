"""The whole human lane in two headless Chromium windows, against the real Rasa and action servers.

A customer on the web chat page says what they need and presses the human button; an agent
logged in on the console sees the conversation with what was already collected, takes it and
replies; the customer sees the reply labelled as a person's; the agent resolves; the bot is back
and asks for one rating. Once in Chinese (王建国, a verified senior) and once in English.
Screenshots: var/lane-<language>-customer.png, var/lane-<language>-console.png.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.browser.chromium import chromium, screen, wait_for
from tests.servers import ROOT, Servers

SCREENSHOTS = ROOT / "var"
PASSWORD = "a long e2e password"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    running = Servers(tmp_path_factory.mktemp("lane-e2e"), extra_env={"ANXIN_RATE_LIMIT_BURST": "30"}).start()
    code = ("from actions.service.human_lane.agents import create_agent\n"
            f"create_agent('wangfang', {PASSWORD!r}, '王芳', skills=('zh-Hans', 'zh-Hant', 'yue', 'en'))\n")
    subprocess.run([sys.executable, "-c", code], env=running.env, cwd=ROOT, check=True, capture_output=True)
    yield running
    running.stop()


@pytest.fixture
def customer():
    driver = chromium()
    screen(driver, 390, 844)
    yield driver
    driver.quit()


@pytest.fixture
def agent():
    driver = chromium()
    screen(driver, 1366, 768)  # a common office laptop: the main actions must show without scrolling
    yield driver
    driver.quit()


def by_id(driver, element_id):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.ID, element_id)


def all_css(driver, selector):
    from selenium.webdriver.common.by import By
    return driver.find_elements(By.CSS_SELECTOR, selector)


def log_in(agent, servers) -> None:
    agent.get(f"{servers.url}/webhooks/console/login")
    by_id(agent, "login-username").send_keys("wangfang")
    by_id(agent, "login-password").send_keys(PASSWORD)
    by_id(agent, "login-submit").click()
    wait_for(lambda: agent.execute_script("return document.body.dataset.page") == "queue")
    wait_for(lambda: "live" in (by_id(agent, "connection-status").get_attribute("class") or ""))


def customer_says(customer, text: str) -> None:
    count = len(all_css(customer, "#log li.msg:not([data-author=customer])"))
    box = by_id(customer, "text")
    box.send_keys(text)
    by_id(customer, "send").click()
    wait_for(lambda: len(all_css(customer, "#log li.msg:not([data-author=customer])")) > count)


def open_chat(customer, servers) -> None:
    customer.get(f"{servers.url}/webhooks/webchat/")
    wait_for(lambda: customer.execute_script("return document.body.dataset.connection") == "online")


def bot_texts(customer, author: str = "bot"):
    return [m.text for m in all_css(customer, f"#log li.msg[data-author={author}]")]


def take_and_open(agent, sender: str):
    from selenium.common.exceptions import StaleElementReferenceException

    def take():  # the live queue redraws its rows: look the row up afresh on every try
        try:
            row = next((r for r in all_css(agent, "#queue-rows tr[data-test=queue-row]")
                        if r.get_attribute("data-sender-id") == sender), None)
            if row is None:
                return None
            priority = row.get_attribute("data-priority")
            row.find_element("css selector", "button[data-test=take-ticket]").click()
            return priority
        except StaleElementReferenceException:
            return None

    priority = wait_for(take)
    wait_for(lambda: agent.execute_script("return document.body.dataset.page") == "ticket")
    wait_for(lambda: by_id(agent, "ticket-status").get_attribute("data-status") == "active")
    return priority


def reply(agent, text: str) -> None:
    by_id(agent, "reply-text").send_keys(text)
    by_id(agent, "reply-send").click()
    wait_for(lambda: [m for m in all_css(agent, "#transcript li[data-author=agent]") if text in m.text])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_customer_reaches_a_person_who_sees_everything_and_the_bot_asks_a_rating(servers, customer, agent,
                                                                                     language):
    log_in(agent, servers)
    open_chat(customer, servers)
    sender = customer.execute_script("return document.body.dataset.session")
    if language == "zh":
        customer_says(customer, "我要查保单")
        customer_says(customer, "13800000001")
        customer_says(customer, "5821")
        wait_for(lambda: any("P2019000001" in t for t in bot_texts(customer)))
        words, answer = "您好，我是王芳，您的两张保单都正常。", "谢谢"
    else:
        customer_says(customer, "I want to check my policy")
        customer_says(customer, "13700000003")
        customer_says(customer, "7788")
        wait_for(lambda: any("P2023000005" in t for t in bot_texts(customer)))
        words, answer = "Hello, this is Wang Fang. Your policy is in force.", "thank you"

    by_id(customer, "human").click()
    wait_for(lambda: any(("人工客服" in t or "person" in t) for t in bot_texts(customer)))

    # The agent sees it without reloading, takes it, and finds what the customer already said.
    priority = take_and_open(agent, sender)
    assert priority == ("senior" if language == "zh" else "vip")
    assert by_id(agent, "verification").get_attribute("data-verified") == "true"
    assert not by_id(agent, "identity-form").is_displayed()  # the bot verified them: nothing to check
    policies = [p.get_attribute("data-number") for p in all_css(agent, "#policies li[data-test=policy]")]
    assert ("P2019000001" if language == "zh" else "P2023000005") in policies
    transcript = by_id(agent, "transcript").text
    assert ("我要查保单" if language == "zh" else "check my policy") in transcript
    assert "13800000001" not in transcript and "5821" not in transcript  # masked for the agent too
    fields = {f.get_attribute("data-slot") for f in all_css(agent, "#fields div[data-test=field]")}
    assert {"verified", "customer_id"} & fields
    # The console speaks human: no payload, intent, form, slot or channel name anywhere on the page.
    shown = by_id(agent, "main").text if all_css(agent, "main#main") else agent.find_element("tag name", "main").text
    for internal in ("/request_human", "/inform", "request_human", "query_policy", "verify_identity_form",
                     "rating_asked", "service_completed", "customer_id", "identity_proof", "socketio"):
        assert internal not in shown, internal
    assert "［按了 Pressed］" in shown  # the human button, shown as what the customer pressed
    resolve = by_id(agent, "resolve-button")
    assert resolve.is_displayed() and agent.execute_script(
        "var r = arguments[0].getBoundingClientRect(); return r.bottom <= window.innerHeight;", resolve)

    # The joined notice, then the agent's words, labelled as a person's.
    wait_for(lambda: bot_texts(customer, "system"))
    reply(agent, words)
    human = wait_for(lambda: all_css(customer, "#log li.msg[data-author=human]"))
    assert words in human[-1].text and human[-1].get_attribute("data-agent") == "王芳"

    # The bot stays silent while the person has the conversation; the agent gets the words.
    bots_before = len(bot_texts(customer))
    by_id(customer, "text").send_keys(answer)
    by_id(customer, "send").click()
    wait_for(lambda: [m for m in all_css(agent, "#transcript li[data-author=customer]") if answer in m.text])
    assert len(bot_texts(customer)) == bots_before

    customer.save_screenshot(str(SCREENSHOTS / f"lane-{language}-customer.png"))
    agent.save_screenshot(str(SCREENSHOTS / f"lane-{language}-console.png"))

    by_id(agent, "resolve-button").click()
    wait_for(lambda: by_id(agent, "ticket-status").get_attribute("data-status") == "resolved")
    rating = wait_for(lambda: [b for b in all_css(customer, "#log li.msg[data-author=bot] button[data-test=choice]")
                               if "rating" in (b.get_attribute("data-payload") or "")])
    assert len(rating) == 5
    rating[0].click()  # the first is 5
    wait_for(lambda: any(("谢谢您的评分" in t or "Thank you for rating" in t) for t in bot_texts(customer)))


def test_a_locked_out_customer_is_verified_by_the_agent_in_the_console(servers, customer, agent):
    """王建国 locked himself out with wrong numbers; the agent asks, checks in the console, hands back."""
    log_in(agent, servers)
    open_chat(customer, servers)
    sender = customer.execute_script("return document.body.dataset.session")
    customer_says(customer, "我的保单")
    for attempt in range(3):
        customer_says(customer, "13800009986")
        customer_says(customer, f"000{attempt}")
    wait_for(lambda: any("转人工" in t for t in bot_texts(customer)))
    by_id(customer, "human").click()
    wait_for(lambda: any("人工客服" in t for t in bot_texts(customer)))

    take_and_open(agent, sender)
    assert by_id(agent, "verification").get_attribute("data-verified") == "false"
    form = by_id(agent, "identity-form")
    assert form.is_displayed()
    by_id(agent, "identity-lookup").send_keys("13800000001")
    by_id(agent, "identity-last4").send_keys("5821")
    by_id(agent, "identity-birth").send_keys("1950-05-12")
    by_id(agent, "identity-submit").click()
    wait_for(lambda: by_id(agent, "verification").get_attribute("data-verified") == "true")
    assert "verified by agent 王芳" in by_id(agent, "verification").text
    assert not by_id(agent, "identity-form").is_displayed()
    assert "5821" not in agent.find_element("tag name", "main").text  # the answers do not stay on the page
    wait_for(lambda: any("核实您的身份" in t for t in bot_texts(customer, "system")))
    agent.save_screenshot(str(SCREENSHOTS / "lane-identity-check-console.png"))

    by_id(agent, "handback-button").click()
    wait_for(lambda: by_id(agent, "ticket-status").get_attribute("data-status") == "handed_back")
    wait_for(lambda: any("接着为您服务" in t for t in bot_texts(customer)))
    customer_says(customer, "我的保单")
    wait_for(lambda: any("P2019000001" in t for t in bot_texts(customer)))
    assert not any("手机号码" in t for t in bot_texts(customer)[-3:])
