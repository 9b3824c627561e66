"""The agent console over HTTP against a real server pair: sessions, lockout, roles, the queue,
the conversation view, taking (one of two agents wins), replying, notes, resolving, audit, live events.

Customers reach the lane through the REST webhook (/request_human), as any channel does.
"""
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from selenium.common.exceptions import WebDriverException

from tests.bot.console.console_client import CSRF, PASSWORD, Console, EventWatcher, create_agents
from tests.browser.chromium import chromium
from tests.servers import ROOT, Servers, new_sender, verify

SCREENSHOTS = ROOT / "var"  # looked at by people, not compared
ALL_LANGUAGES = ["zh-Hans", "zh-Hant", "yue", "en"]
PAGES = ["/", "/queue", "/ticket/1"]
API_GETS = ["/api/me", "/api/queue", "/api/tickets/1", "/api/tickets/1/messages", "/api/agents", "/api/audit",
            "/api/events", "/api/events?ticket=1"]
API_POSTS = ["/logout", "/api/tickets/1/take", "/api/tickets/1/reply", "/api/tickets/1/note",
             "/api/tickets/1/resolve", "/api/tickets/1/handback", "/api/tickets/1/verify"]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    running = Servers(tmp_path_factory.mktemp("console"),
                      extra_env={"ANXIN_SERVICE_HOURS": "00:00-24:00", "ANXIN_RATE_LIMIT_BURST": "50"}).start()
    try:
        create_agents(running, [
            ("lin", "小林 Lin", "agent", ALL_LANGUAGES),
            ("chen", "小陈 Chen", "agent", ["zh-Hans"]),
            ("emma", "Emma", "agent", ["en"]),
            ("boss", "王主管 Wang", "supervisor", ALL_LANGUAGES),
            ("locky", "Locky", "agent", ["en"]),
        ])
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def consoles(servers):
    """Logged-in consoles (logging in also makes the agents count as online, so handoffs queue)."""
    logged_in = {}
    for username in ("lin", "chen", "emma", "boss"):
        console = Console(servers)
        answer = console.login(username)
        assert answer.status_code == 200, answer.text
        logged_in[username] = console
    return logged_in


def test_every_console_endpoint_refuses_without_a_session(servers):
    forged = Console(servers)
    forged.http.cookies.set("anxin_console", "a-forged-session-token")
    for console in (Console(servers), forged):
        for page in PAGES:
            answer = console.get(page)
            assert answer.status_code == 302, page
            assert answer.headers["Location"] == "/webhooks/console/login"
        for path in API_GETS:
            answer = console.get(path)
            assert (answer.status_code, answer.json()["error"]) == (401, "login_required"), path
        for path in API_POSTS:
            assert console.post(path).status_code == 401, path
            assert console.post(path, headers={}).status_code == 403, path  # no CSRF header: refused first

    login_page = Console(servers).get("/login")
    assert login_page.status_code == 200 and 'id="login-form"' in login_page.text
    policy = login_page.headers["Content-Security-Policy"]
    assert "script-src 'sha256-" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert Console(servers).post("/login", {"username": "lin", "password": "x"}, headers={}).status_code == 403


def test_session_cookie_is_httponly_and_strict(servers):
    answer = Console(servers).login("emma")
    assert answer.status_code == 200
    cookie = answer.headers["Set-Cookie"]
    assert "anxin_console=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/webhooks/console" in cookie


def test_wrong_passwords_lock_the_account(servers):
    console = Console(servers)
    garbled = console.http.post(f"{console.base}/login", data="{not json", headers=CSRF, timeout=30)
    assert garbled.status_code == 401  # a polite refusal, not an error page
    answers = [console.login("locky", f"wrong-password-{attempt}") for attempt in range(5)]
    assert [a.status_code for a in answers[:4]] == [401] * 4
    assert "Wrong username or password" in answers[0].json()["message"]
    assert answers[4].status_code == 423 and "locked for 15 minutes" in answers[4].json()["message"]
    right = console.login("locky")  # the right password does not open a locked account
    assert right.status_code == 423 and "anxin_console" not in right.cookies
    assert console.get("/api/me").status_code == 401


def test_supervisor_only_views(consoles):
    for path in ("/api/agents", "/api/audit"):
        assert consoles["emma"].get(path).status_code == 403, path
    overview = consoles["boss"].get("/api/agents").json()
    assert {q["language"] for q in overview["queues"]} >= set(ALL_LANGUAGES)
    agents = {a["username"]: a for a in overview["agents"]}
    assert agents["lin"]["online"] and not agents["locky"]["online"]
    assert "password_hash" not in json.dumps(agents)


