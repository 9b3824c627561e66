"""The customer web chat page in headless Chromium against the real Rasa and action servers.

The page chats over Rasa's socket.io channel. A small TCP relay sits between the browser and
Rasa, so a test can cut the network (the relay closes every connection and stops listening) and
bring it back, with the real server behind it the whole time.
Screenshots: var/webchat-elder-320.png, var/webchat-elder-desktop.png, var/webchat-elder-xl-320.png.
"""
from __future__ import annotations

import asyncio
import threading
import time

import pytest
import requests

from tests.browser.chromium import screen, wait_for
from tests.servers import ROOT, TEST_HOTLINE, free_port

PAGE = "/webhooks/webchat/"
HOTLINE = TEST_HOTLINE  # the one configured urgent number (ANXIN_HOTLINE), not one written in the page
SCREENSHOTS = ROOT / "var"

# Every visible text, control and link on the page, measured as the browser draws it.
MEASURE = """
function channels(color) {
  var m = color.match(/[\\d.]+/g).map(Number);
  return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1};
}
function luminance(c) {
  function lin(v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}
function background(el) {
  for (; el && el.nodeType === 1; el = el.parentElement) {
    var c = channels(getComputedStyle(el).backgroundColor);
    if (c.a > 0.5) { return c; }
  }
  return {r: 255, g: 255, b: 255, a: 1};
}
function contrast(el, color) {
  var a = luminance(channels(color)), b = luminance(background(el));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
function visible(el) {
  var r = el.getBoundingClientRect(), s = getComputedStyle(el);
  return r.width > 2 && r.height > 2 && s.visibility !== "hidden" && s.display !== "none";
}
var texts = [], targets = [];
document.querySelectorAll("body *").forEach(function (el) {
  if (!visible(el) || el.tagName === "SCRIPT") { return; }
  var own = Array.prototype.some.call(el.childNodes, function (n) { return n.nodeType === 3 && n.textContent.trim(); });
  var s = getComputedStyle(el);
  var size = parseFloat(s.fontSize), line = parseFloat(s.lineHeight);
  if (own) {
    texts.push({what: el.tagName + "#" + el.id + "." + el.className + " " + el.textContent.trim().slice(0, 20),
                size: size, line: line / size, contrast: contrast(el, s.color)});
  }
  if (el.matches("button, a, input")) {
    var r = el.getBoundingClientRect();
    targets.push({what: el.tagName + "#" + el.id + "." + el.className + " " + el.textContent.trim().slice(0, 20),
                  width: r.width, height: r.height});
  }
});
var input = document.getElementById("text"), placeholder = getComputedStyle(input, "::placeholder");
texts.push({what: "placeholder", size: parseFloat(placeholder.fontSize), line: 1.5,
            contrast: contrast(input, placeholder.color)});
var body = document.querySelector("#log .msg.bot .body");
return {texts: texts, targets: targets, messageSize: body ? parseFloat(getComputedStyle(body).fontSize) : 0,
        scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth};
"""


class Relay:
    """A TCP relay on a fixed port to the Rasa server; stop() is the network going away."""

    def __init__(self, target_port: int, port: int) -> None:
        self.target_port, self.port = target_port, port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = None
        self.writers = set()
        self.running = False

    async def _pipe(self, reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _client(self, reader, writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self.writers.update((writer, upstream_writer))
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))
        self.writers.difference_update((writer, upstream_writer))

    def start(self) -> "Relay":
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._client, "127.0.0.1", self.port, reuse_address=True), self.loop).result(10)
        self.running = True
        return self

    def stop(self) -> None:
        if not self.running:
            return
        self.running = False

        async def close():
            self.server.close()
            for writer in list(self.writers):
                writer.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def servers(standard_servers):
    """The standard pair (tests/conftest.py), whose urgent number is TEST_HOTLINE."""
    return standard_servers


def open_chat(browser, url, width=320, height=640):
    screen(browser, width, height)
    browser.get(url + PAGE)
    wait_for(lambda: browser.find_element("tag name", "body").get_attribute("data-connection") == "online", 60)


def forget(browser):
    """A new customer on the same browser: no session id, no kept messages, default mode."""
    browser.execute_script("try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}")


def messages(browser, author):
    return browser.find_elements("css selector", f"#log li.msg[data-author='{author}']")


def replies_after(browser, count, containing=""):
    """The bot's messages after the first `count`, once one contains `containing` (any, if empty)."""
    def arrived():
        new = messages(browser, "bot")[count:]
        return new if any(containing in m.text for m in new) else None
    wait_for(arrived)
    time.sleep(0.5)  # the rest of the turn's messages
    return messages(browser, "bot")[count:]