def test_queue_take_reply_note_resolve(servers, consoles):
    lin, chen, emma, boss = (consoles[name] for name in ("lin", "chen", "emma", "boss"))
    sender = new_sender()
    verify(servers, sender, "13800000001", "5821", "我的保单")  # 王建国, 76
    servers.say(sender, "/request_human")

    ticket = lin.ticket_of(sender)
    assert ticket and ticket["status"] == "waiting" and ticket["priority"] == "senior"
    assert boss.ticket_of(sender) is not None  # supervisors see every queue
    assert emma.ticket_of(sender) is None  # an English-only agent does not get a Mandarin customer
    ticket_id = ticket["id"]

    view = lin.get(f"/api/tickets/{ticket_id}").json()
    assert view["verification"]["verified"] is True and view["verification"]["customer_name"] == "王建国"
    assert {p["number"] for p in view["policies"]} == {"P2019000001", "P2021000002"}
    assert all(p["debit_account"].split()[-1].startswith("****") for p in view["policies"])
    assert [c["reference"][:3] for c in view["claims"]] == ["CL-"]
    said = [(line["author"], line["text"]) for line in view["transcript"]]
    assert ("customer", "我的保单") in said and ("customer", "****0001") in said  # the phone, masked
    assert "13800000001" not in json.dumps(view, ensure_ascii=False)
    assert "王建国" in view["summary"] and "verified" in view["summary"]
    assert len(view["canned_replies"]) >= 3
    assert emma.get(f"/api/tickets/{ticket_id}").status_code == 403

    barrier = threading.Barrier(2)

    def take(console):
        barrier.wait()
        return console.post(f"/api/tickets/{ticket_id}/take").status_code

    with ThreadPoolExecutor(2) as pool:
        codes = list(pool.map(take, [lin, chen]))
    assert sorted(codes) == [200, 409]
    winner, loser = (lin, chen) if codes[0] == 200 else (chen, lin)

    reply = "王先生您好，我是人工客服，我来帮您。"
    assert loser.post(f"/api/tickets/{ticket_id}/reply", {"text": "我也来"}).status_code == 409
    answer = winner.post(f"/api/tickets/{ticket_id}/reply", {"text": reply})
    assert answer.status_code == 200 and answer.json()["delivered"] is True
    assert winner.post(f"/api/tickets/{ticket_id}/note", {"text": "客户想改扣款日期"}).status_code == 200

    # REST cannot push: the reply comes with the customer's next answer, and their words go to the agent.
    delivered = " ".join(m.get("text", "") for m in servers.say(sender, "好的，谢谢"))
    assert reply in delivered and "客户想改扣款日期" not in delivered
    stored = [(m["author"], m["text"]) for m in winner.get(f"/api/tickets/{ticket_id}/messages").json()["messages"]]
    assert ("agent", reply) in stored and ("note", "客户想改扣款日期") in stored and ("customer", "好的，谢谢") in stored

    assert loser.post(f"/api/tickets/{ticket_id}/resolve").status_code == 409
    done = winner.post(f"/api/tickets/{ticket_id}/resolve")
    assert done.status_code == 200 and done.json()["ticket"]["status"] == "resolved"
    assert ticket_id not in [t["id"] for t in lin.get("/api/queue").json()["tickets"]]

    audit = [(row["action"], row["ticket_id"]) for row in boss.get("/api/audit?limit=500").json()["audit"]]
    for action in ("view_ticket", "take_ticket", "reply", "note", "resolved", "view_queue"):
        assert any(a == action and (t == ticket_id or action == "view_queue") for a, t in audit), action
    assert any(a == "login" for a, _ in audit)


def test_event_stream_shows_new_tickets_and_messages(servers, consoles):
    queue_watch = EventWatcher(consoles["lin"])
    try:
        sender = new_sender()
        servers.say(sender, "/request_human")
        queue_watch.wait_for(lambda: sender in queue_watch.first_seen, timeout=30)
        ticket_id = consoles["lin"].ticket_of(sender)["id"]
        ticket_watch = EventWatcher(consoles["lin"], f"?ticket={ticket_id}")
        try:
            servers.say(sender, "还在吗？")
            ticket_watch.wait_for(lambda: any(
                event == "message" and body["author"] == "customer" and body["text"] == "还在吗？"
                for event, body in ticket_watch.events), timeout=30)
            assert any(event == "ticket" and body["id"] == ticket_id for event, body in ticket_watch.events)
        finally:
            ticket_watch.close()
    finally:
        queue_watch.close()
    assert consoles["emma"].get(f"/api/events?ticket={ticket_id}").status_code == 403  # not her language


def test_hand_back_gives_the_conversation_to_the_bot(servers, consoles):
    """The bot answers this customer again (not a new handoff), and their words no longer go to the ticket."""
    lin, sender = consoles["lin"], new_sender()
    servers.say(sender, "/request_human")
    ticket_id = lin.ticket_of(sender)["id"]
    assert lin.post(f"/api/tickets/{ticket_id}/handback").status_code == 409  # take it first
    assert lin.post(f"/api/tickets/{ticket_id}/take").status_code == 200
    back = lin.post(f"/api/tickets/{ticket_id}/handback").json()
    assert back["ticket"]["status"] == "handed_back" and back["bot_resumed"] is True
    assert "60天宽限期" in " ".join(m.get("text", "") for m in servers.say(sender, "宽限期是多久"))
    relayed = [m["text"] for m in lin.get(f"/api/tickets/{ticket_id}/messages").json()["messages"]]
    assert "宽限期是多久" not in relayed


@pytest.fixture
def browser():
    driver = chromium(["--window-size=1400,1600"])
    yield driver
    driver.quit()


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except WebDriverException:
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_console_in_a_browser_live_queue_take_and_reply(servers, consoles, browser):
    """Log in on the page; a new customer appears without reloading; open, take, reply with a canned reply."""
    from selenium.webdriver.common.by import By

    base = f"{servers.url}/webhooks/console"
    browser.get(f"{base}/queue")
    assert browser.current_url == f"{base}/login"  # no session: the login page
    browser.find_element(By.ID, "login-username").send_keys("boss")
    browser.find_element(By.ID, "login-password").send_keys("not the password")
    browser.find_element(By.ID, "login-submit").click()
    assert "Wrong username or password" in wait_for(lambda: browser.find_element(By.ID, "login-error").text)
    browser.find_element(By.ID, "login-password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait_for(lambda: browser.current_url == f"{base}/queue")
    wait_for(lambda: "live" in browser.find_element(By.ID, "connection-status").get_attribute("class"))

    sender = new_sender()
    verify(servers, sender, "13700000003", "7788", "my policies")  # Emily Li (VIP), English
    servers.say(sender, "/request_human")
    row = f'[data-test=queue-row][data-sender-id="{sender}"]'  # rows are redrawn when the queue changes
    assert wait_for(lambda: browser.find_element(By.CSS_SELECTOR, row).get_attribute("data-priority")) == "vip"
    assert browser.find_element(By.CSS_SELECTOR, row).get_attribute("data-status") == "waiting"
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "[data-test=agent-row]"))  # a supervisor's view
    english = '[data-test=queue-summary-row][data-language="en"] td:nth-child(2)'  # waiting, refreshed every 10 s
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, english).text == "1", timeout=30)  # Emily
    assert float(browser.find_element(By.CSS_SELECTOR, row).value_of_css_property("font-size").rstrip("px")) >= 18
    browser.save_screenshot(str(SCREENSHOTS / "console-queue.png"))

    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, f"{row} [data-test=open-ticket]").click() or True)
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "[data-test=policy]"))
    assert browser.find_element(By.ID, "verification").get_attribute("data-verified") == "true"
    assert "Emily" in browser.find_element(By.ID, "ticket-summary").text
    transcript = browser.find_element(By.ID, "transcript").text
    assert "my policies" in transcript and "7788" not in transcript
    browser.find_element(By.ID, "take-button").click()
    wait_for(lambda: browser.find_element(By.ID, "reply-form").is_displayed())
    canned = browser.find_elements(By.CSS_SELECTOR, "[data-test=canned-reply]")
    assert canned[0].text.startswith("Hello")  # English replies for an English customer
    canned[0].click()
    browser.find_element(By.ID, "reply-send").click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, '#transcript [data-author="agent"]'))
    servers.say(sender, "thanks, I have a question")  # arrives live, without reloading
    wait_for(lambda: "thanks, I have a question" in browser.find_element(By.ID, "transcript").text)
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(SCREENSHOTS / "console-conversation.png"))
    browser.find_element(By.ID, "resolve-button").click()
    wait_for(lambda: browser.find_element(By.ID, "ticket-status").get_attribute("data-status") == "resolved")