def say(browser, text, expect=""):
    count = len(messages(browser, "bot"))
    browser.find_element("id", "text").send_keys(text)
    browser.find_element("id", "send").click()
    return replies_after(browser, count, expect)


def test_typing_hello_gets_the_bots_greeting_with_big_buttons(servers, browser):
    open_chat(browser, servers.url)
    session = browser.execute_script("return localStorage.getItem('anxin-sender')")
    assert browser.find_element("tag name", "body").get_attribute("data-session") == session
    replies = say(browser, "你好")
    assert "小安" in replies[0].text
    assert replies[0].find_element("css selector", "[data-test=author-label]").text == "安心助手"
    assert browser.find_element("css selector", "#log li.msg[data-author='customer']").text.endswith("你好")
    titles = [b.text for b in replies[0].find_elements("css selector", "button.choice")]
    assert titles[:2] == ["我的保单", "交保费"] and "转人工" in titles
    assert browser.execute_script("return document.documentElement.lang") == "zh-Hans"
    # it went over socket.io: the conversation is in Rasa's tracker under the page's session id
    tracker = requests.get(f"{servers.url}/conversations/{session}/tracker", params={"token": "test-token-not-a-secret"},
                           timeout=10).json()
    said = [e for e in tracker["events"] if e["event"] == "user"]
    assert said[-1]["text"] == "你好" and said[-1]["input_channel"] == "socketio"


def test_a_bot_button_sends_its_payload_and_shows_its_title(servers, browser):
    open_chat(browser, servers.url)
    greeting = say(browser, "你好")[0]
    choice = greeting.find_element("css selector", "button.choice[data-payload='/query_policy']")
    before = len(messages(browser, "bot"))
    choice.click()
    replies_after(browser, before, "手机号")  # the identity check starts
    assert messages(browser, "customer")[-1].find_element("css selector", ".body").text == "我的保单"
    assert choice.get_attribute("aria-pressed") == "true" and not choice.is_enabled()  # pressed once


def test_a_reload_continues_the_conversation(servers, browser):
    open_chat(browser, servers.url)
    say(browser, "我的保单", "手机号")
    session = browser.execute_script("return localStorage.getItem('anxin-sender')")
    shown = len(browser.find_elements("css selector", "#log li.msg"))
    browser.refresh()
    wait_for(lambda: browser.find_element("tag name", "body").get_attribute("data-connection") == "online", 60)
    assert browser.execute_script("return localStorage.getItem('anxin-sender')") == session
    assert len(browser.find_elements("css selector", "#log li.msg")) == shown  # the messages are still there
    say(browser, "13800000001", "身份证")  # Rasa remembers: it asks the next question


def test_the_human_button_is_in_the_same_place_at_320px_and_on_a_desktop(servers, browser):
    for width, height in ((320, 640), (1280, 800)):
        forget(browser)
        open_chat(browser, servers.url, width, height)
        human = browser.find_element("id", "human")
        empty = human.rect
        for text in ("你好", "宽限期是多久", "怎么交保费"):
            say(browser, text)
        browser.execute_script("window.scrollTo(0, 0)")
        assert human.is_displayed() and human.rect == empty  # fixed: the page scrolls under it
        assert human.size["width"] >= 60 and human.size["height"] >= 60
        assert empty["y"] + empty["height"] <= height and empty["x"] + empty["width"] <= width
        assert empty["y"] > height * 0.75 and empty["x"] > width * 0.45  # bottom right
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width
        before = len(messages(browser, "bot"))
        human.click()
        wait_for(lambda: len(messages(browser, "bot")) > before)
        assert messages(browser, "customer")[-1].find_element("css selector", ".body").text == "转人工"
        tracker = requests.get(f"{servers.url}/conversations/{browser.find_element('tag name', 'body').get_attribute('data-session')}/tracker",
                               params={"token": "test-token-not-a-secret"}, timeout=10).json()
        assert [e for e in tracker["events"] if e["event"] == "user"][-1]["text"] == "/request_human"


def test_the_human_button_on_another_page_opens_the_chat_and_asks_for_a_person(servers, browser):
    forget(browser)
    screen(browser, 320, 640)
    browser.get(servers.url + "/webhooks/documents/not-a-real-token")  # a polite page of ours, with the button
    browser.find_element("css selector", "a[data-test=human]").click()
    wait_for(lambda: messages(browser, "customer") and  # "转人工 / Human, please": no language known yet
             messages(browser, "customer")[-1].find_element("css selector", ".body").text.startswith("转人工"), 60)
    assert wait_for(lambda: [m for m in messages(browser, "bot") if "人工客服" in m.text], 60)
    assert "#human" not in browser.current_url  # a reload does not ask again


def check_elder_numbers(measured, text_size):
    small = [t for t in measured["texts"] if t["size"] < text_size]
    tight = [t for t in measured["texts"] if t["line"] < 1.3]
    faint = [t for t in measured["texts"] if t["contrast"] < 7]
    tiny = [t for t in measured["targets"] if t["width"] < 60 or t["height"] < 60]
    assert not small and not tight and not faint and not tiny, (small, tight, faint, tiny)
    assert measured["scrollWidth"] <= measured["width"]


def test_elder_mode_meets_the_numbers_at_320px_and_on_a_desktop(servers, browser):
    SCREENSHOTS.mkdir(exist_ok=True)
    for width, height, name in ((320, 640, "320"), (1280, 800, "desktop")):
        forget(browser)
        open_chat(browser, servers.url, width, height)
        assert browser.execute_script("return document.documentElement.dataset.mode") == "elder"  # the default
        say(browser, "你好")
        say(browser, "电子发票")
        measured = browser.execute_script(MEASURE)
        assert len(measured["texts"]) > 10 and len(measured["targets"]) > 8
        check_elder_numbers(measured, 18)
        assert measured["messageSize"] >= 20
        browser.save_screenshot(str(SCREENSHOTS / f"webchat-elder-{name}.png"))
    # 特大字: the 30 px option, still no sideways scrolling at 320 px
    screen(browser, 320, 640)
    browser.find_element("id", "size").click()
    measured = browser.execute_script(MEASURE)
    assert measured["messageSize"] >= 30
    check_elder_numbers(measured, 18)
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    browser.save_screenshot(str(SCREENSHOTS / "webchat-elder-xl-320.png"))
    # standard mode is remembered across a reload, and elder mode comes back with one press
    browser.find_element("id", "mode").click()
    browser.refresh()
    wait_for(lambda: browser.execute_script("return document.documentElement.dataset.mode") == "standard")
    assert browser.find_element("id", "mode").get_attribute("aria-checked") == "false"
    assert browser.find_element("id", "human").size["height"] >= 48
    browser.find_element("id", "mode").click()
    assert browser.execute_script("return localStorage.getItem('anxin-mode')") == "elder"


def test_every_bot_message_can_be_read_aloud(servers, browser):
    open_chat(browser, servers.url)
    greeting = say(browser, "你好")[0]
    speak = greeting.find_element("css selector", "button.speak")
    assert speak.size["width"] >= 60 and speak.size["height"] >= 60
    assert all(m.find_elements("css selector", "button.speak") for m in messages(browser, "bot"))
    assert not browser.find_elements("css selector", "#log li.msg[data-author='customer'] button.speak")
    speak.click()
    status = wait_for(lambda: browser.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/webhooks/webchat/speak'))"
        ".map(e => e.responseStatus)[0]"))
    assert status == 200
    wait_for(lambda: speak.get_attribute("aria-pressed") == "true", 30)  # playing
    assert browser.find_element("id", "status").get_attribute("data-key") != "tapToHear"


def test_no_network_keeps_the_typed_text_and_the_chat_comes_back(servers, browser):
    port = free_port()
    relay = Relay(servers.rasa_port, port).start()
    try:
        open_chat(browser, f"http://localhost:{port}")
        say(browser, "你好")
        relay.stop()
        body = browser.find_element("tag name", "body")
        wait_for(lambda: body.get_attribute("data-connection") == "offline", 30)
        status = browser.find_element("id", "status")
        assert "暂时连不上" in status.text and HOTLINE in status.text  # a polite notice, not a pop-up
        box = browser.find_element("id", "text")
        box.send_keys("我的保单")
        browser.find_element("id", "send").click()
        assert box.get_attribute("value") == "我的保单"  # nothing typed is lost
        assert "文字已保留" in status.text
        sent = len(messages(browser, "customer"))
        browser.find_element("id", "human").click()  # waits for the connection instead of failing
        assert len(messages(browser, "customer")) == sent
        assert not browser.execute_script("return document.querySelector('dialog[open]')")
        relay = Relay(servers.rasa_port, port).start()
        wait_for(lambda: body.get_attribute("data-connection") == "online", 60)
        # the waiting human request went out by itself, then the kept text goes with one press
        wait_for(lambda: len(messages(browser, "customer")) == sent + 1)
        assert messages(browser, "customer")[-1].find_element("css selector", ".body").text == "转人工"
        browser.find_element("id", "send").click()
        wait_for(lambda: len(messages(browser, "customer")) == sent + 2)
        assert box.get_attribute("value") == ""
    finally:
        relay.stop()


def test_odd_socket_messages_do_not_break_the_server(servers):
    import socketio

    client = socketio.Client(reconnection=False)
    replies = []
    client.on("bot_uttered", lambda data: replies.append(data))
    confirmed = threading.Event()
    client.on("session_confirm", lambda data: confirmed.set())
    client.connect(servers.url, socketio_path="/socket.io", transports=["websocket"])
    try:
        client.emit("session_request", {"session_id": "odd-socket-client"})
        assert confirmed.wait(10)
        for odd in (None, {"session_id": "odd-socket-client"}, {"session_id": "odd-socket-client", "message": None},
                    {"session_id": "odd-socket-client", "message": 42}, "text"):
            client.emit("user_uttered", odd)
        client.emit("user_uttered", {"session_id": "odd-socket-client", "message": "你好"})
        wait_for(lambda: any("小安" in str(r.get("text", "")) for r in replies if isinstance(r, dict)), 60)
        assert any("请说说您需要什么帮助" in str(r.get("text", "")) for r in replies)  # the empty ones, politely
    finally:
        client.disconnect()


def test_the_page_follows_the_conversations_language_and_shows_links(servers, browser):
    open_chat(browser, servers.url)
    assert browser.find_element("id", "human").text == "转人工\nHuman"  # both until the language is known
    reply = say(browser, "I need my e-invoice please", "mobile number")[-1]
    assert browser.execute_script("return document.documentElement.lang") == "en"
    assert reply.get_attribute("data-lang") == "en"
    assert reply.find_element("css selector", "[data-test=author-label]").text == "Anxin bot"
    assert messages(browser, "customer")[-1].find_element("css selector", ".who").text == "You"
    assert browser.find_element("id", "send").text == "Send"
    assert browser.find_element("id", "human").text == "Human"
    say(browser, "13700000003", "ID")
    invoice = [m for m in say(browser, "7788", "E-invoice") if "E-invoice" in m.text][0]
    link = invoice.find_element("css selector", "a[data-test=link]")
    assert link.text == "Open" and link.get_attribute("rel") == "noopener noreferrer"
    assert link.size["height"] >= 60
    document = requests.get(link.get_attribute("href"), timeout=30)
    assert document.status_code == 200 and document.content.startswith(b"%PDF")


# What the page itself says (labels, buttons, notices), per language: read from the page, checked by script.
PAGE_WORDS = """
return Array.prototype.map.call(document.querySelectorAll(
  "#title [data-ui]:not(.en), #settings [data-ui]:not(.en), #send, #talk [data-ui]:not(.en), #human [data-ui]:not(.en), "
  + "#log .who, #log button.choice, #status"), function (el) { return el.textContent.trim(); })
  .concat([document.getElementById("text").getAttribute("placeholder")]).filter(Boolean);
"""


@pytest.mark.parametrize("language, opening, then, bot_label", [
    ("zh-Hans", "你好", "我眼神不好 字看不清", "安心助手"),
    ("zh-Hant", "您好，請問保單", "點了沒反應 我看不懂", "安心助手"),
    ("yue", "你好，唔該", "聽唔明呀", "安心助手"),
    ("en", "hello", "I can't read this", "Anxin bot"),
])
def test_the_pages_words_stay_in_the_customers_script_across_a_conversation(servers, browser, language, opening,
                                                                             then, bot_label):
    from tests.script_check import script_problem

    open_chat(browser, servers.url)
    forget(browser)
    browser.refresh()
    wait_for(lambda: browser.find_element("tag name", "body").get_attribute("data-connection") == "online", 60)
    for words in (opening, then):
        replies = say(browser, words)
        assert browser.execute_script("return document.documentElement.lang") == language  # the server's slot
        assert all(r.get_attribute("data-lang") == language for r in replies)
        shown = browser.execute_script(PAGE_WORDS)
        assert [w for w in shown if script_problem(w, language)] == []
    assert replies[-1].find_element("css selector", "[data-test=author-label]").text == bot_label
    # the confusion help on the page: bigger text and reading aloud are named, and a person is one press away
    help_text = " ".join(r.text for r in replies)
    assert {"zh-Hans": "特大字", "zh-Hant": "特大字", "yue": "特大字", "en": "Larger"}[language] in help_text
    assert any(b.get_attribute("data-payload") == "/request_human"
               for r in replies for b in r.find_elements("css selector", "button.choice"))
